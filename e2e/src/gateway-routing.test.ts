// Story: HTTP routing through the ingress gateway, configured only by Istio YAML — every match kind,
// first-match ordering, CORS, mirroring, header operations at route and destination level, and
// consistent-hash stickiness, over HTTP/1.1 and HTTP/2 (h2c) against real upstreams on 127.0.0.1.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClient, PROTOCOLS, sendMany, type Exchange, type GatewayClient, type Protocol, type Reply } from './gateway-client.js';
import { freePort, startGateway, type Gateway } from './gateway-fixture.js';
import { httpUpstream, type HttpUpstream, type SeenRequest } from './upstreams.js';

interface Upstreams {
  web: HttpUpstream;
  v1: HttpUpstream;
  v2: HttpUpstream;
  shadow: HttpUpstream;
  sticky: HttpUpstream[];
}

function serviceEntry(name: string, endpoints: string[]): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
${endpoints.map((e) => `  - ${e}`).join('\n')}
---
`;
}

const endpoint = (u: HttpUpstream, labels = '') => `{address: 127.0.0.1, ports: {http: ${u.port}}${labels ? `, labels: {${labels}}` : ''}}`;

/** A rule that sends matching requests to `web`, marking them with `x-route: <name>`. */
function marked(name: string, match: string, extra = ''): string {
  return `  - match: [${match}]
    headers: {request: {set: {x-route: ${name}}}}${extra}
    route: [{destination: {host: web.default.svc.cluster.local}}]
`;
}

function config(gatewayPort: number, u: Upstreams): string {
  return `${serviceEntry('web', [endpoint(u.web)])}${serviceEntry('split', [endpoint(u.v1, 'version: v1'), endpoint(u.v2, 'version: v2')])}${serviceEntry('shadow', [endpoint(u.shadow)])}${serviceEntry('sticky', u.sticky.map((s) => endpoint(s)))}apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: split, namespace: default}
spec:
  host: split.default.svc.cluster.local
  subsets: [{name: v1, labels: {version: v1}}, {name: v2, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: sticky, namespace: default}
spec:
  host: sticky.default.svc.cluster.local
  trafficPolicy:
    loadBalancer: {consistentHash: {httpHeaderName: x-user}}
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: routing-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${gatewayPort}, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: routing, namespace: default}
spec:
  hosts: ["*"]
  gateways: [routing-gateway]
  http:
${marked('order-header', '{uri: {prefix: /order}, headers: {x-order: {exact: "1"}}}')}${marked('order-prefix', '{uri: {prefix: /order}}')}${marked('order-never', '{uri: {prefix: /order/never}}')}${marked('uri-exact', '{uri: {exact: /exact}}')}${marked('uri-prefix', '{uri: {prefix: /prefix/}}')}${marked('uri-regex', '{uri: {regex: "/regex/[0-9]+"}}')}${marked('header-exact', '{headers: {x-kind: {exact: exact-value}}}')}${marked('header-prefix', '{headers: {x-kind: {prefix: pre-}}}')}${marked('header-regex', '{headers: {x-kind: {regex: "rx-[a-z]+"}}}')}${marked('query-exact', '{queryParams: {mode: {exact: fast}}}')}${marked('query-regex', '{queryParams: {page: {regex: "[0-9]+"}}}')}${marked('method', '{method: {exact: DELETE}}')}${marked('authority', '{authority: {exact: other.example.com}}')}${marked(
    'cors',
    '{uri: {prefix: /cors}}',
    `
    corsPolicy:
      allowOrigin: ["https://app.example.com"]
      allowMethods: [GET, POST]
      allowHeaders: [x-custom]
      exposeHeaders: [x-upstream]
      maxAge: 24h`,
  )}${marked('mirror', '{uri: {prefix: /mirror}}', `\n    mirror: {host: shadow.default.svc.cluster.local}`)}  - match: [{uri: {prefix: /headers}}]
    headers:
      request: {set: {x-route: headers}, add: {x-added: route}, remove: [x-strip-me]}
      response: {set: {x-gateway: weft}, add: {x-response-added: route}, remove: [x-upstream-secret]}
    route:
    - destination: {host: split.default.svc.cluster.local, subset: v1}
      weight: 50
      headers: {request: {set: {x-dest: v1}}, response: {set: {x-dest-response: v1}}}
    - destination: {host: split.default.svc.cluster.local, subset: v2}
      weight: 50
      headers: {request: {set: {x-dest: v2}}, response: {set: {x-dest-response: v2}}}
  - match: [{uri: {prefix: /sticky}}]
    route: [{destination: {host: sticky.default.svc.cluster.local}}]
  - headers: {request: {set: {x-route: default}}}
    route: [{destination: {host: web.default.svc.cluster.local}}]
