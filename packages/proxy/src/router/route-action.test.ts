import { loadProtoRegistry } from '@weft/api';
import { formatIssues, type Issue } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { applyHeaderMutations, type MutableHeaders } from './header-mutation.js';
import { createRequestHead, type RequestHeadInit } from './request-head.js';
import { routeConfigurationFromJson } from './route-config-json.js';
import type { ForwardDecision, RouteDecision } from './route-decision.js';
import { compileRouteConfiguration, type RouteTable } from './route-table.js';

const registry = loadProtoRegistry();

function compile(json: object, unpack = true) {
  const rc = routeConfigurationFromJson(registry, json);
  if (!rc.value) throw new Error(formatIssues(rc.errors));
  return compileRouteConfiguration(rc.value, unpack ? { unpack: (a) => registry.unpack(a) } : {});
}

function table(json: object): RouteTable {
  const result = compile(json);
  if (!result.value) throw new Error(formatIssues(result.errors));
  return result.value;
}

function errorsOf(json: object, unpack = true): Issue[] {
  return [...compile(json, unpack).errors];
}

/** One virtual host for every authority, with these routes. */
function routes(...r: object[]): object {
  return { name: 'rc', virtualHosts: [{ name: 'vh', domains: ['*'], routes: r }] };
}

const req = (path: string, init: Partial<RequestHeadInit> = {}) => createRequestHead({ authority: 'example.com', path, ...init });
const always = (r: number) => () => r;

function route(t: RouteTable, path: string, init: Partial<RequestHeadInit> = {}, random = always(0)): RouteDecision {
  return t.route(req(path, init), random);
}

function forward(d: RouteDecision): ForwardDecision {
  if (d.kind !== 'forward') throw new Error(`expected forward, got ${JSON.stringify(d)}`);
  return d;
}

class FakeHeaders implements MutableHeaders {
  readonly map = new Map<string, string[]>();
  has = (n: string) => this.map.has(n);
  add = (n: string, v: string) => void this.map.set(n, [...(this.map.get(n) ?? []), v]);
  set = (n: string, v: string) => void this.map.set(n, [v]);
  remove = (n: string) => void this.map.delete(n);
}

