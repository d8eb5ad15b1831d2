// Pushes carry only what changed: an endpoint-only change sends EDS alone, and a proxy whose
// Sidecar scope does not include the changed service receives nothing at all.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '@weft/api';
import { accept, AdsClient, reject, type ResourceHandler } from '@weft/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type PilotProcess } from './pilot-process.js';

function serviceEntry(name: string, ns: string, vip: string, endpoint: string, resolution = 'STATIC'): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${name}.${ns}.svc.cluster.local]
  addresses: [${vip}]
  location: MESH_INTERNAL
  resolution: ${resolution}
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: ${endpoint}, labels: {app: ${name}}}]
`;
}

const SIDECAR = `apiVersion: networking.istio.io/v1alpha3
kind: Sidecar
metadata: {name: default, namespace: scoped}
spec:
  egress:
  - hosts: ["./*"]
`;

const ALL_TYPES = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration];

interface Sidecar {
  client: AdsClient;
  updates: string[];
  /** The resource names of each EDS response. */
  edsNames: string[][];
}

/** `eds` decides EDS updates (default: accept all). */
function sidecar(pod: string, ns: string, ip: string, pilot: PilotProcess, protocol: 'sotw' | 'delta' = 'sotw', eds: ResourceHandler = () => accept()): Sidecar {
  const client = new AdsClient({ target: pilot.grpc, protocol, node: { id: `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`, cluster: pod } });
  const updates: string[] = [];
  const edsNames: string[][] = [];
  for (const t of ALL_TYPES) {
    client.subscribe(
      t,
      (u) => {
        updates.push(t);
        if (t === TypeUrl.ClusterLoadAssignment) edsNames.push(u.resources.map((r) => r.name).sort());
        return t === TypeUrl.ClusterLoadAssignment ? eds(u) : accept();
      },
      t === TypeUrl.RouteConfiguration ? ['9080'] : t === TypeUrl.ClusterLoadAssignment ? ['outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080||local.scoped.svc.cluster.local'] : '*',
    );
  }
  client.start();
  return { client, updates, edsNames };
}

async function syncz(p: PilotProcess): Promise<Record<string, Record<string, string>>> {
  const rows = (await (await fetch(`http://${p.http}/debug/syncz`)).json()) as Record<string, string>[];
  return Object.fromEntries(rows.map((r) => [r['proxy'], r]));
}

let dir = '';
let pilot: PilotProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-pilot-incremental-'));
  await writeFile(join(dir, 'reviews.yaml'), serviceEntry('reviews', 'default', '10.96.0.12', '10.1.0.12'));
  await writeFile(join(dir, 'local.yaml'), serviceEntry('local', 'scoped', '10.96.0.50', '10.1.0.50'));
  await writeFile(join(dir, 'sidecar.yaml'), SIDECAR);
  pilot = await startPilot([`--configDir=${dir}`], { PILOT_DEBOUNCE_AFTER: '20ms' });
}, 60_000);

