import { defaultMeshConfig, formatIssue, parseConfigYaml, validateConfig, type HTTPMatchRequest, type HTTPRoute, type IstioConfig, type MeshConfig, type RouteConfiguration, type StringMatch, type VirtualService } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { proxyFor } from '../../../test/fixtures/snapshot.js';
import { MeshSnapshot, type Config } from '../../model/mesh-snapshot.js';
import { ServiceEntryRegistry } from '../../registry/service-entry-registry.js';
import { aggregateView } from '../../registry/service-registry.js';
import { configSetFrom } from '../../sources/config-set.js';
import type { GeneratedResource, GeneratorContext } from '../generator.js';
import { sidecarScope } from '../sidecar-scope.js';
import { rdsGenerator } from './rds.js';
import { matchConflict, mergeHttpRoute, mergeMatchRequests, resolveDelegates, stringMatchConflict } from './virtual-service-delegate.js';
import { virtualServicesFor } from './virtual-service.js';

describe('stringMatchConflict', () => {
  it.each<[string, StringMatch | undefined, StringMatch | undefined, boolean]>([
    ['unset root', undefined, { prefix: '/a' }, false],
    ['unset delegate', { prefix: '/a' }, undefined, false],
    ['prefix within prefix', { prefix: '/api' }, { prefix: '/api/v1' }, false],
    ['equal prefixes', { prefix: '/api' }, { prefix: '/api' }, false],
    ['prefix outside prefix', { prefix: '/api/v1' }, { prefix: '/api' }, true],
    ['exact within prefix', { prefix: '/api' }, { exact: '/api/health' }, false],
    ['exact outside prefix', { prefix: '/api' }, { exact: '/other' }, true],
    ['same exact', { exact: '/a' }, { exact: '/a' }, false],
    ['different exact', { exact: '/a' }, { exact: '/b' }, true],
    ['prefix under exact', { exact: '/a' }, { prefix: '/a' }, true],
    ['regex root', { regex: '/a.*' }, { prefix: '/a' }, true],
    ['regex delegate', { prefix: '/a' }, { regex: '/a.*' }, true],
    ['presence-only root', {}, { exact: 'x' }, true],
  ])('%s', (_, root, leaf, conflict) => {
    expect(stringMatchConflict(root, leaf)).toBe(conflict);
  });
});

describe('matchConflict', () => {
  it.each<[string, HTTPMatchRequest, HTTPMatchRequest, boolean]>([
    ['different headers never conflict', { headers: { a: { exact: '1' } } }, { headers: { b: { exact: '2' } } }, false],
    ['same header, different value', { headers: { a: { exact: '1' } } }, { headers: { a: { exact: '2' } } }, true],
    ['query param within prefix', { queryParams: { v: { prefix: 'v' } } }, { queryParams: { v: { exact: 'v2' } } }, false],
    ['ignoreUriCase must agree', { ignoreUriCase: true }, {}, true],
    ['different ports', { port: 80 }, { port: 8080 }, true],
    ['port on one side only', { port: 80 }, {}, false],
    ['differing source label', { sourceLabels: { app: 'a' } }, { sourceLabels: { app: 'b' } }, true],
    ['delegate gateways within the root’s', { gateways: ['ns/a', 'mesh'] }, { gateways: ['mesh'] }, false],
    ['delegate gateway outside the root’s', { gateways: ['ns/a'] }, { gateways: ['mesh'] }, true],
    ['root sourceNamespace must be repeated', { sourceNamespace: 'x' }, {}, true],
  ])('%s', (_, root, leaf, conflict) => {
    expect(matchConflict(root, leaf)).toBe(conflict);
  });
});

