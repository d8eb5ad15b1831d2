import { loadProtoRegistry, TypeUrl } from '@weft/api';
import { silentLogger } from '@weft/base';
import { SnapshotCache } from '@weft/xds';
import { describe, expect, it } from 'vitest';
import { snapshotFromYaml } from '../../test/fixtures/snapshot.js';
import { outboundShareKey, type GeneratorContext } from '../networking/generator.js';
import { defaultGenerators } from './default-generators.js';
import { Discovery } from './discovery.js';
import type { GeneratorSets } from './generators.js';
import { pushRequest } from './push-request.js';

const registry = loadProtoRegistry();

const YAML = `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 8080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.3.0.5}]
---
apiVersion: networking.istio.io/v1alpha3
kind: Sidecar
metadata: {name: narrow, namespace: shop}
spec:
  workloadSelector: {labels: {app: narrow}}
  egress: [{hosts: ["istio-system/*"]}]
`;

function node(ip: string, pod: string, ns: string, labels: Record<string, string> = {}) {
  const fields = Object.fromEntries(Object.entries(labels).map(([k, v]) => [k, { string_value: v }]));
  return { id: `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`, cluster: pod, metadata: { fields: { LABELS: { struct_value: { fields } } } } };
}

/** The default generators, recording the context each call got. */
function recording(): { sets: GeneratorSets; calls: GeneratorContext[] } {
  const calls: GeneratorContext[] = [];
  const base = defaultGenerators();
  const wrap = (m: GeneratorSets['envoy']) => new Map([...m].map(([t, g]) => [t, (ctx: GeneratorContext, names?: readonly string[]) => (t === TypeUrl.Cluster && calls.push(ctx), g(ctx, names))]));
  return { sets: { envoy: wrap(base.envoy), grpc: wrap(base.grpc) }, calls };
}