afterAll(async () => {
  await pilot?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('incremental pushes', () => {
  it.each(['sotw', 'delta'] as const)('%s: an endpoint-only change pushes one ClusterLoadAssignment alone, and only to proxies that see the service', async (protocol) => {
    const wide = sidecar(`productpage-${protocol}`, 'default', protocol === 'sotw' ? '10.1.0.10' : '10.1.0.11', pilot, protocol);
    const scoped = sidecar(`local-client-${protocol}`, 'scoped', protocol === 'sotw' ? '10.1.0.51' : '10.1.0.52', pilot, protocol);
    try {
      // Both are fully configured first (each type accepted once).
      await expect.poll(() => new Set(wide.updates).size, { timeout: 10_000 }).toBe(4);
      await expect.poll(() => new Set(scoped.updates).size, { timeout: 10_000 }).toBe(4);
      expect(scoped.client.resources(TypeUrl.Cluster).has('outbound|9080||reviews.default.svc.cluster.local')).toBe(false);
      const pushesBefore = pilot.logs.filter((l) => l['msg'] === 'push').length;
      const before = await syncz(pilot);
      // The first EDS response carried both assignments the proxy asked for.
      expect(wide.edsNames[0]).toEqual(['outbound|9080||local.scoped.svc.cluster.local', 'outbound|9080||reviews.default.svc.cluster.local']);
      wide.updates.length = 0;
      scoped.updates.length = 0;
      wide.edsNames.length = 0;

      const address = protocol === 'sotw' ? '10.1.0.99' : '10.1.0.98';
      await writeFile(join(dir, 'reviews.yaml'), serviceEntry('reviews', 'default', '10.96.0.12', address));
      await expect
        .poll(() => JSON.stringify(wide.client.resources(TypeUrl.ClusterLoadAssignment).get('outbound|9080||reviews.default.svc.cluster.local')?.value), { timeout: 10_000 })
        .toContain(address);
      // Wait until the push that carried it is logged, then check nothing else was sent.
      await expect.poll(() => pilot.logs.filter((l) => l['msg'] === 'push').length).toBeGreaterThan(pushesBefore);
      // Pilot's own record of what it sent (written synchronously with each send) shows the same.
      const after = await syncz(pilot);
      const changed = (proxy: string) =>
        ['cluster', 'endpoint', 'listener', 'route'].filter((t) => before[proxy]?.[`${t}_sent`] !== after[proxy]?.[`${t}_sent`]);
      expect(changed(`productpage-${protocol}.default`)).toEqual(['endpoint']);
      expect(changed(`local-client-${protocol}.scoped`)).toEqual([]);
      expect(wide.updates).toEqual([TypeUrl.ClusterLoadAssignment]);
      // Only the changed assignment, not every one the proxy watches (SotW allows it for EDS).
      expect(wide.edsNames).toEqual([['outbound|9080||reviews.default.svc.cluster.local']]);
      expect(scoped.updates).toEqual([]);
      const push = pilot.logs.filter((l) => l['msg'] === 'push').at(-1);
      expect(push).toMatchObject({ scope: 'eds', edsUpdates: 1 });
      const status = (await (await fetch(`http://${pilot.http}/debug/push_status`)).json()) as Record<string, unknown>;
      expect(status).toMatchObject({ scope: 'eds', edsUpdates: ['reviews.default.svc.cluster.local'] });
    } finally {
      wide.client.close();
      scoped.client.close();
    }
  });

  it('an endpoint change that other types read is a full push: a DNS service, or an endpoint at a connected proxy', async () => {
    await writeFile(join(dir, 'dns.yaml'), serviceEntry('dns', 'default', '10.96.0.60', 'a.example.com', 'DNS'));
    const proxy = sidecar('dns-client', 'default', '10.1.0.70', pilot);
    const dnsCluster = 'outbound|9080||dns.default.svc.cluster.local';
    try {
      await expect.poll(() => proxy.client.resources(TypeUrl.Cluster).has(dnsCluster), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => new Set(proxy.updates).size, { timeout: 10_000 }).toBe(4);
      proxy.updates.length = 0;
      // STRICT_DNS clusters carry their endpoints inline: CDS must be resent.
      await writeFile(join(dir, 'dns.yaml'), serviceEntry('dns', 'default', '10.96.0.60', 'b.example.com', 'DNS'));
      await expect.poll(() => JSON.stringify(proxy.client.resources(TypeUrl.Cluster).get(dnsCluster)?.value), { timeout: 10_000 }).toContain('b.example.com');
      expect(pilot.logs.filter((l) => l['msg'] === 'push').at(-1)).toMatchObject({ scope: 'full', why: 'endpoints of DNS service dns.default.svc.cluster.local' });
      // An endpoint moving onto the proxy's own address changes its inbound side: full push.
      await writeFile(join(dir, 'reviews.yaml'), serviceEntry('reviews', 'default', '10.96.0.12', '10.1.0.70'));
      await expect.poll(() => pilot.logs.filter((l) => l['msg'] === 'push').at(-1)?.['why'], { timeout: 10_000 }).toBe('endpoint of a connected proxy (10.1.0.70)');
      await expect.poll(() => [...proxy.client.resources(TypeUrl.Cluster).keys()].some((n) => n.startsWith('inbound|')), { timeout: 10_000 }).toBe(true);
    } finally {
      proxy.client.close();
    }
  });

  it('a VirtualService weight change regenerates listeners and routes only, and sends only the changed route', async () => {
    const vs = (weight: number) => `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  http: [{route: [{destination: {host: reviews.default.svc.cluster.local}, weight: ${weight}}, {destination: {host: local.scoped.svc.cluster.local}, weight: ${100 - weight}}]}]
`;
    await writeFile(join(dir, 'vs.yaml'), vs(90));
    const proxy = sidecar('vs-client', 'default', '10.1.0.80', pilot);
    const weightOf = () => JSON.stringify(proxy.client.resources(TypeUrl.RouteConfiguration).get('9080')?.value);
    try {
      await expect.poll(weightOf, { timeout: 10_000 }).toContain('"value":90');
      await expect.poll(() => new Set(proxy.updates).size, { timeout: 10_000 }).toBe(4);
      proxy.updates.length = 0;
      const pushes = pilot.logs.filter((l) => l['msg'] === 'push').length;
      await writeFile(join(dir, 'vs.yaml'), vs(70));
      await expect.poll(weightOf, { timeout: 10_000 }).toContain('"value":70');
      await expect.poll(() => pilot.logs.filter((l) => l['msg'] === 'push').length).toBeGreaterThan(pushes);
      expect(pilot.logs.filter((l) => l['msg'] === 'push').at(-1)).toMatchObject({ scope: 'full', why: 'config (VirtualService)', types: ['LDS', 'RDS'] });
      expect(proxy.updates).toEqual([TypeUrl.RouteConfiguration]);
    } finally {
      proxy.client.close();
      await rm(join(dir, 'vs.yaml'), { force: true });
    }
  });
});

interface ResourceRow {
  name: string;
  version: string;
  status: string;
  ackedVersion?: string;
  nonce: string;
  error?: { code: number; message: string };
}

describe('/debug/syncz?proxyID=', () => {
  it.each(['sotw', 'delta'] as const)('%s: shows the one ClusterLoadAssignment the proxy NACKed as NACKED with its error, then ACKED once a later one is accepted', async (protocol) => {
    const ip = protocol === 'sotw' ? '10.1.0.90' : '10.1.0.91';
    const rejected = protocol === 'sotw' ? '10.1.0.92' : '10.1.0.93';
    const accepted = protocol === 'sotw' ? '10.1.0.94' : '10.1.0.95';
    const pod = `nack-client-${protocol}`;
    const proxy = sidecar(pod, 'default', ip, pilot, protocol, (u) => (JSON.stringify(u.resources.map((r) => r.value)).includes(rejected) ? reject(`endpoint ${rejected} refused`) : accept()));
    const reviews = 'outbound|9080||reviews.default.svc.cluster.local';
    const local = 'outbound|9080||local.scoped.svc.cluster.local';
    const endpointsOf = async (id: string) => {
      const res = await fetch(`http://${pilot.http}/debug/syncz?proxyID=${encodeURIComponent(id)}`);
      expect(res.status).toBe(200);
      const rows = (await res.json()) as { proxy: string; resources: Record<'cluster' | 'listener' | 'route' | 'endpoint', ResourceRow[]> }[];
      expect(rows.map((r) => r.proxy)).toEqual([`${pod}.default`]);
      const [row] = rows;
      if (!row) throw new Error(`no syncz row for ${id}`);
      return row.resources;
    };
    const state = async () => Object.fromEntries((await endpointsOf(`${pod}.default`)).endpoint.map((r) => [r.name, [r.status, r.error?.message ?? '']]));
    try {
      await expect.poll(state, { timeout: 10_000 }).toEqual({ [local]: ['ACKED', ''], [reviews]: ['ACKED', ''] });
      const all = await endpointsOf(`sidecar~${ip}~${pod}.default~default.svc.cluster.local`);
      expect(Object.keys(all).sort()).toEqual(['cluster', 'endpoint', 'listener', 'route']);
      expect(all.cluster.length).toBeGreaterThan(0);
      expect(all.cluster.every((r) => r.status === 'ACKED' && r.ackedVersion === r.version)).toBe(true);
      expect(all.route.map((r) => [r.name, r.status])).toEqual([['9080', 'ACKED']]);

      await writeFile(join(dir, 'reviews.yaml'), serviceEntry('reviews', 'default', '10.96.0.12', rejected));
      await expect.poll(state, { timeout: 10_000 }).toEqual({ [local]: ['ACKED', ''], [reviews]: ['NACKED', `endpoint ${rejected} refused`] });
      const nacked = (await endpointsOf(`${pod}.default`)).endpoint.find((r) => r.name === reviews);
      expect(nacked?.error).toEqual({ code: 3, message: `endpoint ${rejected} refused` });
      expect(JSON.stringify(proxy.client.resources(TypeUrl.ClusterLoadAssignment).get(reviews)?.value)).not.toContain(rejected);

      await writeFile(join(dir, 'reviews.yaml'), serviceEntry('reviews', 'default', '10.96.0.12', accepted));
      await expect.poll(() => JSON.stringify(proxy.client.resources(TypeUrl.ClusterLoadAssignment).get(reviews)?.value), { timeout: 10_000 }).toContain(accepted);
      await expect.poll(state, { timeout: 10_000 }).toEqual({ [local]: ['ACKED', ''], [reviews]: ['ACKED', ''] });
    } finally {
      proxy.client.close();
    }
  });

  it('answers 404 with a JSON error naming a proxy that is not connected', async () => {
    const res = await fetch(`http://${pilot.http}/debug/syncz?proxyID=nobody.default`);
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'Proxy not connected to this Pilot instance', proxyID: 'nobody.default' });
  });
});
