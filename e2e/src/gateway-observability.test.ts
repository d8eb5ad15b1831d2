// Story: what operators see of the ingress gateway — Istio 1.3's text access log (MeshConfig
// accessLogFile: /dev/stdout) with the right %RESPONSE_CODE% and %RESPONSE_FLAGS% for each outcome,
// the proxy's /stats/prometheus and Pilot's /metrics as valid Prometheus text.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClient, type GatewayClient, type Reply } from './gateway-client.js';
import { freePort, startGateway, type Gateway } from './gateway-fixture.js';
import { parsePrometheusText } from './prometheus-text.js';
import { httpUpstream, type HttpUpstream } from './upstreams.js';

const cluster = (service: string) => `outbound|80||${service}.default.svc.cluster.local`;

function serviceEntry(name: string, port: number): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
  - {address: 127.0.0.1, ports: {http: ${port}}}
---
`;
}

function config(gatewayPort: number, u: Upstreams): string {
  const to = (service: string) => `[{destination: {host: ${service}.default.svc.cluster.local}}]`;
  return `${Object.entries(u)
    .map(([name, up]) => serviceEntry(name, up.port))
    .join('')}apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: guarded, namespace: default}
spec:
  host: guarded.default.svc.cluster.local
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: observed-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${gatewayPort}, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: observed, namespace: default}
spec:
  hosts: [web.example.com]
  gateways: [observed-gateway]
  http:
  - match: [{uri: {prefix: /timeout}}]
    timeout: 200ms
    route: ${to('slow')}
  - match: [{uri: {prefix: /retry}}]
    retries: {attempts: 2, retryOn: 5xx}
    route: ${to('broken')}
  - match: [{uri: {prefix: /guarded}}]
    route: ${to('guarded')}
  - match: [{uri: {prefix: /fault/abort}}]
    fault: {abort: {httpStatus: 503, percentage: {value: 100}}}
    route: ${to('fast')}
  - match: [{uri: {prefix: /fault/delay}}]
    fault: {delay: {fixedDelay: 100ms, percentage: {value: 100}}}
    route: ${to('fast')}
  - route: ${to('fast')}