describe('Discovery: work shared across proxies', () => {
  it('gives every proxy of one push the same shared map and scope per outbound key, and a fresh map to the next push', async () => {
    const { sets, calls } = recording();
    const cache = new SnapshotCache({});
    const d = new Discovery({ registry, cache, generators: sets, logger: silentLogger() });
    d.connect({ id: 1, peer: 'p', node: node('10.1.0.1', 'a', 'shop') } as never);
    d.connect({ id: 2, peer: 'p', node: node('10.1.0.2', 'b', 'shop') } as never);
    d.connect({ id: 3, peer: 'p', node: node('10.1.0.3', 'c', 'shop', { app: 'narrow' }) } as never);
    d.connect({ id: 4, peer: 'p', node: node('10.1.0.4', 'd', 'other') } as never);
    await d.push(snapshotFromYaml(YAML), pushRequest('test', 0));
    expect(calls).toHaveLength(4);
    const [a, b, c, other] = calls as [GeneratorContext, GeneratorContext, GeneratorContext, GeneratorContext];
    expect(a.shared).toBeDefined();
    expect(new Set(calls.map((x) => x.shared)).size).toBe(1);
    // Same namespace and Sidecar: one scope object and one key; another Sidecar or namespace: not.
    expect(a.scope).toBe(b.scope);
    expect(outboundShareKey(a)).toBe(outboundShareKey(b));
    expect(c.scope).not.toBe(a.scope);
    expect(outboundShareKey(c)).not.toBe(outboundShareKey(a));
    expect(outboundShareKey(other)).not.toBe(outboundShareKey(a));
    // The narrow Sidecar hides cart: sharing did not leak a's clusters into c's.
    const clusters = (id: number) => [...(cache.getSnapshot(d.proxies().find((p) => p.streams.has(id))!.group)?.resources(TypeUrl.Cluster).keys() ?? [])];
    expect(clusters(1)).toContain('outbound|8080||cart.shop.svc.cluster.local');
    expect(clusters(3)).not.toContain('outbound|8080||cart.shop.svc.cluster.local');
    // Shared outbound clusters are the same encoded resource for a and b.
    const snap = (id: number) => cache.getSnapshot(d.proxies().find((p) => p.streams.has(id))!.group)!;
    expect(snap(1).resources(TypeUrl.Cluster).get('outbound|8080||cart.shop.svc.cluster.local')).toBe(snap(2).resources(TypeUrl.Cluster).get('outbound|8080||cart.shop.svc.cluster.local'));
    // Groups with equal content share one map per type, not one each.
    expect(snap(1).resources(TypeUrl.ClusterLoadAssignment)).toBe(snap(2).resources(TypeUrl.ClusterLoadAssignment));
    await d.push(snapshotFromYaml(YAML.replace('10.3.0.5', '10.3.0.6')), pushRequest('test', 0));
    expect(calls[4]?.shared).toBeDefined();
    expect(calls[4]?.shared).not.toBe(a.shared);
    // An incremental push: one new assignment, still one shared map for a and b.
    const eds = { ...pushRequest('test', 0), full: false, edsUpdates: new Set(['cart.shop.svc.cluster.local']) };
    const mesh = snapshotFromYaml(YAML.replace('10.3.0.5', '10.3.0.7'));
    const status = await d.push(mesh, eds);
    // a, b and d (another namespace, same content: one encoding) hold cart; c's Sidecar hides it.
    expect(status).toMatchObject({ scope: 'eds', groupsChanged: 3, resourcesGenerated: 1 });
    const cla = snap(1).resources(TypeUrl.ClusterLoadAssignment);
    expect(cla).toBe(snap(2).resources(TypeUrl.ClusterLoadAssignment));
    expect(JSON.stringify(registry.unpack(cla.get('outbound|8080||cart.shop.svc.cluster.local')!.packed))).toContain('10.3.0.7');
  });

  it('generates in slices, so what is published goes out while the rest is generated', async () => {
    const cache = new SnapshotCache({});
    const d = new Discovery({ registry, cache, generators: defaultGenerators(), logger: silentLogger(), sliceMs: 0 });
    for (let i = 1; i <= 5; i++) d.connect({ id: i, peer: 'p', node: node(`10.1.0.${i}`, `p${i}`, 'shop') } as never);
    const published = () => d.proxies().filter((p) => cache.getSnapshot(p.group)).length;
    const pushing = d.push(snapshotFromYaml(YAML), pushRequest('test', 0));
    expect(published()).toBe(0);
    await new Promise((r) => setImmediate(r));
    expect(published()).toBeGreaterThan(0);
    expect(published()).toBeLessThan(5);
    // A proxy that leaves mid-push is skipped; the others all get their snapshot.
    d.disconnect({ id: 5, peer: 'p', node: node('10.1.0.5', 'p5', 'shop') } as never);
    const status = await pushing;
    expect(published()).toBe(4);
    expect(status.groupsChanged).toBeLessThanOrEqual(4);
  });

  it('keeps routes and outbound listeners apart by workload labels when a VirtualService matches on sourceLabels', async () => {
    const vs = `${YAML}---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart.shop.svc.cluster.local]
  http:
  - match: [{sourceLabels: {app: special}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: cart.shop.svc.cluster.local}}]
  - route: [{destination: {host: cart.shop.svc.cluster.local}}]
`;
    const cache = new SnapshotCache({});
    const d = new Discovery({ registry, cache, generators: defaultGenerators(), logger: silentLogger() });
    d.connect({ id: 1, peer: 'p', node: node('10.1.0.1', 'a', 'shop', { app: 'special' }) } as never);
    d.connect({ id: 2, peer: 'p', node: node('10.1.0.2', 'b', 'shop', { app: 'plain' }) } as never);
    d.connect({ id: 3, peer: 'p', node: node('10.1.0.3', 'c', 'shop', { app: 'plain' }) } as never);
    await d.push(snapshotFromYaml(vs), pushRequest('test', 0));
    const route = (id: number) => cache.getSnapshot(d.proxies().find((p) => p.streams.has(id))!.group)!.resources(TypeUrl.RouteConfiguration).get('8080');
    const cartRoutes = (id: number) =>
      (registry.unpack(route(id)!.packed) as { virtual_hosts: { domains: string[]; routes: unknown[] }[] }).virtual_hosts.find((v) => v.domains.includes('cart.shop.svc.cluster.local'))?.routes.length;
    // The sourceLabels route is there for the special workload only.
    expect(cartRoutes(1)).toBe(2);
    expect(cartRoutes(2)).toBe(1);
    expect(route(2)).toBe(route(3));
  });

  it('a push limited to some types keeps the others from the snapshot in force, without generating them', async () => {
    const { sets, calls } = recording();
    const cache = new SnapshotCache({});
    const d = new Discovery({ registry, cache, generators: sets, logger: silentLogger() });
    d.connect({ id: 1, peer: 'p', node: node('10.1.0.1', 'a', 'shop') } as never);
    await d.push(snapshotFromYaml(YAML), pushRequest('test', 0));
    const group = d.proxies()[0]!.group;
    const before = cache.getSnapshot(group)!;
    expect(calls).toHaveLength(1);
    const routing = { ...pushRequest('test', 0), types: new Set([TypeUrl.Listener, TypeUrl.RouteConfiguration]) };
    // Even a mesh with another endpoint: CDS and EDS are not regenerated when the request says so.
    const status = await d.push(snapshotFromYaml(YAML.replace('10.3.0.5', '10.3.0.9')), routing);
    expect(calls).toHaveLength(1);
    expect(status.types).toEqual(['LDS', 'RDS']);
    const after = cache.getSnapshot(group)!;
    expect(after.resources(TypeUrl.ClusterLoadAssignment)).toBe(before.resources(TypeUrl.ClusterLoadAssignment));
    expect(after.typeVersion(TypeUrl.Cluster)).toBe(before.typeVersion(TypeUrl.Cluster));
  });

  it('keeps the very Resource of a route config whose content did not change across pushes, and makes a new one when it did', async () => {
    const cache = new SnapshotCache({});
    const d = new Discovery({ registry, cache, generators: defaultGenerators(), logger: silentLogger() });
    d.connect({ id: 1, peer: 'p', node: node('10.1.0.1', 'a', 'shop') } as never);
    const route = () => cache.getSnapshot(d.proxies()[0]!.group)!.resources(TypeUrl.RouteConfiguration).get('8080');
    await d.push(snapshotFromYaml(YAML), pushRequest('test', 0));
    const first = route();
    expect(first).toBeDefined();
    // The same config again, pushed in full: a new object graph, the same bytes, the same Resource
    // (streams then share its encoding, and its version stays).
    await d.push(snapshotFromYaml(YAML), pushRequest('test', 0));
    expect(route()).toBe(first);
    const vs = `${YAML}---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart.shop.svc.cluster.local]
  http:
  - timeout: 3s
    route: [{destination: {host: cart.shop.svc.cluster.local}}]
`;
    await d.push(snapshotFromYaml(vs), pushRequest('test', 0));
    expect(route()).not.toBe(first);
    expect(route()!.version).not.toBe(first!.version);
  });
});
