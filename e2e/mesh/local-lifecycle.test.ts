// Story: `weftctl local down` stops a running platform from another shell, and after a crash (the
// platform's own processes killed with SIGKILL) `down` still removes everything that run created.
// And Istio's `istio` ConfigMap in istio-system is the mesh config Pilot runs with: `accessLogFile: ""`
// takes the access log off every sidecar's HTTP connection managers (Pilot's default logs to stdout).
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/workspace.js';
import { eventually, freePort, leftovers, LocalMesh, SAMPLE, WEFTCTL, type PodStatus } from './local-mesh.js';

const isRoot = process.getuid?.() === 0;
let tmp = '';
let manifests = '';
let meshConfigDir = '';
const started: LocalMesh[] = [];

const meshConfigMap = (accessLogFile: string) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
data:
  mesh: |-
    accessLogFile: ${JSON.stringify(accessLogFile)}
    enableTracing: true
  meshNetworks: |-
    networks: {}
`;

beforeAll(async () => {
  if (!isRoot) return;
  tmp = await mkdtemp(join(tmpdir(), 'weft-life-'));
  await chmod(tmp, 0o711);
  // A small mesh: the namespace, forecast (meshed) and status-board (inject "false").
  manifests = join(tmp, 'kube');
  await mkdir(manifests);
  for (const f of ['00-namespace.yaml', 'forecast.yaml', 'status-board.yaml']) await copyFile(join(SAMPLE, 'kube', f), join(manifests, f));
  // The same mesh with the mesh config as Istio's Helm chart installs it (access logs off).
  meshConfigDir = join(tmp, 'mesh-config');
  await mkdir(meshConfigDir);
  await writeFile(join(meshConfigDir, 'istio-mesh-config.yaml'), meshConfigMap(''));
});

afterAll(async () => {
  if (!isRoot) return;
  // A test that failed before its own `down` leaves its platform running: stop it before its state goes.
  for (const mesh of started) await mesh.cli(['down']).catch(() => undefined);
  await rm(tmp, { recursive: true, force: true });
});

async function newMesh(name: string, dirs: readonly string[] = [manifests]): Promise<LocalMesh> {
  const mesh = new LocalMesh(join(tmp, name), { http: await freePort(), https: await freePort(), tcp: await freePort() });
  started.push(mesh);
  await mesh.up(dirs, 300_000, ['--images', join(SAMPLE, 'local-images.yaml')]);
  return mesh;
}

/**
 * The HTTP connection managers of the listeners Pilot sent a sidecar (in its /config_dump; the
 * bootstrap's own listener, prometheus_stats, is not Pilot's), and how many have an access log.
 */
async function httpAccessLogs(mesh: LocalMesh, pod: PodStatus): Promise<{ managers: number; logged: number }> {
  const r = await mesh.exec(pod, ['curl', '-s', '--max-time', '5', 'http://127.0.0.1:15000/config_dump']);
  if (r.code !== 0) throw new Error(`config_dump of ${pod.name}: ${r.stderr}`);
  type Dump = { configs: { '@type': string; bootstrap?: { staticResources?: { listeners?: { name: string }[] } }; dynamicListeners?: { name: string }[] }[] };
  const { configs } = JSON.parse(r.stdout) as Dump;
  const bootstrap = new Set(configs.flatMap((c) => c.bootstrap?.staticResources?.listeners ?? []).map((l) => l.name));
  const fromPilot = configs.flatMap((c) => c.dynamicListeners ?? []).filter((l) => !bootstrap.has(l.name));
  const managers: Record<string, unknown>[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === 'object' && v !== null) {
      const o = v as Record<string, unknown>;
      if (String(o['@type']).endsWith('.HttpConnectionManager')) managers.push(o);
      Object.values(o).forEach(walk);
    }
  };
  walk(fromPilot);
  return { managers: managers.length, logged: managers.filter((m) => Array.isArray(m['accessLog']) && m['accessLog'].length > 0).length };
}

describe.skipIf(!isRoot)('weftctl local down and crash recovery (needs root)', () => {
  it('down from another process stops up, which exits 0, and nothing is left', async () => {
    const mesh = await newMesh('down');
    expect((await mesh.status()).pods.some((p) => p.deployment === 'status-board-v1' && !p.sidecar)).toBe(true);
    // Without the istio ConfigMap Pilot runs with Istio 1.3's defaults: every HTTP connection manager logs.
    const logs = await httpAccessLogs(mesh, await mesh.pod('forecast-v1'));
    expect(logs.managers).toBeGreaterThan(0);
    expect(logs.logged).toBe(logs.managers);
    // A second platform from another state dir is refused and leaves the running one alone.
    const refused = await run(process.execPath, [WEFTCTL, 'local', 'up', '-f', manifests, '--images', join(SAMPLE, 'local-images.yaml'), '--ingress-port', '0', '--ingress-https-port', '0', '--ingress-tcp-port', '0', '--state-dir', join(tmp, 'second')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('another platform is running on this machine');
    expect((await mesh.status()).ready).toBe(true);
    const r = await mesh.cli(['down']);
    expect(r.code, r.stderr).toBe(0);
    expect(await mesh.exited()).toBe(0);
    expect(await leftovers(mesh.stateDir)).toEqual({ netns: [], links: [], rules: [], hosts: [], files: [], processes: [] });
  });

  it('after a crash (the platform SIGKILLed, pods still running) down removes everything', async () => {
    const mesh = await newMesh('crash');
    const state = JSON.parse(await readFile(join(mesh.stateDir, 'state.json'), 'utf8')) as { outerPid: number; innerPid?: number };
    for (const pid of [state.innerPid, state.outerPid]) if (pid) process.kill(pid, 'SIGKILL');
    await mesh.exited();
    // Pods outlive the platform: that is what a crash leaves.
    expect((await leftovers(mesh.stateDir))['netns']?.length).toBeGreaterThan(0);
    const r = await mesh.cli(['down']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    await eventually('no leftovers', async () => {
      const l = await leftovers(mesh.stateDir);
      return Object.values(l).every((v) => v.length === 0) ? l : undefined;
    }, 30_000);
  });

  it('the istio ConfigMap is the mesh config: accessLogFile "" leaves no access log; apply takes it unchanged and refuses a change', async () => {
    const mesh = await newMesh('mesh', [manifests, meshConfigDir]);
    try {
      expect(mesh.stdout).toContain('mesh config from ConfigMap istio-system/istio');
      const forecast = await mesh.pod('forecast-v1');
      const logs = await httpAccessLogs(mesh, forecast);
      expect(logs.managers).toBeGreaterThan(0);
      expect(logs.logged).toBe(0);
      const same = await mesh.cli(['apply', '-f', meshConfigDir]);
      expect(same.code, same.stderr).toBe(0);
      expect(same.stdout).toContain('configmap/istio (istio-system) unchanged');
      const changed = join(tmp, 'mesh-config-changed.yaml');
      await writeFile(changed, meshConfigMap('/dev/stdout'));
      const refused = await mesh.cli(['apply', '-f', changed]);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/mesh-config-changed\.yaml:7 \[doc 0\] ConfigMap\/istio data\.mesh: .*`weftctl local down`, then `weftctl local up`/);
      expect((await httpAccessLogs(mesh, forecast)).logged).toBe(0);
    } finally {
      const r = await mesh.cli(['down']);
      expect(r.code, r.stderr).toBe(0);
      expect(await mesh.exited()).toBe(0);
    }
    expect(await leftovers(mesh.stateDir)).toEqual({ netns: [], links: [], rules: [], hosts: [], files: [], processes: [] });
  });
});
