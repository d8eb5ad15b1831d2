// Story: the Weather sample's configuration holds together: kube/ is the expected Kubernetes objects
// and the local platform accepts them with istio/ (images mapped by local-images.yaml to scripts that
// exist), every Istio file validates with the built weftctl, every scenario replaces objects that
// istio/ defines and routes only to subsets that have pods, and the scenarios README lists them all.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments, parse } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, run } from './workspace.js';

const SAMPLE = join(REPO_ROOT, 'samples', 'weather');
const WEFTCTL = join(REPO_ROOT, 'packages', 'ctl', 'bin', 'weftctl.js');

type Obj = { apiVersion: string; kind: string; metadata: { name: string; namespace?: string; labels?: Record<string, string> }; spec?: any; file: string };

function yamlFiles(dir: string): string[] {
  return readdirSync(join(SAMPLE, dir))
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(SAMPLE, dir, f));
}

function objects(dir: string): Obj[] {
  return yamlFiles(dir).flatMap((file) =>
    parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => {
      expect(doc.errors, file).toEqual([]);
      return { ...(doc.toJS() as Omit<Obj, 'file'>), file };
    }),
  );
}

const kube = objects('kube');
const istio = objects('istio');
const scenarios = objects('scenarios');
const of = (kind: string) => kube.filter((o) => o.kind === kind);
const key = (o: Obj) => `${o.kind}/${o.metadata.name}`;

const SERVICES: Record<string, { port: number; portName: string; versions: string[] }> = {
  frontend: { port: 3000, portName: 'http', versions: ['v1'] },
  advertisement: { port: 3003, portName: 'http', versions: ['v1'] },
  forecast: { port: 3002, portName: 'http', versions: ['v1', 'v2'] },
  recommendation: { port: 3005, portName: 'http', versions: ['v1', 'v2'] },
  'tcp-echo': { port: 9000, portName: 'tcp', versions: ['v1', 'v2'] },
  'status-board': { port: 3010, portName: 'http', versions: ['v1'] },
};

describe('kube/', () => {
  it('holds the weather namespace (injection on), a ServiceAccount and a Service per app, a Deployment per version', () => {
    expect(of('Namespace').map((o) => [o.metadata.name, o.metadata.labels])).toEqual([['weather', { 'istio-injection': 'enabled' }]]);
    expect(new Set(kube.map((o) => o.kind))).toEqual(new Set(['Namespace', 'ServiceAccount', 'Service', 'Deployment']));
    expect(of('ServiceAccount').map((o) => o.metadata.name).sort()).toEqual(Object.keys(SERVICES).map((s) => `weather-${s}`).sort());
    expect(of('Service').map((o) => o.metadata.name).sort()).toEqual(Object.keys(SERVICES).sort());
    const deployments = Object.entries(SERVICES).flatMap(([s, d]) => d.versions.map((v) => `${s}-${v}`));
    expect(of('Deployment').map((o) => o.metadata.name).sort()).toEqual(deployments.sort());
    for (const o of kube.filter((k) => k.kind !== 'Namespace')) expect(o.metadata.namespace, key(o)).toBe('weather');
  });

  it.each(Object.entries(SERVICES))('Service %s: its port by name, selecting app only', (name, want) => {
    const svc = of('Service').find((o) => o.metadata.name === name)!;
    expect(svc.spec).toEqual({ type: 'ClusterIP', selector: { app: name }, ports: [{ name: want.portName, port: want.port, targetPort: want.port, protocol: 'TCP' }] });
  });

  it.each(of('Deployment').map((d) => [d.metadata.name, d] as const))('Deployment %s: app/version labels, image, env, named port, readiness probe', (name, d) => {
    const [, app, version] = /^(.+)-(v\d+)$/.exec(name)!;
    const want = SERVICES[app!]!;
    const labels = { app, version };
    expect(d.metadata.labels).toEqual(labels);
    expect(d.spec.replicas).toBe(1);
    expect(d.spec.selector).toEqual({ matchLabels: labels });
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    expect(d.spec.template.metadata.labels).toEqual(labels);
    expect(d.spec.template.spec.serviceAccountName).toBe(`weather-${app}`);
    const annotations: Record<string, string> | undefined =
      app === 'status-board'
        ? { 'sidecar.istio.io/inject': 'false' }
        : app === 'frontend' || app === 'forecast'
          ? { 'sidecar.istio.io/statsInclusionPrefixes': 'cluster.outbound,cluster.inbound,listener' }
          : undefined;
    expect(d.spec.template.metadata.annotations).toEqual(annotations);
    const [c, ...more] = d.spec.template.spec.containers;
    expect(more).toEqual([]);
    expect(c.image).toBe(`weft/weather-${app}:${version}`);
    expect(c.ports).toEqual([{ name: want.portName, containerPort: want.port, protocol: 'TCP' }]);
    expect(c.env).toEqual(expect.arrayContaining([{ name: 'VERSION', value: version }, { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }]));
    expect(c.readinessProbe).toMatchObject(app === 'tcp-echo' ? { tcpSocket: { port: want.port } } : { httpGet: { path: '/healthz', port: want.port } });
  });

  it('maps every image to a script in apps/ through local-images.yaml', () => {
    const map = parse(readFileSync(join(SAMPLE, 'local-images.yaml'), 'utf8')) as { images: Record<string, { command: string[] }> };
    const images = of('Deployment').flatMap((d) => d.spec.template.spec.containers.map((c: { image: string }) => c.image));
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) {
      const entry = map.images[image] ?? map.images[image.slice(0, image.lastIndexOf(':'))];
      expect(entry, image).toBeDefined();
      const [node, script, ...rest] = entry!.command;
      expect([node, rest], image).toEqual(['node', []]);
      expect(existsSync(join(SAMPLE, script!)), `${image} → ${script}`).toBe(true);
    }
  });
});

