import type { Destination, HTTPMatchRequest, HTTPRoute, VirtualService } from '@weft/api';
import { loadProtoRegistry } from '@weft/api';
import { describe, expect, it } from 'vitest';
import type { Config } from '../../model/mesh-snapshot.js';
import type { Service } from '../../model/service.js';
import { consistentHashPolicy, type HashPolicy } from './hash-policy.js';
import { buildHttpRoutesForVirtualService, combineVirtualHostRoutes, translateHttpRoute, type HttpRouteContext } from './http-route.js';
import { parseRetryOn } from './retry-policy.js';
import { translateRouteMatch } from './route-match.js';

function service(hostname: string, ports: number[]): Service {
  return {
    hostname,
    address: '10.96.0.1',
    ports: ports.map((port) => ({ name: `http-${port}`, port, protocol: 'HTTP' as const })),
    serviceAccounts: [],
    meshExternal: false,
    resolution: 'ClientSideLB',
    attributes: { registry: 'Memory', name: hostname, namespace: 'default', exportTo: new Set(['*']) },
  };
}

const SERVICES = new Map([
  ['reviews.default.svc.cluster.local', service('reviews.default.svc.cluster.local', [9080])],
  ['multi.default.svc.cluster.local', service('multi.default.svc.cluster.local', [80, 8080])],
]);

function rctx(over: Partial<HttpRouteContext> = {}): HttpRouteContext {
  return {
    listenerPort: 9080,
    gatewayNames: new Set(['mesh']),
    workloadLabels: [{ app: 'productpage', version: 'v1' }],
    service: (h) => SERVICES.get(h),
    hashPolicy: () => undefined,
    ...over,
  };
}

function vs(http: HTTPRoute[], extra: Partial<VirtualService> = {}): Config<VirtualService> {
  return { apiVersion: 'networking.istio.io/v1alpha3', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'default' }, spec: { hosts: ['reviews.default.svc.cluster.local'], http, ...extra } } as Config<VirtualService>;
}

const R = 'reviews.default.svc.cluster.local';
const to = (destination: Destination, weight?: number) => ({ destination, ...(weight !== undefined ? { weight } : {}) });

/** The route for one rule and its first match block, as proto3 JSON (what Envoy would print). */
function json(http: HTTPRoute, ctx = rctx(), match: HTTPMatchRequest | undefined = http.match?.[0]): Record<string, unknown> | undefined {
  const r = translateHttpRoute(vs([http]), http, match, ctx);
  return r ? (loadProtoRegistry().toJson('envoy.config.route.v3.Route', r) as Record<string, unknown>) : undefined;
}

function action(http: HTTPRoute, ctx = rctx()): Record<string, unknown> {
  return json(http, ctx)?.['route'] as Record<string, unknown>;
}

function typedPerFilter(http: HTTPRoute, filter: string): Record<string, unknown> | undefined {
  return (json(http)?.['typedPerFilterConfig'] as Record<string, Record<string, unknown>> | undefined)?.[filter];
}