`;
}

let gateway: Gateway;
let client: GatewayClient;
let u: Upstreams;

beforeAll(async () => {
  const secret = { headers: { 'x-upstream-secret': 's3cret' } };
  u = {
    web: await httpUpstream('web'),
    v1: await httpUpstream('v1', () => secret),
    v2: await httpUpstream('v2', () => secret),
    // A slow, failing shadow: neither may show in the main response.
    shadow: await httpUpstream('shadow', () => ({ status: 500, delayMs: 5000 })),
    sticky: [await httpUpstream('s1'), await httpUpstream('s2'), await httpUpstream('s3')],
  };
  const port = await freePort();
  client = gatewayClient(port, 32);
  gateway = await startGateway({ story: 'routing', config: config(port, u), ready: async () => (await client.send('HTTP/1.1', { path: '/' })).headers['x-upstream'] === 'web' });
}, 60_000);

afterAll(async () => {
  client?.close();
  await gateway?.stop();
  for (const up of [u?.web, u?.v1, u?.v2, u?.shadow, ...(u?.sticky ?? [])]) await up?.close();
});

/** What the upstream received, from its JSON echo. */
function seenBy(r: Reply): SeenRequest & { server: string } {
  return JSON.parse(r.body) as SeenRequest & { server: string };
}

const MATCHES: [string, Exchange, string][] = [
  ['uri exact', { path: '/exact' }, 'uri-exact'],
  ['uri exact ignores the query', { path: '/exact?a=1' }, 'uri-exact'],
  ['uri exact needs the whole path', { path: '/exact/more' }, 'default'],
  ['uri prefix', { path: '/prefix/a/b' }, 'uri-prefix'],
  ['uri prefix needs its trailing slash', { path: '/prefixed' }, 'default'],
  ['uri regex', { path: '/regex/42' }, 'uri-regex'],
  ['uri regex matches the whole path', { path: '/regex/42x' }, 'default'],
  ['header exact', { path: '/any', headers: { 'x-kind': 'exact-value' } }, 'header-exact'],
  ['header prefix', { path: '/any', headers: { 'x-kind': 'pre-fixed' } }, 'header-prefix'],
  ['header regex', { path: '/any', headers: { 'x-kind': 'rx-abc' } }, 'header-regex'],
  ['header regex matches the whole value', { path: '/any', headers: { 'x-kind': 'rx-abc1' } }, 'default'],
  ['query parameter exact', { path: '/any?mode=fast' }, 'query-exact'],
  ['query parameter exact, other value', { path: '/any?mode=slow' }, 'default'],
  ['query parameter regex', { path: '/any?page=12' }, 'query-regex'],
  ['method', { method: 'DELETE', path: '/any' }, 'method'],
  ['authority', { path: '/any', authority: 'other.example.com' }, 'authority'],
  ['no condition matches', { path: '/any' }, 'default'],
  ['first match wins (header rule before prefix rule)', { path: '/order', headers: { 'x-order': '1' } }, 'order-header'],
  ['first match wins (prefix rule before a longer prefix)', { path: '/order/never' }, 'order-prefix'],
];

describe.each(PROTOCOLS)('gateway routing over %s', (protocol) => {
  it.each(MATCHES)('%s', async (_name, exchange, route) => {
    const r = await client.send(protocol, exchange);
    expect(r.status).toBe(200);
    const seen = seenBy(r);
    expect(seen.server).toBe('web');
    expect(seen.headers['x-route']).toBe(route);
    expect(seen.method).toBe(exchange.method ?? 'GET');
  });

  it('answers a CORS preflight itself, with the allow headers', async () => {
    const before = u.web.seen.length;
    const r = await client.send(protocol, { method: 'OPTIONS', path: '/cors/items', headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST' } });
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(r.headers['access-control-allow-methods']).toBe('GET,POST');
    expect(r.headers['access-control-allow-headers']).toBe('x-custom');
    expect(r.headers['access-control-max-age']).toBe('86400');
    expect(r.headers['x-upstream']).toBeUndefined();
    expect(u.web.seen.length).toBe(before);
  });

  it('adds CORS headers to a simple cross-origin request, and none for an origin not allowed', async () => {
    const allowed = await client.send(protocol, { path: '/cors/items', headers: { origin: 'https://app.example.com' } });
    expect(allowed.status).toBe(200);
    expect(seenBy(allowed).headers['x-route']).toBe('cors');
    expect(allowed.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(allowed.headers['access-control-expose-headers']).toBe('x-upstream');
    const other = await client.send(protocol, { path: '/cors/items', headers: { origin: 'https://evil.example.com' } });
    expect(other.status).toBe(200);
    expect(other.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('mirrors to the shadow service with a -shadow host, leaving the main response alone', async () => {
    const id = `mirror-${protocol}`;
    const r = await client.send(protocol, { path: '/mirror/item?x=1', headers: { 'x-request-id': id } });
    expect(r.status).toBe(200);
    expect(r.headers['x-upstream']).toBe('web');
    // The shadow answers 500 after five seconds; the main response does not wait for it.
    expect(r.ms).toBeLessThan(4000);
    await expect.poll(() => u.shadow.attempts(id), { timeout: 10_000 }).toBe(1);
    const mirrored = u.shadow.seen.find((s) => s.headers['x-request-id'] === id)!;
    expect(mirrored.headers.host).toBe('web.example.com-shadow');
    expect(mirrored.path).toBe('/mirror/item?x=1');
    expect(mirrored.method).toBe('GET');
    expect(u.web.attempts(id)).toBe(1);
  });

  it('applies header operations at route and destination level', async () => {
    const replies = await sendMany(client, protocol, 20, 5, () => ({ path: '/headers', headers: { 'x-strip-me': 'yes', 'x-added': 'client' } }));
    const served = new Set<string>();
    for (const r of replies) {
      expect(r.status).toBe(200);
      const seen = seenBy(r);
      served.add(seen.server);
      expect(seen.headers['x-route']).toBe('headers');
      // A gateway uses the remote address (use_remote_address): the client's address is appended.
      expect(seen.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(seen.headers['x-strip-me']).toBeUndefined();
      // `add` appends to what the client sent.
      expect(seen.headers['x-added']).toBe('client, route');
      expect(seen.headers['x-dest']).toBe(seen.server);
      expect(r.headers['x-gateway']).toBe('weft');
      expect(r.headers['x-response-added']).toBe('route');
      expect(r.headers['x-upstream-secret']).toBeUndefined();
      expect(r.headers['x-dest-response']).toBe(seen.server);
    }
    expect([...served].sort()).toEqual(['v1', 'v2']);
  });
});

describe.each(PROTOCOLS)('gateway consistent-hash load balancing (DestinationRule httpHeaderName) over %s', (protocol) => {
  it('sends one x-user to one endpoint over 50 requests', async () => {
    const replies = await sendMany(client, protocol, 50, 10, () => ({ path: '/sticky', headers: { 'x-user': 'alice' } }));
    const endpoints = new Set(replies.map((r) => `${r.status} ${String(r.headers['x-upstream'])}`));
    expect(endpoints.size).toBe(1);
    expect([...endpoints][0]).toMatch(/^200 s[123]$/);
  });

  it('spreads different users over all three endpoints, each user staying put', async () => {
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const first = await placement(protocol, users);
    expect(await placement(protocol, users)).toEqual(first);
    expect([...new Set(first)].sort()).toEqual(['s1', 's2', 's3']);
  });
});

describe('gateway consistent-hash load balancing across protocols', () => {
  it('places a user on the same endpoint over HTTP/1.1 and HTTP/2', async () => {
    const users = Array.from({ length: 20 }, (_, i) => `both-${i}`);
    expect(await placement('HTTP/2', users)).toEqual(await placement('HTTP/1.1', users));
  });
});

/** The endpoint each user's request lands on. */
async function placement(protocol: Protocol, users: readonly string[]): Promise<string[]> {
  const replies = await Promise.all(users.map((user) => client.send(protocol, { path: '/sticky', headers: { 'x-user': user } })));
  expect(replies.map((r) => r.status)).toEqual(users.map(() => 200));
  return replies.map((r) => String(r.headers['x-upstream']));
}