describe('forward decisions', () => {
  it.each([
    ['unset: Envoy default 15 s', {}, 15_000],
    ['0s disables the timeout', { timeout: '0s' }, 0],
    ['3.5s', { timeout: '3.5s' }, 3500],
  ])('timeout %s', (_n, extra, expected) => {
    expect(forward(route(table(routes({ match: { prefix: '/' }, route: { cluster: 'c', ...extra } })), '/')).timeoutMs).toBe(expected);
  });

  it('reads idle, per-try, stream and gRPC timeouts', () => {
    const d = forward(
      route(
        table(
          routes({
            match: { prefix: '/' },
            route: {
              cluster: 'c',
              idleTimeout: '30s',
              retryPolicy: { retryOn: '5xx', perTryTimeout: '0.25s' },
              maxStreamDuration: { maxStreamDuration: '60s', grpcTimeoutHeaderMax: '10s' },
            },
          }),
        ),
        '/',
      ),
    );
    expect([d.idleTimeoutMs, d.perTryTimeoutMs, d.maxStreamDurationMs, d.grpcTimeoutHeaderMaxMs]).toEqual([30_000, 250, 60_000, 10_000]);
  });

  it("uses the virtual host's retry policy unless the route has one", () => {
    const t = table({
      virtualHosts: [
        {
          name: 'vh',
          domains: ['*'],
          retryPolicy: { retryOn: 'gateway-error', numRetries: 4 },
          routes: [
            { match: { prefix: '/own' }, route: { cluster: 'c', retryPolicy: { retryOn: '5xx' } } },
            { match: { prefix: '/' }, route: { cluster: 'c' } },
          ],
        },
      ],
    });
    expect([...(forward(route(t, '/own')).retry?.retryOn ?? [])]).toEqual(['5xx']);
    expect(forward(route(t, '/own')).retry?.numRetries).toBe(1);
    expect(forward(route(t, '/x')).retry).toMatchObject({ numRetries: 4 });
    expect([...(forward(route(t, '/x')).retry?.retryOn ?? [])]).toEqual(['gateway-error']);
  });

  it('has no retry policy when none is configured', () => {
    expect(forward(route(table(routes({ match: { prefix: '/' }, route: { cluster: 'c' } })), '/')).retry).toBeUndefined();
  });

  it('reads cluster_header from the request; a missing header leaves the cluster empty', () => {
    const t = table(routes({ match: { prefix: '/' }, route: { clusterHeader: 'X-Cluster', clusterNotFoundResponseCode: 'NOT_FOUND' } }));
    expect(forward(route(t, '/', { headers: { 'x-cluster': 'blue' } })).cluster).toBe('blue');
    const missing = forward(route(t, '/'));
    expect([missing.cluster, missing.clusterNotFoundStatus]).toEqual(['', 404]);
  });

  it('decodes hash policies for the load balancer', () => {
    const d = forward(
      route(
        table(
          routes({
            match: { prefix: '/' },
            route: {
              cluster: 'c',
              hashPolicy: [
                { cookie: { name: 'user', ttl: '60s' } },
                { header: { headerName: 'X-User' }, terminal: true },
                { connectionProperties: { sourceIp: true } },
                { connectionProperties: { sourceIp: false } },
                { queryParameter: { name: 'id' } },
              ],
            },
          }),
        ),
        '/',
      ),
    );
    expect(d.hashPolicies).toEqual([
      { kind: 'cookie', terminal: false, name: 'user', ttlMs: 60_000, path: '', attributes: [] },
      { kind: 'header', terminal: true, headerName: 'x-user' },
      { kind: 'source-ip', terminal: false },
      { kind: 'query-parameter', terminal: false, name: 'id' },
    ]);
  });

  it('lists upgrade configs, enabled unless said otherwise', () => {
    const d = forward(
      route(table(routes({ match: { prefix: '/' }, route: { cluster: 'c', upgradeConfigs: [{ upgradeType: 'WebSocket' }, { upgradeType: 'h2c', enabled: false }] } })), '/'),
    );
    expect([...(d.upgradeConfigs ?? [])]).toEqual([
      ['websocket', true],
      ['h2c', false],
    ]);
  });

  it.each([
    [[{ upgradeType: 'CONNECT' }], 'route.upgrade_configs[0].upgrade_type: upgrade type CONNECT is not supported (websocket is)'],
    [[{ upgradeType: 'websocket' }, { upgradeType: 'WebSocket', enabled: false }], 'route.upgrade_configs[1]: duplicate upgrade WebSocket'],
    [[{ upgradeType: 'websocket', connectConfig: {} }], 'route.upgrade_configs[0].connect_config: CONNECT termination is not supported'],
  ])('refuses upgrade configs it cannot honour: %j', (upgradeConfigs, expected) => {
    const errors = errorsOf(routes({ match: { prefix: '/' }, route: { cluster: 'c', upgradeConfigs } }));
    expect(errors.map((e) => `${e.path}: ${e.message}`)).toEqual([`virtual_hosts[0].routes[0].${expected}`]);
  });
});

describe('weighted clusters', () => {
  const t = table(
    routes({
      match: { prefix: '/' },
      route: {
        weightedClusters: {
          clusters: [
            { name: 'v1', weight: 80, requestHeadersToAdd: [{ header: { key: 'x-v', value: '1' } }] },
            { name: 'v3', weight: 20, hostRewriteLiteral: 'v3.internal' },
          ],
        },
      },
    }),
  );

  it.each([
    [0, 'v1'],
    [0.7999, 'v1'],
    [0.8, 'v3'],
    [0.9999, 'v3'],
  ])('random %s picks %s', (r, cluster) => {
    expect(forward(route(t, '/', {}, always(r))).cluster).toBe(cluster);
  });

  it("carries each entry's own headers and host rewrite", () => {
    expect(forward(route(t, '/', {}, always(0))).requestHeadersToAdd.map((h) => h.key)).toEqual(['x-v']);
    expect(forward(route(t, '/', {}, always(0.9))).hostRewrite).toBe('v3.internal');
    expect(forward(route(t, '/', {}, always(0))).hostRewrite).toBeUndefined();
  });

  it('reads a cluster_header entry from the request', () => {
    const h = table(routes({ match: { prefix: '/' }, route: { weightedClusters: { clusters: [{ clusterHeader: 'x-c', weight: 1 }] } } }));
    expect(forward(route(h, '/', { headers: { 'x-c': 'picked' } })).cluster).toBe('picked');
  });

  it.each([
    [{ clusters: [{ name: 'a', weight: 0 }] }, 'route.weighted_clusters', 'greater than 0'],
    [{ clusters: [{ name: 'a', weight: 60 }, { name: 'b', weight: 30 }], totalWeight: 100 }, 'route.weighted_clusters.total_weight', 'not total_weight 100'],
    [{ clusters: [{ name: 'a', clusterHeader: 'x', weight: 1 }] }, 'route.weighted_clusters.clusters[0]', 'exactly one'],
  ])('rejects %j', (weightedClusters, path, message) => {
    const errors = errorsOf(routes({ match: { prefix: '/' }, route: { weightedClusters } }));
    expect(errors).toContainEqual({ path: `virtual_hosts[0].routes[0].${path}`, message: expect.stringContaining(message) });
  });

  it('accepts total_weight equal to the sum', () => {
    expect(errorsOf(routes({ match: { prefix: '/' }, route: { weightedClusters: { clusters: [{ name: 'a', weight: 100 }], totalWeight: 100 } } }))).toEqual([]);
  });
});

