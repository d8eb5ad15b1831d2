// Story: pilot-discovery + weft-proxy as an ingress gateway (node type router, labels
// istio: ingressgateway) in front of real upstream servers on 127.0.0.1, configured only by Istio YAML.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClient, type GatewayClient, type Reply } from './gateway-client.js';
import { freePort, startGateway, type Gateway } from './gateway-fixture.js';
import { httpUpstream, type HttpUpstream } from './upstreams.js';

function config(ports: { v1: number; v2: number }, gatewayPort: number): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: web, namespace: default}
spec:
  hosts: [web.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
  - {address: 127.0.0.1, ports: {http: ${ports.v1}}, labels: {version: v1}}
  - {address: 127.0.0.1, ports: {http: ${ports.v2}}, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: web, namespace: default}
spec:
  host: web.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: web-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${gatewayPort}, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - match: [{headers: {x-version: {exact: v2}}}]
    route: [{destination: {host: web.default.svc.cluster.local, subset: v2}}]
  - match: [{uri: {prefix: /old}}]
    redirect: {uri: /new, authority: web.example.com}
  - match: [{uri: {prefix: /fault}}]
    fault: {abort: {percentage: {value: 100}, httpStatus: 418}}
    route: [{destination: {host: web.default.svc.cluster.local, subset: v1}}]
  - match: [{uri: {prefix: /api/}}]
    rewrite: {uri: /v2/}
    headers:
      request: {add: {x-added: "yes"}}
      response: {add: {x-gateway: weft}}
    route: [{destination: {host: web.default.svc.cluster.local, subset: v1}}]
  - route:
    - {destination: {host: web.default.svc.cluster.local, subset: v1}, weight: 80}
    - {destination: {host: web.default.svc.cluster.local, subset: v2}, weight: 20}
`;
}

let gateway: Gateway | undefined;
let client: GatewayClient;
let gatewayPort = 0;
let admin = '';
const upstreams: HttpUpstream[] = [];

function get(path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return client.send('HTTP/1.1', { path, headers });
}

beforeAll(async () => {
  const v1 = await httpUpstream('v1');
  const v2 = await httpUpstream('v2');
  upstreams.push(v1, v2);
  gatewayPort = await freePort();
  client = gatewayClient(gatewayPort);
  gateway = await startGateway({
    story: 'gateway',
    config: config({ v1: v1.port, v2: v2.port }, gatewayPort),
    ready: async () => (await get('/')).status === 200,
  });
  admin = gateway.admin;
}, 60_000);

afterAll(async () => {
  client?.close();
  await gateway?.stop();
  for (const u of upstreams) await u.close();
});

describe('ingress gateway (pilot-discovery + weft-proxy)', () => {
  it('splits traffic 80/20 by weight within ±5% over 1000 requests', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i += 20) {
      const replies = await Promise.all(Array.from({ length: 20 }, () => get('/')));
      for (const r of replies) counts[String(r.headers['x-upstream'])] = (counts[String(r.headers['x-upstream'])] ?? 0) + 1;
    }
    expect((counts['v1'] ?? 0) + (counts['v2'] ?? 0)).toBe(1000);
    expect(counts['v1']! / 1000).toBeGreaterThanOrEqual(0.75);
    expect(counts['v1']! / 1000).toBeLessThanOrEqual(0.85);
  });

  it('pins v2 by header match', async () => {
    for (let i = 0; i < 20; i++) expect((await get('/', { 'x-version': 'v2' })).headers['x-upstream']).toBe('v2');
  });

  it('redirects', async () => {
    const r = await get('/old/page?q=1');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('http://web.example.com/new?q=1');
  });

  it('injects an abort fault', async () => {
    const r = await get('/fault');
    expect(r.status).toBe(418);
  });

  it('rewrites the path and applies header operations; sets Envoy headers', async () => {
    const r = await get('/api/items?x=1');
    expect(r.status).toBe(200);
    const seen = JSON.parse(r.body) as { path: string; headers: Record<string, string> };
    expect(seen.path).toBe('/v2/items?x=1');
    expect(seen.headers['x-added']).toBe('yes');
    expect(seen.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(r.headers['x-gateway']).toBe('weft');
    expect(Number(r.headers['x-envoy-upstream-service-time'])).toBeGreaterThanOrEqual(0);
  });

  it('exposes Envoy stats in Prometheus form and a config dump', async () => {
    const prom = await (await fetch(`http://${admin}/stats/prometheus`)).text();
    const m = /envoy_cluster_upstream_rq_total\{envoy_cluster_name="outbound\|80\|v1\|web\.default\.svc\.cluster\.local"\} (\d+)/.exec(prom);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBeGreaterThan(700);
    const dump = (await (await fetch(`http://${admin}/config_dump`)).json()) as { configs: { '@type': string }[] };
    expect(dump.configs.map((c) => c['@type'])).toEqual(expect.arrayContaining(['type.googleapis.com/envoy.admin.v3.ClustersConfigDump', 'type.googleapis.com/envoy.admin.v3.ListenersConfigDump']));
    const info = (await (await fetch(`http://${admin}/server_info`)).json()) as { state: string };
    expect(info.state).toBe('LIVE');
  });

  it('reports the gauges Envoy computes on read: pooled upstream connections and server state', async () => {
    const text = await (await fetch(`http://${admin}/stats`)).text();
    const value = (name: string) => Number(new RegExp(`^${name.replace(/[.|]/g, '\\$&')}: (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
    // Keep-alive pools hold the connections the split test opened.
    expect(value('cluster.outbound|80|v1|web.default.svc.cluster.local.upstream_cx_active')).toBeGreaterThan(0);
    expect(value('server.state')).toBe(0);
    expect(value('server.uptime')).toBeGreaterThanOrEqual(0);
  });
});