describe('mergeMatchRequests', () => {
  it.each<[string, HTTPMatchRequest[], HTTPMatchRequest[], HTTPMatchRequest[] | undefined]>([
    ['root without matches: the delegate’s', [], [{ uri: { prefix: '/a' } }], [{ uri: { prefix: '/a' } }]],
    ['delegate without matches: the root’s', [{ uri: { prefix: '/a' } }], [], [{ uri: { prefix: '/a' } }]],
    ['prefix within prefix keeps the narrower uri', [{ uri: { prefix: '/api' } }], [{ uri: { prefix: '/api/v1' } }], [{ uri: { prefix: '/api/v1' } }]],
    [
      'headers are united, the root’s uri fills in',
      [{ uri: { prefix: '/api' }, headers: { 'x-a': { exact: 'a' } } }],
      [{ headers: { 'x-b': { exact: 'b' } } }],
      [{ uri: { prefix: '/api' }, headers: { 'x-a': { exact: 'a' }, 'x-b': { exact: 'b' } } }],
    ],
    [
      'every root × delegate combination, delegate-major, conflicting ones dropped',
      [{ uri: { prefix: '/a' } }, { uri: { prefix: '/b' } }, { headers: { v: { exact: '1' } } }],
      [{ uri: { prefix: '/a/x' } }, { uri: { prefix: '/b/y' } }],
      [{ uri: { prefix: '/a/x' } }, { uri: { prefix: '/a/x' }, headers: { v: { exact: '1' } } }, { uri: { prefix: '/b/y' } }, { uri: { prefix: '/b/y' }, headers: { v: { exact: '1' } } }],
    ],
    ['a delegate match that fits no root match is a conflict', [{ uri: { prefix: '/a' } }], [{ uri: { prefix: '/a/x' } }, { uri: { prefix: '/c' } }], undefined],
    ['conflicting uri', [{ uri: { prefix: '/a' } }], [{ uri: { exact: '/b' } }], undefined],
    [
      'names join root-delegate; port, gateways and source labels are inherited',
      [{ name: 'r', port: 80, gateways: ['mesh'], sourceLabels: { app: 'a' } }],
      [{ name: 'd', sourceLabels: { v: '1' } }],
      [{ name: 'r-d', port: 80, gateways: ['mesh'], sourceLabels: { app: 'a', v: '1' } }],
    ],
  ])('%s', (_, root, delegate, expected) => {
    expect(mergeMatchRequests(root, delegate)).toEqual(expected);
  });
});

describe('mergeHttpRoute', () => {
  const root: HTTPRoute = { name: 'root', match: [{ uri: { prefix: '/api' } }], delegate: { name: 'd' }, timeout: '5s', retries: { attempts: 2 }, headers: { request: { set: { 'x-root': '1' } } } };
  it.each<[string, HTTPRoute, Partial<HTTPRoute> | undefined]>([
    [
      'keeps the delegate’s action and fills settings it lacks from the root',
      { name: 'v1', route: [{ destination: { host: 'a' } }] },
      { name: 'root-v1', match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'a' } }], timeout: '5s', retries: { attempts: 2 }, headers: { request: { set: { 'x-root': '1' } } } },
    ],
    [
      'the delegate’s own settings win',
      { route: [{ destination: { host: 'a' } }], timeout: '1s', headers: { response: { remove: ['x'] } } },
      { name: 'root', match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'a' } }], timeout: '1s', retries: { attempts: 2 }, headers: { response: { remove: ['x'] } } },
    ],
    ['a conflicting match drops the route', { match: [{ uri: { prefix: '/other' } }], route: [{ destination: { host: 'a' } }] }, undefined],
  ])('%s', (_, delegate, expected) => {
    expect(mergeHttpRoute(root, delegate)).toEqual(expected);
  });
});

function vs(name: string, namespace: string, spec: VirtualService): Config<VirtualService> {
  return { apiVersion: 'networking.istio.io/v1alpha3', kind: 'VirtualService', metadata: { name, namespace }, spec } as Config<VirtualService>;
}
const to = (host: string): HTTPRoute['route'] => [{ destination: { host } }];
const uris = (v: Config<VirtualService>) => (v.spec.http ?? []).map((r) => [r.match?.map((m) => m.uri?.prefix ?? m.uri?.exact) ?? [], r.route?.[0]?.destination?.host]);