describe('path and host rewrites', () => {
  it.each([
    ['prefix_rewrite replaces the matched prefix; the query stays with the request', { prefix: '/demo/' }, { prefixRewrite: '/' }, '/demo/x/y?z=1', '/x/y'],
    ['prefix_rewrite to a longer prefix', { prefix: '/api' }, { prefixRewrite: '/v2/api' }, '/api/items', '/v2/api/items'],
    ['prefix_rewrite with a case-insensitive match', { prefix: '/API', caseSensitive: false }, { prefixRewrite: '/v1' }, '/api/x', '/v1/x'],
    ['prefix_rewrite on a path match', { path: '/old' }, { prefixRewrite: '/new' }, '/old?a=b', '/new'],
    ['prefix_rewrite on a regex match replaces the whole path', { safeRegex: { regex: '/r/.*' } }, { prefixRewrite: '/n' }, '/r/x?q', '/n'],
    [
      'regex_rewrite rewrites the path without the query',
      { prefix: '/service' },
      { regexRewrite: { pattern: { regex: '^/service/([^/]+)(/.*)$' }, substitution: '\\2/instance/\\1' } },
      '/service/foo/v1/api?x=1',
      '/v1/api/instance/foo',
    ],
    ['regex_rewrite replaces every match', { prefix: '/' }, { regexRewrite: { pattern: { regex: 'one' }, substitution: 'two' } }, '/one/one?one', '/two/two'],
  ])('%s', (_n, match, extra, path, expected) => {
    const d = forward(route(table(routes({ match, route: { cluster: 'c', ...extra } })), path));
    expect(d.pathRewrite).toBe(expected);
  });

  it('has no pathRewrite without a rewrite', () => {
    expect(forward(route(table(routes({ match: { prefix: '/' }, route: { cluster: 'c' } })), '/a')).pathRewrite).toBeUndefined();
  });

  it('rejects prefix_rewrite together with regex_rewrite', () => {
    const errors = errorsOf(routes({ match: { prefix: '/' }, route: { cluster: 'c', prefixRewrite: '/', regexRewrite: { pattern: { regex: 'a' }, substitution: 'b' } } }));
    expect(errors.map((e) => e.path)).toEqual(['virtual_hosts[0].routes[0].route']);
  });

  it.each([
    ['host_rewrite_literal', { hostRewriteLiteral: 'upstream.internal' }, {}, 'upstream.internal'],
    ['host_rewrite_header', { hostRewriteHeader: 'X-Host' }, { 'x-host': 'from-header' }, 'from-header'],
    ['host_rewrite_header, header absent', { hostRewriteHeader: 'X-Host' }, {}, undefined],
    ['host_rewrite_path_regex', { hostRewritePathRegex: { pattern: { regex: '^/h/([^/]+)/.*$' }, substitution: '\\1.svc' } }, {}, 'www.svc'],
  ])('%s', (_n, extra, headers, expected) => {
    const d = forward(route(table(routes({ match: { prefix: '/' }, route: { cluster: 'c', ...extra } })), '/h/www/x?q', { headers }));
    expect(d.hostRewrite).toBe(expected);
  });

  it('auto_host_rewrite is a flag for the router, filled from the chosen endpoint', () => {
    const d = forward(route(table(routes({ match: { prefix: '/' }, route: { cluster: 'c', autoHostRewrite: true } })), '/'));
    expect([d.autoHostRewrite, d.hostRewrite]).toEqual([true, undefined]);
  });

  it("a route's host rewrite wins over its weighted cluster entry's", () => {
    const d = forward(
      route(table(routes({ match: { prefix: '/' }, route: { hostRewriteLiteral: 'route', weightedClusters: { clusters: [{ name: 'a', weight: 1, hostRewriteLiteral: 'entry' }] } } })), '/'),
    );
    expect(d.hostRewrite).toBe('route');
  });
});

