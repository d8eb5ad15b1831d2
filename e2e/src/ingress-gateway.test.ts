// Story: pilot-discovery + weft-proxy as an ingress gateway (node type router, labels
// istio: ingressgateway) in front of real upstream servers on 127.0.0.1, configured only by Istio YAML.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess, type RunningProcess } from './processes.js';
import { waitFor } from './workspace.js';

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function upstream(name: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const body = JSON.stringify({ server: name, path: req.url, host: req.headers.host, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': name });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { server, port: (server.address() as AddressInfo).port };
}

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

function bootstrap(pilotGrpc: string): string {
  const [host, port] = pilotGrpc.split(':');
  return JSON.stringify({
    node: { id: 'router~127.0.0.1~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local', cluster: 'istio-ingressgateway', metadata: { LABELS: { istio: 'ingressgateway' }, NAMESPACE: 'istio-system' } },
    admin: { address: { socketAddress: { address: '127.0.0.1', portValue: 0 } } },
    dynamicResources: { adsConfig: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'xds-grpc' } }] }, cdsConfig: { ads: {}, resourceApiVersion: 'V3' }, ldsConfig: { ads: {}, resourceApiVersion: 'V3' } },
    staticResources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: 'STATIC',
          connectTimeout: '1s',
          loadAssignment: { clusterName: 'xds-grpc', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: host, portValue: Number(port) } } } }] }] },
          typedExtensionProtocolOptions: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicitHttpConfig: { http2ProtocolOptions: {} } } },
        },
      ],
    },
  });
}

interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, headers: { host: 'web.example.com', ...headers }, agent: keepAlive }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });
let dir = '';
let pilot: RunningProcess;
let proxy: RunningProcess;
let gatewayPort = 0;
let admin = '';
const servers: http.Server[] = [];

beforeAll(async () => {
  const v1 = await upstream('v1');
  const v2 = await upstream('v2');
  servers.push(v1.server, v2.server);
  gatewayPort = await freePort();
  dir = await mkdtemp(join(tmpdir(), 'weft-e2e-gateway-'));
  await writeFile(join(dir, 'web.yaml'), config({ v1: v1.port, v2: v2.port }, gatewayPort));
  pilot = await startProcess('pilot', 'pilot-discovery', ['discovery', `--configDir=${join(dir)}`, '--grpcAddr=127.0.0.1:0', '--httpAddr=127.0.0.1:0', '--monitoringAddr=127.0.0.1:0'], ['ADS (gRPC) listening'], { PILOT_DEBOUNCE_AFTER: '20ms' });
  const bootstrapFile = join(dir, '..', `weft-e2e-bootstrap-${process.pid}.json`);
  await writeFile(bootstrapFile, bootstrap(pilot.addresses['ADS (gRPC) listening']!));
  proxy = await startProcess('proxy', 'weft-proxy', ['-c', bootstrapFile, '--drain-time-s=1'], ['admin listening']);
  admin = proxy.addresses['admin listening']!;
  // The gateway is ready once /ready says LIVE and the listener answers.
  await waitFor('the proxy to be LIVE', async () => (await fetch(`http://${admin}/ready`)).status === 200);
  await waitFor('the gateway listener to route', async () => (await get(gatewayPort, '/')).status === 200);
}, 60_000);

afterAll(async () => {
  keepAlive.destroy();
  await proxy?.stop();
  await pilot?.stop();
  for (const s of servers) s.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('ingress gateway (pilot-discovery + weft-proxy)', () => {
  it('splits traffic 80/20 by weight within ±5% over 1000 requests', async () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i += 20) {
      const replies = await Promise.all(Array.from({ length: 20 }, () => get(gatewayPort, '/')));
      for (const r of replies) counts[String(r.headers['x-upstream'])] = (counts[String(r.headers['x-upstream'])] ?? 0) + 1;
    }
    expect((counts['v1'] ?? 0) + (counts['v2'] ?? 0)).toBe(1000);
    expect(counts['v1']! / 1000).toBeGreaterThanOrEqual(0.75);
    expect(counts['v1']! / 1000).toBeLessThanOrEqual(0.85);
  });

  it('pins v2 by header match', async () => {
    for (let i = 0; i < 20; i++) expect((await get(gatewayPort, '/', { 'x-version': 'v2' })).headers['x-upstream']).toBe('v2');
  });

  it('redirects', async () => {
    const r = await get(gatewayPort, '/old/page?q=1');
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('http://web.example.com/new?q=1');
  });

  it('injects an abort fault', async () => {
    const r = await get(gatewayPort, '/fault');
    expect(r.status).toBe(418);
  });

  it('rewrites the path and applies header operations; sets Envoy headers', async () => {
    const r = await get(gatewayPort, '/api/items?x=1');
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
});