`;
}

interface Upstreams {
  fast: HttpUpstream;
  slow: HttpUpstream;
  broken: HttpUpstream;
  guarded: HttpUpstream;
}

/** One line of Istio 1.3's text access log format (packages/pilot/src/networking/listener/access-log.ts). */
interface AccessLogLine {
  readonly method: string;
  readonly path: string;
  readonly protocol: string;
  readonly code: number;
  readonly flags: string;
  readonly requestId: string;
  readonly authority: string;
  readonly upstreamHost: string;
  readonly upstreamCluster: string;
}

const q = '"([^"]*)"';
const ISTIO_13_TEXT_LINE = new RegExp(
  `^\\[(\\S+)\\] "(\\S+) (\\S+) (\\S+)" (\\d+) (\\S+) ${q} ${q} (\\d+) (\\d+) (\\d+) (\\S+) ${q} ${q} ${q} ${q} ${q} (\\S+) (\\S+) (\\S+) (\\S+) (\\S+)$`,
);

function parseAccessLog(line: string): AccessLogLine | undefined {
  const m = ISTIO_13_TEXT_LINE.exec(line);
  if (!m) return undefined;
  const field = (i: number) => m[i] ?? '';
  return { method: field(2), path: field(3), protocol: field(4), code: Number(field(5)), flags: field(6), requestId: field(15), authority: field(16), upstreamHost: field(17), upstreamCluster: field(18) };
}

let gateway: Gateway;
let client: GatewayClient;
let u: Upstreams;

beforeAll(async () => {
  u = {
    fast: await httpUpstream('fast'),
    slow: await httpUpstream('slow', () => ({ delayMs: 2000 })),
    broken: await httpUpstream('broken', () => ({ status: 503 })),
    guarded: await httpUpstream('guarded', () => ({ delayMs: 300 })),
  };
  const port = await freePort();
  client = gatewayClient(port, 64);
  gateway = await startGateway({
    story: 'observability',
    config: config(port, u),
    meshConfig: 'accessLogFile: /dev/stdout\naccessLogEncoding: TEXT\n',
    ready: async () => (await client.send('HTTP/1.1', { path: '/' })).headers['x-upstream'] === 'fast',
  });
}, 60_000);

afterAll(async () => {
  client?.close();
  await gateway?.stop();
  for (const up of Object.values(u ?? {})) await up.close();
});

/** The access log line of the request with this x-request-id (waiting for the log to be written). */
async function logLineOf(requestId: string): Promise<AccessLogLine> {
  let found: AccessLogLine | undefined;
  await expect
    .poll(() => (found = gateway.proxy.stdout.map(parseAccessLog).find((l) => l?.requestId === requestId)), { timeout: 10_000, interval: 20 })
    .toBeDefined();
  return found!;
}

describe('gateway access log (Istio 1.3 text format on stdout)', () => {
  it('writes only lines in Istio 1.3 text format', async () => {
    await client.send('HTTP/1.1', { path: '/format', headers: { 'x-request-id': 'format' } });
    await logLineOf('format');
    const lines = gateway.proxy.stdout.filter((l) => l.trim() !== '');
    expect(lines.filter((l) => !parseAccessLog(l))).toEqual([]);
  });

  it.each([
    { name: '200 from the upstream', path: '/ok', code: 200, flags: '-', upstream: 'fast' },
    { name: '404 NR for a Host without a virtual host', path: '/ok', authority: 'nowhere.example.org', code: 404, flags: 'NR', upstream: undefined },
    { name: '504 UT when the route timeout fires', path: '/timeout', code: 504, flags: 'UT', upstream: 'slow' },
    { name: '503 URX when retries are exhausted', path: '/retry', code: 503, flags: 'URX', upstream: 'broken' },
    { name: '503 FI for a fault abort', path: '/fault/abort', code: 503, flags: 'FI', upstream: undefined },
    { name: '200 DI for a fault delay', path: '/fault/delay', code: 200, flags: 'DI', upstream: 'fast' },
  ])('logs $name', async ({ path, authority, code, flags, upstream }) => {
    const id = `log-${path.replaceAll('/', '-')}-${code}`;
    const r: Reply = await client.send('HTTP/1.1', { path, authority, headers: { 'x-request-id': id } });
    expect(r.status).toBe(code);
    const line = await logLineOf(id);
    expect(line).toMatchObject({ method: 'GET', path, protocol: 'HTTP/1.1', code, flags, authority: authority ?? 'web.example.com' });
    if (upstream) {
      expect(line.upstreamCluster).toBe(cluster(upstream));
      expect(line.upstreamHost).toBe(`127.0.0.1:${u[upstream as keyof Upstreams].port}`);
    } else {
      expect(line.upstreamHost).toBe('-');
    }
  });

  it('logs 503 UO for requests the circuit breaker overflows', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `overflow-${i}`);
    const replies = await Promise.all(ids.map((id) => client.send('HTTP/1.1', { path: '/guarded', headers: { 'x-request-id': id } })));
    const overflowed = ids.filter((_, i) => replies[i]!.status === 503);
    expect(overflowed.length).toBeGreaterThan(0);
    for (const id of overflowed) expect(await logLineOf(id)).toMatchObject({ code: 503, flags: 'UO', upstreamCluster: cluster('guarded') });
    for (const id of ids.filter((_, i) => replies[i]!.status === 200)) expect(await logLineOf(id)).toMatchObject({ code: 200, flags: '-' });
  });

  it('logs HTTP/2 requests with protocol HTTP/2', async () => {
    const r = await client.send('HTTP/2', { path: '/h2', headers: { 'x-request-id': 'h2' } });
    expect(r.status).toBe(200);
    expect(await logLineOf('h2')).toMatchObject({ protocol: 'HTTP/2', code: 200, flags: '-' });
  });
});

describe('metrics as Prometheus text', () => {
  it("the proxy's /stats/prometheus is valid and carries Envoy's tag-extracted families", async () => {
    await client.send('HTTP/1.1', { path: '/ok' });
    const res = await fetch(`http://${gateway.admin}/stats/prometheus`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const { families, errors } = parsePrometheusText(await res.text());
    expect(errors).toEqual([]);
    const rq = families.get('envoy_cluster_upstream_rq_total');
    expect(rq?.type).toBe('counter');
    const fast = rq?.samples.find((s) => s.labels['envoy_cluster_name'] === cluster('fast'));
    expect(fast?.value).toBeGreaterThan(0);
    const downstream = families.get('envoy_http_downstream_rq_total');
    expect(downstream?.type).toBe('counter');
    expect(downstream?.samples.some((s) => s.value > 0 && s.labels['envoy_http_conn_manager_prefix'] !== undefined)).toBe(true);
    // Every family a Prometheus scrape would reject is caught above; a histogram, if any, was checked too.
    expect([...families.values()].some((f) => f.type === 'gauge')).toBe(true);
  });

  it("Pilot's /metrics is valid and counts the one connected gateway (pilot_xds 1)", async () => {
    const res = await fetch(`http://${gateway.pilotMonitoring}/metrics`);
    expect(res.status).toBe(200);
    const { families, errors } = parsePrometheusText(await res.text());
    expect(errors).toEqual([]);
    expect(families.get('pilot_xds')?.samples.map((s) => [s.labels, s.value])).toEqual([[{}, 1]]);
  });
});

describe('the Prometheus text checker', () => {
  it.each([
    ['a sample without # TYPE', 'foo 1\n'],
    ['a family split in two', '# TYPE a counter\na 1\n# TYPE b counter\nb 1\na{x="1"} 2\n'],
    ['an unescaped quote', '# TYPE a counter\na{x="q"q"} 1\n'],
    ['a bad escape', '# TYPE a counter\na{x="\\q"} 1\n'],
    ['a non-cumulative histogram', '# TYPE h histogram\nh_bucket{le="1"} 3\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 2\n'],
    ['+Inf different from _count', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 3\n'],
    ['a bad value', '# TYPE a counter\na one\n'],
  ])('rejects %s', (_, text) => {
    expect(parsePrometheusText(text).errors).not.toEqual([]);
  });

  it('accepts a well-formed exposition', () => {
    const text = '# HELP a A.\n# TYPE a counter\na{x="a\\"b\\\\c\\nd"} 1\n# TYPE h histogram\nh_bucket{le="0.5"} 1\nh_bucket{le="+Inf"} 2\nh_sum 3.5\nh_count 2\n';
    const { errors, families } = parsePrometheusText(text);
    expect(errors).toEqual([]);
    expect(families.get('a')?.samples[0]?.labels['x']).toBe('a"b\\c\nd');
  });
});