describe('header operations', () => {
  const levels = (mostSpecificHeaderMutationsWins: boolean) => ({
    name: 'rc',
    mostSpecificHeaderMutationsWins,
    requestHeadersToAdd: [{ header: { key: 'x-level', value: 'rc' }, append: false }],
    responseHeadersToAdd: [{ header: { key: 'x-resp', value: 'rc' }, append: false }],
    virtualHosts: [
      {
        name: 'vh',
        domains: ['*'],
        requestHeadersToAdd: [{ header: { key: 'x-level', value: 'vh' }, append: false }],
        requestHeadersToRemove: ['x-internal'],
        routes: [
          {
            match: { prefix: '/' },
            requestHeadersToAdd: [{ header: { key: 'x-level', value: 'route' }, append: false }],
            responseHeadersToAdd: [{ header: { key: 'x-resp', value: 'route' }, append: false }],
            route: {
              weightedClusters: {
                clusters: [{ name: 'a', weight: 1, requestHeadersToAdd: [{ header: { key: 'x-level', value: 'entry' }, append: false }] }],
              },
            },
          },
        ],
      },
    ],
  });

  function finalHeaders(mostSpecific: boolean) {
    const d = forward(route(table(levels(mostSpecific)), '/'));
    const headers = new FakeHeaders();
    headers.set('x-internal', 'secret');
    applyHeaderMutations(d.requestHeaderMutations, headers);
    const response = new FakeHeaders();
    applyHeaderMutations(d.responseHeaderMutations, response);
    return { d, headers, response };
  }

  it('applies weighted cluster, route, virtual host, then route configuration (the last write wins)', () => {
    const { d, headers, response } = finalHeaders(false);
    const values = d.requestHeaderMutations.map((m) => (m.op === 'add' ? m.value : `-${m.name}`));
    expect(values).toEqual(['entry', 'route', '-x-internal', 'vh', 'rc']);
    expect(headers.map.get('x-level')).toEqual(['rc']);
    expect(headers.has('x-internal')).toBe(false);
    expect(response.map.get('x-resp')).toEqual(['rc']);
  });

  it('most_specific_header_mutations_wins reverses the chain after the weighted cluster entry', () => {
    const { d, headers, response } = finalHeaders(true);
    const values = d.requestHeaderMutations.map((m) => (m.op === 'add' ? m.value : `-${m.name}`));
    expect(values).toEqual(['entry', 'rc', '-x-internal', 'vh', 'route']);
    expect(headers.map.get('x-level')).toEqual(['route']);
    expect(response.map.get('x-resp')).toEqual(['route']);
  });

  it('also offers the operations as remove and add lists', () => {
    const d = forward(route(table(levels(false)), '/'));
    expect(d.requestHeadersToRemove).toEqual(['x-internal']);
    expect(d.requestHeadersToAdd.map((h) => [h.key, h.value, h.append])).toEqual([
      ['x-level', 'entry', false],
      ['x-level', 'route', false],
      ['x-level', 'vh', false],
      ['x-level', 'rc', false],
    ]);
    expect(d.responseHeadersToAdd.map((h) => h.value)).toEqual(['route', 'rc']);
  });
});