describe('resolveDelegates', () => {
  const ROOT = vs('root', 'default', {
    hosts: ['bookinfo.example.com'],
    http: [
      { match: [{ uri: { prefix: '/reviews' } }], delegate: { name: 'reviews', namespace: 'team' } },
      { match: [{ uri: { prefix: '/ratings' } }], delegate: { name: 'ratings' } },
      { route: to('productpage') },
    ],
  });
  const REVIEWS = vs('reviews', 'team', { http: [{ match: [{ uri: { prefix: '/reviews/v2' } }], route: to('reviews-v2') }, { route: to('reviews-v1') }] });
  const RATINGS = vs('ratings', 'default', { http: [{ route: to('ratings') }] });

  it.each<[string, Config<VirtualService>[], readonly string[] | undefined, (string | string[] | undefined)[][]]>([
    [
      'delegated routes are replaced in place, in order (namespace defaults to the root’s)',
      [REVIEWS, RATINGS],
      undefined,
      [[['/reviews/v2'], 'reviews-v2'], [['/reviews'], 'reviews-v1'], [['/ratings'], 'ratings'], [[], 'productpage']],
    ],
    ['a missing delegate drops that route only', [RATINGS], undefined, [[['/ratings'], 'ratings'], [[], 'productpage']]],
    ['a VirtualService with hosts is no delegate', [{ ...REVIEWS, spec: { ...REVIEWS.spec, hosts: ['reviews'] } }, RATINGS], undefined, [[['/ratings'], 'ratings'], [[], 'productpage']]],
    ['a delegate not exported to the root’s namespace is dropped', [{ ...REVIEWS, spec: { ...REVIEWS.spec, exportTo: ['.'] } }, RATINGS], undefined, [[['/ratings'], 'ratings'], [[], 'productpage']]],
    ['a delegate exported to the root’s namespace is used', [{ ...REVIEWS, spec: { ...REVIEWS.spec, exportTo: ['default'] } }], ['.'], [[['/reviews/v2'], 'reviews-v2'], [['/reviews'], 'reviews-v1'], [[], 'productpage']]],
    ['mesh default exportTo `.`: only same-namespace delegates', [REVIEWS, RATINGS], ['.'], [[['/ratings'], 'ratings'], [[], 'productpage']]],
    [
      'nested delegates are ignored (one level only)',
      [vs('reviews', 'team', { http: [{ match: [{ uri: { prefix: '/reviews/x' } }], delegate: { name: 'ratings', namespace: 'default' } }, { route: to('reviews-v1') }] }), RATINGS],
      undefined,
      [[['/reviews'], 'reviews-v1'], [['/ratings'], 'ratings'], [[], 'productpage']],
    ],
  ])('%s', (_, delegates, defaultExportTo, expected) => {
    expect(uris(resolveDelegates(ROOT, [ROOT, ...delegates], defaultExportTo))).toEqual(expected);
  });

  it('leaves a VirtualService without delegating routes untouched', () => {
    const plain = vs('plain', 'default', { hosts: ['a'], http: [{ route: to('a') }] });
    expect(resolveDelegates(plain, [plain, REVIEWS])).toBe(plain);
  });

  it('a delegate alone yields no VirtualService to build virtual hosts from', () => {
    expect(virtualServicesFor([REVIEWS, RATINGS], new Set(['mesh']), 'cluster.local')).toEqual([]);
  });
});

// Weft's validation (packages/api) rejects a VirtualService without hosts, which Istio accepts as a
// delegate, so snapshotFromYaml cannot load these fixtures; only that one error is tolerated here.
function snapshotOf(yaml: string, mesh: Partial<MeshConfig> = {}): MeshSnapshot {
  const configs: IstioConfig[] = [];
  for (const doc of parseConfigYaml(yaml, 'fixture').documents) {
    const result = validateConfig(doc.value);
    const errors = result.errors.filter((e) => !(e.path === 'spec.hosts' && e.message === 'at least one host is required'));
    if (errors.length > 0 || !result.config) throw new Error(`fixture is invalid:\n${errors.map(formatIssue).join('\n')}`);
    configs.push(result.config);
  }
  const set = configSetFrom(configs);
  const view = aggregateView([new ServiceEntryRegistry()], set);
  return new MeshSnapshot({ version: 'test', mesh: { ...defaultMeshConfig(), ...mesh }, domainSuffix: 'cluster.local', configs: set, services: view.services, instances: view.instances });
}

const SERVICES = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  addresses: [10.96.0.12]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.1.0.12, labels: {app: reviews}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ratings, namespace: team}
spec:
  hosts: [ratings.team.svc.cluster.local]
  addresses: [10.96.0.13]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.1.0.13, labels: {app: ratings}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*/bookinfo.example.com"]