describe('HTTPMatchRequest → RouteMatch', () => {
  it.each<[string, HTTPMatchRequest | undefined, object]>([
    ['no match is prefix /', undefined, { prefix: '/' }],
    ['uri exact → path', { uri: { exact: '/productpage' } }, { path: '/productpage' }],
    ['uri prefix → prefix', { uri: { prefix: '/static' } }, { prefix: '/static' }],
    ['uri regex → safe_regex', { uri: { regex: '/api/v[0-9]+' } }, { safe_regex: { regex: '/api/v[0-9]+' } }],
    ['ignoreUriCase → case_sensitive false', { uri: { prefix: '/A' }, ignoreUriCase: true }, { prefix: '/A', case_sensitive: { value: false } }],
    ['header exact', { headers: { 'end-user': { exact: 'jason' } } }, { prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }],
    ['header prefix', { headers: { 'x-v': { prefix: 'v1' } } }, { prefix: '/', headers: [{ name: 'x-v', string_match: { prefix: 'v1' } }] }],
    ['header regex', { headers: { cookie: { regex: '^(.*?;)?(user=tester)(;.*)?$' } } }, { prefix: '/', headers: [{ name: 'cookie', string_match: { safe_regex: { regex: '^(.*?;)?(user=tester)(;.*)?$' } } }] }],
    ['empty header match means present', { headers: { 'x-a': {} } }, { prefix: '/', headers: [{ name: 'x-a', present_match: true }] }],
    [
      'headers sorted by name, then :method, :authority, :scheme',
      { headers: { 'x-b': { exact: 'b' }, 'x-a': { exact: 'a' } }, scheme: { exact: 'https' }, method: { exact: 'GET' }, authority: { prefix: 'api.' } },
      {
        prefix: '/',
        headers: [
          { name: 'x-a', string_match: { exact: 'a' } },
          { name: 'x-b', string_match: { exact: 'b' } },
          { name: ':method', string_match: { exact: 'GET' } },
          { name: ':authority', string_match: { prefix: 'api.' } },
          { name: ':scheme', string_match: { exact: 'https' } },
        ],
      },
    ],
    [
      'query params: exact, regex, exact "" (present)',
      { queryParams: { v: { exact: '1' }, r: { regex: '\\d+' }, debug: { exact: '' } } },
      {
        prefix: '/',
        query_parameters: [
          { name: 'debug', present_match: true },
          { name: 'r', string_match: { safe_regex: { regex: '\\d+' } } },
          { name: 'v', string_match: { exact: '1' } },
        ],
      },
    ],
  ])('%s', (_, match, expected) => {
    expect(translateRouteMatch(match)).toEqual(expected);
  });
});