describe('per-filter config and CORS', () => {
  const any = (type: string, value: object) => ({ '@type': `type.googleapis.com/${type}`, ...value });
  const fault = (status: number) => any('envoy.extensions.filters.http.fault.v3.HTTPFault', { abort: { httpStatus: status, percentage: { numerator: 100 } } });
  const cors = (origin: string) => any('envoy.extensions.filters.http.cors.v3.CorsPolicy', { allowOriginStringMatch: [{ exact: origin }], allowMethods: 'GET' });
  const unpackStatus = (d: ForwardDecision) => {
    const config = d.perFilterConfig.get('envoy.filters.http.fault');
    return config ? (registry.unpack(config) as { abort: { http_status: number } }).abort.http_status : undefined;
  };

  const t = table({
    name: 'rc',
    typedPerFilterConfig: { 'envoy.filters.http.fault': fault(501), 'x.only.rc': fault(599) },
    virtualHosts: [
      {
        name: 'vh',
        domains: ['*'],
        typedPerFilterConfig: { 'envoy.filters.http.fault': fault(502), 'envoy.filters.http.cors': cors('https://vh.example') },
        routes: [
          {
            match: { prefix: '/entry' },
            route: { weightedClusters: { clusters: [{ name: 'a', weight: 1, typedPerFilterConfig: { 'envoy.filters.http.fault': fault(504) } }] } },
            typedPerFilterConfig: { 'envoy.filters.http.fault': fault(503), 'envoy.filters.http.cors': cors('https://route.example') },
          },
          { match: { prefix: '/route' }, route: { cluster: 'c' }, typedPerFilterConfig: { 'envoy.filters.http.fault': fault(503) } },
          { match: { prefix: '/' }, route: { cluster: 'c' } },
        ],
      },
    ],
  });

  it.each([
    ['/entry', 504],
    ['/route', 503],
    ['/vh', 502],
  ])('%s resolves the fault config to the most specific level (abort %i)', (path, status) => {
    expect(unpackStatus(forward(route(t, path)))).toBe(status);
  });

  it('keeps less specific entries for other filters', () => {
    expect(forward(route(t, '/entry')).perFilterConfig.has('x.only.rc')).toBe(true);
  });

  it('resolves typed CORS policies most specific first, compiled', () => {
    const d = forward(route(t, '/entry'));
    expect(d.corsPolicies.map((p) => p.allowOrigins[0]?.match('https://route.example'))).toEqual([true, false]);
    expect(d.cors?.allowMethods).toBe('GET');
    expect(d.cors?.filterEnabledPerMillion).toBe(1_000_000);
    expect(forward(route(t, '/vh')).cors?.allowOrigins[0]?.match('https://vh.example')).toBe(true);
  });

  it('falls back to the deprecated cors fields of route and virtual host', () => {
    const legacy = table({
      virtualHosts: [
        {
          name: 'vh',
          domains: ['*'],
          cors: { allowOriginStringMatch: [{ prefix: 'https://' }], filterEnabled: { defaultValue: { numerator: 50 } } },
          routes: [
            { match: { prefix: '/r' }, route: { cluster: 'c', cors: { allowOriginStringMatch: [{ exact: 'https://r' }], allowCredentials: true } } },
            { match: { prefix: '/' }, route: { cluster: 'c' } },
          ],
        },
      ],
    });
    const r = forward(route(legacy, '/r'));
    expect(r.corsPolicies).toHaveLength(2);
    expect(r.cors?.allowCredentials).toBe(true);
    expect(forward(route(legacy, '/')).cors?.filterEnabledPerMillion).toBe(500_000);
  });

  it('needs an Any decoder for typed CORS policies', () => {
    const json = routes({ match: { prefix: '/' }, route: { cluster: 'c' }, typedPerFilterConfig: { 'envoy.filters.http.cors': cors('x') } });
    expect(errorsOf(json, false).map((e) => e.message)).toEqual([expect.stringContaining('Any decoder')]);
  });
});

describe('mirrors', () => {
  it('lists fixed mirrors with their fraction per million', () => {
    const d = forward(
      route(
        table(
          routes({
            match: { prefix: '/' },
            route: {
              cluster: 'c',
              requestMirrorPolicies: [
                { cluster: 'shadow', runtimeFraction: { defaultValue: { numerator: 25 } } },
                { cluster: 'all', disableShadowHostSuffixAppend: true },
              ],
            },
          }),
        ),
        '/',
      ),
    );
    expect(d.mirrors).toEqual([
      { cluster: 'shadow', fractionPerMillion: 250_000, appendShadowSuffix: true },
      { cluster: 'all', fractionPerMillion: 1_000_000, appendShadowSuffix: false },
    ]);
  });

  it('resolves cluster_header mirrors per request and skips them when the header is absent', () => {
    const t = table(routes({ match: { prefix: '/' }, route: { cluster: 'c', requestMirrorPolicies: [{ clusterHeader: 'x-shadow' }] } }));
    expect(forward(route(t, '/', { headers: { 'x-shadow': 's1' } })).mirrors.map((m) => m.cluster)).toEqual(['s1']);
    expect(forward(route(t, '/')).mirrors).toEqual([]);
  });

  it("inherits the virtual host's mirrors when the route has none", () => {
    const t = table({
      virtualHosts: [{ name: 'vh', domains: ['*'], requestMirrorPolicies: [{ cluster: 'vh-shadow' }], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }],
    });
    expect(forward(route(t, '/')).mirrors.map((m) => m.cluster)).toEqual(['vh-shadow']);
  });
});