`;

// Delegates in two namespaces; short destination names resolve in the delegate's own namespace.
const DELEGATES = `---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: v2-routes, namespace: default}
spec:
  http:
  - name: v2
    match: [{uri: {prefix: /api/v2}}, {uri: {prefix: /api/v3}}]
    route: [{destination: {host: reviews, subset: v2}}]
  - name: v2-rest
    route: [{destination: {host: reviews, subset: v2-rest}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings-routes, namespace: team}
spec:
  http:
  - match: [{headers: {x-canary: {exact: "1"}}}]
    route: [{destination: {host: ratings}}]
`;

const SIDECAR_ROOT = `---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http:
  - name: api
    match: [{uri: {prefix: /api}}]
    delegate: {name: v2-routes}
  - match: [{uri: {prefix: /ratings}}]
    delegate: {name: ratings-routes, namespace: team}
  - match: [{uri: {prefix: /missing}}]
    delegate: {name: nowhere}
  - route: [{destination: {host: reviews, subset: v1}}]
`;

const GATEWAY_ROOT = `---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: bookinfo, namespace: default}
spec:
  hosts: [bookinfo.example.com]
  gateways: [istio-system/gw]
  http:
  - match: [{uri: {prefix: /ratings}}]
    delegate: {name: ratings-routes, namespace: team}
  - route: [{destination: {host: reviews, subset: v1}}]
`;

const SIDECAR = 'sidecar~10.1.0.20~app-abc.default~default.svc.cluster.local';
const GATEWAY = 'router~10.1.0.100~gw-abc.istio-system~istio-system.svc.cluster.local';

function generate(yaml: string, node: string, labels: Record<string, string>, names?: string[]): GeneratedResource[] {
  const snapshot = snapshotOf(SERVICES + yaml);
  const proxy = proxyFor(node, { LABELS: labels });
  const ctx: GeneratorContext = { snapshot, proxy, scope: sidecarScope(snapshot, proxy) };
  return rdsGenerator(ctx, names);
}

function routeConfig(yaml: string, node: string, labels: Record<string, string>, name: string): RouteConfiguration | undefined {
  return generate(yaml, node, labels, [name]).find((r) => r.name === name)?.resource as RouteConfiguration | undefined;
}

/** [route name, path prefix, header names, cluster] of one virtual host's routes. */
function routesOf(rc: RouteConfiguration | undefined, vhost: string): [string | undefined, string | undefined, string[], string | undefined][] {
  const vh = rc?.virtual_hosts?.find((h) => h.name === vhost);
  if (!vh) throw new Error(`no virtual host ${vhost}`);
  return (vh.routes ?? []).map((r) => [r.name, r.match?.prefix, (r.match?.headers ?? []).map((h) => h.name ?? ''), r.route?.cluster]);
}

describe('delegation in generated route configurations', () => {
  it('sidecar: delegated routes merged in place, order kept, missing delegate dropped', () => {
    expect(routesOf(routeConfig(SIDECAR_ROOT + DELEGATES, SIDECAR, { app: 'app' }, '9080'), 'reviews.default.svc.cluster.local:9080')).toEqual([
      ['api-v2', '/api/v2', [], 'outbound|9080|v2|reviews.default.svc.cluster.local'],
      ['api-v2', '/api/v3', [], 'outbound|9080|v2|reviews.default.svc.cluster.local'],
      ['api-v2-rest', '/api', [], 'outbound|9080|v2-rest|reviews.default.svc.cluster.local'],
      [undefined, '/ratings', ['x-canary'], 'outbound|9080||ratings.team.svc.cluster.local'],
      [undefined, '/', [], 'outbound|9080|v1|reviews.default.svc.cluster.local'],
    ]);
  });

  it.each<[string, string, Record<string, string>]>([
    ['sidecar', SIDECAR, { app: 'app' }],
    ['gateway', GATEWAY, { istio: 'ingressgateway' }],
  ])('delegate VirtualServices alone change nothing (%s)', (_, node, labels) => {
    expect(generate(DELEGATES, node, labels)).toEqual(generate('', node, labels));
  });

  it('gateway: a root bound to the gateway serves the merged routes in http.80', () => {
    expect(routesOf(routeConfig(GATEWAY_ROOT + DELEGATES, GATEWAY, { istio: 'ingressgateway' }, 'http.80'), 'bookinfo.example.com:80')).toEqual([
      [undefined, '/ratings', ['x-canary'], 'outbound|9080||ratings.team.svc.cluster.local'],
      [undefined, '/', [], 'outbound|9080|v1|reviews.default.svc.cluster.local'],
    ]);
  });
});
