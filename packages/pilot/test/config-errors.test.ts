// Bad config never reaches a proxy: an invalid file is rejected with its error paths (log and
// /debug/configz), the last good config stays in force, and a fix is picked up. A sidecar (our ADS
// client, SotW and Delta) sees exactly what the valid config defines; /debug/config_dump mirrors it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '@weft/api';
import { accept, AdsClient } from '@weft/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type PilotProcess } from './pilot-process.js';

const SERVICE = `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings.default.svc.cluster.local]
  addresses: [10.96.0.13]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints:
  - {address: 10.1.0.15, labels: {app: ratings, version: v1}}
  - {address: 10.1.0.16, labels: {app: ratings, version: v2}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: ratings, namespace: default}
spec:
  host: ratings
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
`;

const BAD_ROUTES = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings, subset: v1}
      weight: 50
    - destination: {host: ratings, subset: v2}
      weight: 40
    timeot: 3s
`;

const GOOD_ROUTES = BAD_ROUTES.replace('weight: 40', 'weight: 50').replace('    timeot: 3s\n', '    timeout: 3s\n');

const NODE = { id: 'sidecar~10.1.0.10~productpage-v1-abc.default~default.svc.cluster.local', cluster: 'productpage.default', metadata: { fields: { LABELS: { struct_value: { fields: { app: { string_value: 'productpage' } } } } } } };

let dir = '';
let pilot: PilotProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-pilot-config-'));
  await writeFile(join(dir, 'ratings.yaml'), SERVICE);
  await writeFile(join(dir, 'routes.yaml'), BAD_ROUTES);
  pilot = await startPilot([`--configDir=${dir}`], { PILOT_DEBOUNCE_AFTER: '20ms' });
}, 60_000);

afterAll(async () => {
  await pilot?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function routeClusters(route: Record<string, any>): string[] {
  const vh = (route['virtual_hosts'] as any[]).find((v) => v.name === 'ratings.default.svc.cluster.local:9080');
  return (vh?.routes ?? []).flatMap((r: any) => (r.route?.weighted_clusters?.clusters ?? (r.route?.cluster ? [{ name: r.route.cluster }] : [])).map((c: any) => c.name));
}

describe('config errors', () => {
  it('rejects the invalid file with every error path, in the log and /debug/configz', async () => {
    const configz = (await (await fetch(`http://${pilot.http}/debug/configz`)).json()) as { rejected: { source: string; errors: { path: string }[] }[]; configs: { kind: string }[] };
    expect(configz.rejected).toHaveLength(1);
    expect(configz.rejected[0]!.source).toBe('routes.yaml');
    expect(configz.rejected[0]!.errors.map((e) => e.path)).toEqual(['spec.http[0].route', 'spec.http[0].timeot']);
    expect(configz.configs.map((c) => c.kind).sort()).toEqual(['DestinationRule', 'ServiceEntry']);
    const logged = pilot.logs.find((l) => l['msg'] === 'config file rejected');
    expect(JSON.stringify(logged)).toContain('spec.http[0].route');
    expect(JSON.stringify(logged)).toContain('spec.http[0].timeot');
  });

  it.each(['sotw', 'delta'] as const)('a sidecar over %s ADS gets only the valid config, then the fix', async (protocol) => {
    const client = new AdsClient({ target: pilot.grpc, node: NODE, protocol });
    for (const t of [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration]) {
      client.subscribe(t, () => accept(), t === TypeUrl.RouteConfiguration ? ['9080'] : t === TypeUrl.ClusterLoadAssignment ? ['outbound|9080|v1|ratings.default.svc.cluster.local'] : '*');
    }
    client.start();
    try {
      await expect.poll(() => client.resources(TypeUrl.Cluster).has('outbound|9080|v2|ratings.default.svc.cluster.local'), { timeout: 10_000 }).toBe(true);
      await expect.poll(() => client.resources(TypeUrl.RouteConfiguration).has('9080'), { timeout: 10_000 }).toBe(true);
      // Without the (rejected) VirtualService, traffic goes to the whole service.
      expect(routeClusters(client.resources(TypeUrl.RouteConfiguration).get('9080')!.value)).toEqual(['outbound|9080||ratings.default.svc.cluster.local']);
      const eds = client.resources(TypeUrl.ClusterLoadAssignment).get('outbound|9080|v1|ratings.default.svc.cluster.local');
      expect(JSON.stringify(eds?.value)).toContain('10.1.0.15');
      expect(JSON.stringify(eds?.value)).not.toContain('10.1.0.16');
    } finally {
      client.close();
    }
  });

  it('serves /debug/config_dump for a connected proxy and 404 for an unknown one', async () => {
    const client = new AdsClient({ target: pilot.grpc, node: NODE });
    client.subscribe(TypeUrl.Cluster, () => accept(), '*');
    client.start();
    try {
      await expect.poll(() => client.resources(TypeUrl.Cluster).size, { timeout: 10_000 }).toBeGreaterThan(0);
      const res = await fetch(`http://${pilot.http}/debug/config_dump?proxyID=productpage-v1-abc.default`);
      expect(res.status).toBe(200);
      const dump = (await res.json()) as { configs: { '@type': string; dynamicActiveClusters?: { cluster: { name: string } }[] }[] };
      expect(dump.configs.map((c) => c['@type'])).toContain('type.googleapis.com/envoy.admin.v3.ClustersConfigDump');
      const clusters = dump.configs.find((c) => c.dynamicActiveClusters)?.dynamicActiveClusters?.map((c) => c.cluster.name) ?? [];
      expect(clusters).toContain('outbound|9080|v1|ratings.default.svc.cluster.local');
      const missing = await fetch(`http://${pilot.http}/debug/config_dump?proxyID=nobody.default`);
      expect(missing.status).toBe(404);
      expect(await missing.text()).toContain('Proxy not connected to this Pilot instance');
    } finally {
      client.close();
    }
  });

  it('picks up the fixed file and routes by weight', async () => {
    const client = new AdsClient({ target: pilot.grpc, node: NODE });
    client.subscribe(TypeUrl.Listener, () => accept(), '*');
    client.subscribe(TypeUrl.RouteConfiguration, () => accept(), ['9080']);
    client.start();
    try {
      await expect.poll(() => client.resources(TypeUrl.RouteConfiguration).has('9080'), { timeout: 10_000 }).toBe(true);
      await writeFile(join(dir, 'routes.yaml'), GOOD_ROUTES);
      await expect
        .poll(() => routeClusters(client.resources(TypeUrl.RouteConfiguration).get('9080')!.value), { timeout: 10_000 })
        .toEqual(['outbound|9080|v1|ratings.default.svc.cluster.local', 'outbound|9080|v2|ratings.default.svc.cluster.local']);
      const configz = (await (await fetch(`http://${pilot.http}/debug/configz`)).json()) as { rejected: unknown[] };
      expect(configz.rejected).toEqual([]);
    } finally {
      client.close();
    }
  });
});