describe('the platform and weftctl validate', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'weft-weather-config-'));
  afterAll(() => rmSync(stateDir, { recursive: true, force: true }));

  it('`weftctl local apply` accepts kube/ and istio/ with the image map (it validates before it looks for a platform)', async () => {
    const r = await run(process.execPath, [WEFTCTL, 'local', 'apply', '-f', join(SAMPLE, 'kube'), '-f', join(SAMPLE, 'istio'), '--state-dir', join(stateDir, 'none')]);
    expect(r.stderr).not.toMatch(/error:|warning:/);
    expect(r.stderr).toMatch(/no platform is running/);
  });

  it('`weftctl validate` passes every file of istio/ and scenarios/ with no error or warning', async () => {
    const r = await run(process.execPath, [WEFTCTL, 'validate', '-f', join(SAMPLE, 'istio'), '-f', join(SAMPLE, 'scenarios'), '-o', 'json']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { valid: boolean; files: { source: string; objects: number; errors: unknown[]; warnings: unknown[] }[] };
    expect(report.valid).toBe(true);
    expect(report.files.map((f) => f.source).sort()).toEqual([...yamlFiles('istio'), ...yamlFiles('scenarios')].sort());
    for (const f of report.files) {
      expect(f.objects, f.source).toBeGreaterThan(0);
      expect([f.errors, f.warnings], f.source).toEqual([[], []]);
    }
  });

  it('`weftctl validate` fails a scenario with a field Istio 1.3 does not have', async () => {
    const bad = readFileSync(join(SAMPLE, 'scenarios', 'forecast-mirror.yaml'), 'utf8').replace('    mirror:\n', '    mirrorPercentage: {value: 50}\n    mirrors:\n');
    const r = await run(process.execPath, [WEFTCTL, 'validate', '-f', '-'], bad);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/spec\.http\[0\]\.mirrors/);
  });
});

describe('istio/ and scenarios/', () => {
  const all = [...istio, ...scenarios];
  const services = new Set(of('Service').map((o) => o.metadata.name));
  const podLabels = of('Deployment').map((d) => d.spec.template.metadata.labels as Record<string, string>);

  it('use networking.istio.io/v1alpha3 in the weather namespace, for hosts that are Services in kube/', () => {
    for (const o of all) {
      expect(o.apiVersion, key(o)).toBe('networking.istio.io/v1alpha3');
      expect(o.metadata.namespace, key(o)).toBe('weather');
      if (o.kind === 'DestinationRule') expect(services.has(o.spec.host), key(o)).toBe(true);
      if (o.kind === 'VirtualService') for (const h of o.spec.hosts) expect(h === '*' || services.has(h), `${key(o)} host ${h}`).toBe(true);
    }
  });

  it('every scenario object replaces one that istio/ defines (same kind and name)', () => {
    const base = new Set(istio.map(key));
    for (const o of scenarios) expect(base.has(key(o)), `${o.file}: ${key(o)}`).toBe(true);
  });

  it('routes only to subsets that are defined and have pods', () => {
    const baseRules = istio.filter((o) => o.kind === 'DestinationRule');
    for (const o of all.filter((x) => x.kind === 'VirtualService')) {
      // A DestinationRule in the same file replaces the base one of the same name.
      const own = all.filter((x) => x.file === o.file && x.kind === 'DestinationRule');
      const rules = [...own, ...baseRules.filter((b) => !own.some((x) => key(x) === key(b)))];
      const routes = [...(o.spec.http ?? []), ...(o.spec.tcp ?? [])];
      const destinations = routes.flatMap((r: any) => [...(r.route ?? []).map((d: any) => d.destination), ...(r.mirror ? [r.mirror] : [])]);
      expect(destinations.length + routes.filter((r: any) => r.redirect).length, key(o)).toBeGreaterThan(0);
      for (const d of destinations) {
        expect(services.has(d.host), `${o.file}: ${d.host}`).toBe(true);
        if (!d.subset) continue;
        const subset = rules.find((r) => r.spec.host === d.host)?.spec.subsets?.find((s: any) => s.name === d.subset);
        expect(subset, `${o.file}: ${d.host} subset ${d.subset}`).toBeDefined();
        const selected = podLabels.some((l) => l['app'] === d.host && Object.entries(subset.labels as Record<string, string>).every(([k, v]) => l[k] === v));
        expect(selected, `${o.file}: no pod in ${d.host} subset ${d.subset}`).toBe(true);
      }
    }
  });

  it('the gateway serves HTTP on 80 to the frontend and TCP on 31400 to tcp-echo', () => {
    const gw = istio.find((o) => o.kind === 'Gateway')!;
    expect(gw.metadata.name).toBe('weather-gateway');
    expect(gw.spec.selector).toEqual({ istio: 'ingressgateway' });
    expect(gw.spec.servers.map((s: any) => [s.port.number, s.port.protocol])).toEqual([
      [80, 'HTTP'],
      [31400, 'TCP'],
    ]);
    const front = istio.find((o) => key(o) === 'VirtualService/frontend-route')!;
    expect(front.spec.gateways).toEqual(['weather-gateway']);
    expect(front.spec.http[0].route[0].destination).toMatchObject({ host: 'frontend', subset: 'v1' });
  });

  it('the scenarios README lists every scenario file, and the sample README points to it', () => {
    const readme = readFileSync(join(SAMPLE, 'scenarios', 'README.md'), 'utf8');
    for (const f of yamlFiles('scenarios')) expect(readme, f).toContain(f.slice(f.lastIndexOf('/') + 1));
    expect(readFileSync(join(SAMPLE, 'README.md'), 'utf8')).toContain('scenarios/README.md');
  });
});