describe('HTTPRoute → Route', () => {
  it.each<[string, HTTPRoute, object]>([
    ['one destination is a plain cluster', { route: [to({ host: R, subset: 'v1' })] }, { cluster: `outbound|9080|v1|${R}` }],
    [
      'weights become weighted_clusters, zero weights dropped',
      { route: [to({ host: R, subset: 'v1' }, 80), to({ host: R, subset: 'v2' }, 0), to({ host: R, subset: 'v3' }, 20)] },
      { weightedClusters: { clusters: [{ name: `outbound|9080|v1|${R}`, weight: 80 }, { name: `outbound|9080|v3|${R}`, weight: 20 }] } },
    ],
    ['explicit destination port', { route: [to({ host: R, port: { number: 9090 } })] }, { cluster: `outbound|9090||${R}` }],
    ['no port: the service’s only port', { route: [to({ host: R })] }, { cluster: `outbound|9080||${R}` }],
    ['no port, several service ports: the listener port', { route: [to({ host: 'multi.default.svc.cluster.local' })] }, { cluster: 'outbound|9080||multi.default.svc.cluster.local' }],
    ['port by name goes to the black hole', { route: [to({ host: R, port: { name: 'http' } })] }, { cluster: 'BlackHoleCluster' }],
    ['rewrite uri and authority', { route: [to({ host: R })], rewrite: { uri: '/v2', authority: 'new.example.com' } }, { prefixRewrite: '/v2', hostRewriteLiteral: 'new.example.com' }],
    ['timeout unset is 0s (disabled)', { route: [to({ host: R })] }, { timeout: '0s', maxStreamDuration: { grpcTimeoutHeaderMax: '0s' } }],
    ['timeout set', { route: [to({ host: R })], timeout: '10s' }, { timeout: '10s', maxStreamDuration: { grpcTimeoutHeaderMax: '10s' } }],
    [
      'default retry policy',
      { route: [to({ host: R })] },
      {
        retryPolicy: {
          retryOn: 'connect-failure,refused-stream,unavailable,cancelled,resource-exhausted,retriable-status-codes',
          numRetries: 2,
          retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }],
          hostSelectionRetryMaxAttempts: '5',
          retriableStatusCodes: [503],
        },
      },
    ],
    [
      'explicit retries replace retry_on and codes',
      { route: [to({ host: R })], retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure,503' } },
      {
        retryPolicy: {
          retryOn: 'gateway-error,connect-failure,retriable-status-codes',
          numRetries: 3,
          perTryTimeout: '2s',
          retryHostPredicate: [{ name: 'envoy.retry_host_predicates.previous_hosts' }],
          hostSelectionRetryMaxAttempts: '5',
          retriableStatusCodes: [503],
        },
      },
    ],
    [
      'mirror: 100% by default',
      { route: [to({ host: R })], mirror: { host: R, subset: 'v2' } },
      { requestMirrorPolicies: [{ cluster: `outbound|9080|v2|${R}`, runtimeFraction: { defaultValue: { numerator: 100 } } }] },
    ],
    [
      'mirror with mirrorPercentage',
      { route: [to({ host: R })], mirror: { host: R }, mirrorPercentage: { value: 50.5 } },
      { requestMirrorPolicies: [{ cluster: `outbound|9080||${R}`, runtimeFraction: { defaultValue: { numerator: 505000, denominator: 'MILLION' } } }] },
    ],
    [
      'mirror with integer mirrorPercent',
      { route: [to({ host: R })], mirror: { host: R }, mirrorPercent: 20 },
      { requestMirrorPolicies: [{ cluster: `outbound|9080||${R}`, runtimeFraction: { defaultValue: { numerator: 20 } } }] },
    ],
  ])('%s', (_, http, expected) => {
    expect(action(http)).toMatchObject(expected);
  });

  it('retries with attempts 0 leave the route without a retry policy', () => {
    expect(action({ route: [to({ host: R })], retries: { attempts: 0 } })).not.toHaveProperty('retryPolicy');
  });

  it('mirrorPercentage 0 turns mirroring off', () => {
    expect(action({ route: [to({ host: R })], mirror: { host: R }, mirrorPercentage: { value: 0 } })).not.toHaveProperty('requestMirrorPolicies');
  });

  it.each<[string, string, { retryOn: string; codes: number[] }]>([
    ['policies only', '5xx, connect-failure', { retryOn: '5xx,connect-failure', codes: [] }],
    ['status codes are extracted', '503,gateway-error,429', { retryOn: 'gateway-error', codes: [503, 429] }],
    ['unknown numbers stay policies', '599,reset', { retryOn: '599,reset', codes: [] }],
  ])('parseRetryOn: %s', (_, input, expected) => {
    expect(parseRetryOn(input)).toEqual(expected);
  });

  it.each<[string, number | undefined, string | undefined]>([
    ['default 301', undefined, undefined],
    ['302 FOUND', 302, 'FOUND'],
    ['303 SEE_OTHER', 303, 'SEE_OTHER'],
    ['307 TEMPORARY_REDIRECT', 307, 'TEMPORARY_REDIRECT'],
    ['308 PERMANENT_REDIRECT', 308, 'PERMANENT_REDIRECT'],
  ])('redirect %s', (_, redirectCode, code) => {
    const r = json({ redirect: { uri: '/new', authority: 'b.example.com', ...(redirectCode ? { redirectCode } : {}) } });
    // MOVED_PERMANENTLY is the enum default, so proto3 JSON omits it.
    expect(r?.['redirect']).toEqual({ hostRedirect: 'b.example.com', pathRedirect: '/new', ...(code ? { responseCode: code } : {}) });
    expect(r).not.toHaveProperty('route');
  });

  it('an unsupported redirect code yields no route', () => {
    expect(json({ redirect: { uri: '/x', redirectCode: 300 } })).toBeUndefined();
  });

  it.each<[string, HTTPRoute['fault'], object | undefined]>([
    ['fixed delay with percentage', { delay: { fixedDelay: '7s', percentage: { value: 10 } } }, { delay: { fixedDelay: '7s', percentage: { numerator: 100000, denominator: 'MILLION' } } }],
    ['abort with deprecated integer percent', { abort: { httpStatus: 500, percent: 50 } }, { abort: { httpStatus: 500, percentage: { numerator: 50 } } }],
    [
      'delay and abort together',
      { delay: { fixedDelay: '1s', percentage: { value: 0.1 } }, abort: { httpStatus: 503, percentage: { value: 100 } } },
      { delay: { fixedDelay: '1s', percentage: { numerator: 1000, denominator: 'MILLION' } }, abort: { httpStatus: 503, percentage: { numerator: 1000000, denominator: 'MILLION' } } },
    ],
    ['exponential delay (never implemented) is dropped', { delay: { exponentialDelay: '1s', percentage: { value: 10 } } }, undefined],
  ])('fault: %s', (_, fault, expected) => {
    const cfg = typedPerFilter({ route: [to({ host: R })], ...(fault ? { fault } : {}) }, 'envoy.filters.http.fault');
    if (expected === undefined) expect(cfg).toBeUndefined();
    else expect(cfg).toEqual({ '@type': 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault', ...expected });
  });

  it('CORS policy goes to typed_per_filter_config envoy.filters.http.cors', () => {
    const cfg = typedPerFilter(
      {
        route: [to({ host: R })],
        corsPolicy: { allowOrigin: ['*', 'https://a.example.com'], allowMethods: ['POST', 'GET'], allowHeaders: ['X-Foo-Bar'], exposeHeaders: ['Token'], maxAge: '24h', allowCredentials: false },
      },
      'envoy.filters.http.cors',
    );
    expect(cfg).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy',
      allowOriginStringMatch: [{ exact: '*' }, { exact: 'https://a.example.com' }],
      allowMethods: 'POST,GET',
      allowHeaders: 'X-Foo-Bar',
      exposeHeaders: 'Token',
      maxAge: '86400',
      allowCredentials: false,
      filterEnabled: { defaultValue: { numerator: 100 } },
    });
  });

  it('header operations: route-level set/add/remove, single destination lifted to the route', () => {
    const r = json({
      headers: { request: { set: { 'x-b': '2', 'x-a': '1' }, add: { 'x-c': '3' }, remove: ['x-d'] }, response: { remove: ['server'] } },
      route: [{ destination: { host: R }, headers: { response: { set: { 'x-dest': 'v1' } } } }],
    });
    expect(r).toMatchObject({
      requestHeadersToAdd: [
        { header: { key: 'x-a', value: '1' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
        { header: { key: 'x-b', value: '2' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' },
        { header: { key: 'x-c', value: '3' } },
      ],
      requestHeadersToRemove: ['x-d'],
      responseHeadersToAdd: [{ header: { key: 'x-dest', value: 'v1' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }],
      responseHeadersToRemove: ['server'],
    });
  });

  it('per-destination headers stay on weighted clusters', () => {
    const a = action({
      route: [
        { destination: { host: R, subset: 'v1' }, weight: 50, headers: { request: { add: { 'x-v': '1' } } } },
        { destination: { host: R, subset: 'v2' }, weight: 50, removeRequestHeaders: ['x-old'] },
      ],
    });
    expect(a['weightedClusters']).toMatchObject({
      clusters: [
        { name: `outbound|9080|v1|${R}`, weight: 50, requestHeadersToAdd: [{ header: { key: 'x-v', value: '1' } }] },
        { name: `outbound|9080|v2|${R}`, weight: 50, requestHeadersToRemove: ['x-old'] },
      ],
    });
  });

  it.each<[string, Parameters<typeof consistentHashPolicy>[0], HashPolicy]>([
    ['header', { httpHeaderName: 'x-user' }, { header: { header_name: 'x-user' } }],
    ['cookie with ttl and path', { httpCookie: { name: 'user', ttl: '60s', path: '/' } }, { cookie: { name: 'user', ttl: { seconds: '60', nanos: 0 }, path: '/' } }],
    ['source IP', { useSourceIp: true }, { connection_properties: { source_ip: true } }],
    ['query parameter', { httpQueryParameterName: 'id' }, { query_parameter: { name: 'id' } }],
  ])('consistent hash %s → hash policy', (_, ch, expected) => {
    expect(consistentHashPolicy(ch)).toEqual(expected);
  });

  it('hash policies come from each destination’s DestinationRule', () => {
    const ctx = rctx({ hashPolicy: (d) => (d.subset === 'v1' ? { header: { header_name: 'x-user' } } : undefined) });
    const a = action({ route: [to({ host: R, subset: 'v1' }, 50), to({ host: R, subset: 'v2' }, 50)] }, ctx);
    expect(a['hashPolicy']).toEqual([{ header: { headerName: 'x-user' } }]);
  });

  it('a route name joins the rule name and the match name', () => {
    expect(json({ name: 'canary', match: [{ name: 'jason', headers: { 'end-user': { exact: 'jason' } } }], route: [to({ host: R })] })?.['name']).toBe('canary.jason');
  });
});

describe('which routes apply, and in which order', () => {
  const rules: HTTPRoute[] = [
    { match: [{ headers: { 'end-user': { exact: 'jason' } } }, { uri: { prefix: '/v2' } }], route: [to({ host: R, subset: 'v2' })] },
    { match: [{ uri: { prefix: '/' } }], route: [to({ host: R, subset: 'v1' })] },
    { route: [to({ host: R, subset: 'v3' })] },
  ];

  it('one route per match block, in order; a catch-all match ends the list', () => {
    const routes = buildHttpRoutesForVirtualService(vs(rules), rctx());
    expect(routes.map((r) => [r.match, r.route?.cluster])).toEqual([
      [{ prefix: '/', headers: [{ name: 'end-user', string_match: { exact: 'jason' } }] }, `outbound|9080|v2|${R}`],
      [{ prefix: '/v2' }, `outbound|9080|v2|${R}`],
      [{ prefix: '/' }, `outbound|9080|v1|${R}`],
    ]);
  });

  it('a rule without match ends the list', () => {
    const routes = buildHttpRoutesForVirtualService(vs([{ route: [to({ host: R, subset: 'v3' })] }, rules[1] as HTTPRoute]), rctx());
    expect(routes.map((r) => r.route?.cluster)).toEqual([`outbound|9080|v3|${R}`]);
  });

  it.each<[string, HTTPMatchRequest, Partial<HttpRouteContext>, boolean]>([
    ['sourceLabels selecting the workload', { sourceLabels: { app: 'productpage' } }, {}, true],
    ['sourceLabels not selecting it', { sourceLabels: { app: 'reviews' } }, {}, false],
    ['sourceLabels never select a gateway', { sourceLabels: { app: 'productpage' } }, { workloadLabels: [], gatewayNames: new Set(['default/gw']) }, false],
    ['match port equal to the listener port', { port: 9080 }, {}, true],
    ['match port of another listener', { port: 80 }, {}, false],
    ['match gateways: bare name is in the VirtualService namespace', { gateways: ['gw'] }, { gatewayNames: new Set(['default/gw']) }, true],
    ['match gateways: ns/name', { gateways: ['istio-system/gw'] }, { gatewayNames: new Set(['istio-system/gw']) }, true],
    ['match gateways: not this gateway', { gateways: ['other'] }, { gatewayNames: new Set(['default/gw']) }, false],
    ['match gateways: mesh for sidecars', { gateways: ['mesh'] }, {}, true],
  ])('%s', (_, match, over, applies) => {
    const routes = buildHttpRoutesForVirtualService(vs([{ match: [match], route: [to({ host: R })] }]), rctx(over));
    expect(routes.length).toBe(applies ? 1 : 0);
  });

  it('merging two VirtualServices on one gateway host puts catch-all routes last', () => {
    const a = buildHttpRoutesForVirtualService(vs([{ route: [to({ host: R, subset: 'v1' })] }]), rctx());
    const b = buildHttpRoutesForVirtualService(vs([{ match: [{ uri: { prefix: '/api' } }], route: [to({ host: R, subset: 'v2' })] }]), rctx());
    expect(combineVirtualHostRoutes(a, b).map((r) => r.route?.cluster)).toEqual([`outbound|9080|v2|${R}`, `outbound|9080|v1|${R}`]);
  });
});
