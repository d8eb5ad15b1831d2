import { loadProtoRegistry } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { proxyFor, snapshotFromYaml } from '../../../test/fixtures/snapshot.js';
import type { GeneratorContext } from '../generator.js';
import { sidecarScope } from '../sidecar-scope.js';
import { buildGatewayRouteConfig, matchingGatewayHosts } from './gateway-route-config.js';
import { mergedGatewayFor } from './merged-gateway.js';
import { buildSidecarOutboundRouteConfig } from './sidecar-route-config.js';
import { buildVirtualHostsForService } from './sidecar-virtual-hosts.js';
import { altVirtualHosts, virtualHostDomains } from './virtual-host-domains.js';
import { resolveVirtualService } from './virtual-service.js';

describe('virtual host domains', () => {
  it.each<[string, string, string, number, string, string[]]>([
    [
      'same namespace: every shorter form',
      'reviews.default.svc.cluster.local', '10.96.0.12', 9080, 'default.svc.cluster.local',
      ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080', 'reviews', 'reviews:9080', 'reviews.default.svc.cluster', 'reviews.default.svc.cluster:9080', 'reviews.default.svc', 'reviews.default.svc:9080', 'reviews.default', 'reviews.default:9080', '10.96.0.12', '10.96.0.12:9080'],
    ],
    [
      'other namespace: the namespace stays',
      'ratings.prod.svc.cluster.local', '0.0.0.0', 9080, 'default.svc.cluster.local',
      ['ratings.prod.svc.cluster.local', 'ratings.prod.svc.cluster.local:9080', 'ratings.prod', 'ratings.prod:9080', 'ratings.prod.svc.cluster', 'ratings.prod.svc.cluster:9080', 'ratings.prod.svc', 'ratings.prod.svc:9080'],
    ],
    ['external host: FQDN only, no VIP for 0.0.0.0', 'api.example.com', '0.0.0.0', 443, 'default.svc.cluster.local', ['api.example.com', 'api.example.com:443']],
    ['a /32 CIDR VIP is an IP', 'db.example.com', '10.0.0.5/32', 5432, 'default.svc.cluster.local', ['db.example.com', 'db.example.com:5432', '10.0.0.5', '10.0.0.5:5432']],
    ['a wider CIDR gives no IP domain', 'db.example.com', '10.0.0.0/24', 5432, 'default.svc.cluster.local', ['db.example.com', 'db.example.com:5432']],
  ])('%s', (_, host, address, port, proxyDomain, expected) => {
    expect(virtualHostDomains(host, address, port, proxyDomain)).toEqual(expected);
  });

  it('shares only the common DNS suffix', () => {
    expect(altVirtualHosts('foo.local', 80, 'default.svc.cluster.local')).toEqual(['foo', 'foo:80']);
  });
});

const BASE = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews.default.svc.cluster.local]
  addresses: [10.96.0.12]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.1.0.12, labels: {app: reviews, version: v1}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: app, namespace: default}
spec:
  hosts: [app.default.svc.cluster.local]
  addresses: [10.96.0.20]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.1.0.20, labels: {app: app}}]
`;

function ctxFor(yaml: string, node: string, labels: Record<string, string>, mesh = {}): GeneratorContext {
  const snapshot = snapshotFromYaml(BASE + yaml, { mesh });
  const proxy = proxyFor(node, { LABELS: labels });
  return { snapshot, proxy, scope: sidecarScope(snapshot, proxy) };
}

const SIDECAR = 'sidecar~10.1.0.20~app-abc.default~default.svc.cluster.local';
const GATEWAY = 'router~10.1.0.100~gw-abc.istio-system~istio-system.svc.cluster.local';
const json = (rc: object) => loadProtoRegistry().toJson('envoy.config.route.v3.RouteConfiguration', rc) as { virtualHosts?: { name: string; domains: string[]; requireTls?: string; routes: { directResponse?: unknown }[] }[] };

describe('sidecar route configs', () => {
  it.each<[string, string, { name: string; direct?: boolean }]>([
    ['ALLOW_ANY ends with allow_any to PassthroughCluster', 'ALLOW_ANY', { name: 'allow_any' }],
    ['REGISTRY_ONLY ends with block_all answering 502', 'REGISTRY_ONLY', { name: 'block_all', direct: true }],
  ])('%s', (_, mode, expected) => {
    const ctx = ctxFor('', SIDECAR, { app: 'app' }, { outboundTrafficPolicy: { mode } });
    const hosts = json(buildSidecarOutboundRouteConfig(ctx, 9080)).virtualHosts ?? [];
    const last = hosts[hosts.length - 1];
    expect(last?.name).toBe(expected.name);
    expect(last?.domains).toEqual(['*']);
    expect(last?.routes[0]?.directResponse !== undefined).toBe(!!expected.direct);
  });

  it('a VirtualService host that is no service gets host and host:port domains', () => {
    const ctx = ctxFor(
      `---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: mixed, namespace: default}
spec:
  hosts: [reviews, legacy.example.com]
  http: [{route: [{destination: {host: reviews}}]}]
`,
      SIDECAR,
      { app: 'app' },
    );
    const names = (json(buildSidecarOutboundRouteConfig(ctx, 9080)).virtualHosts ?? []).map((h) => [h.name, h.domains.slice(0, 2)]);
    expect(names).toContainEqual(['legacy.example.com:9080', ['legacy.example.com', 'legacy.example.com:9080']]);
    expect(names).toContainEqual(['reviews.default.svc.cluster.local:9080', ['reviews.default.svc.cluster.local', 'reviews.default.svc.cluster.local:9080']]);
  });

  it('buildVirtualHostsForService gives the service’s own virtual host with its VirtualService routes', () => {
    const ctx = ctxFor(
      `---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: reviews, namespace: default}
spec:
  hosts: [reviews]
  http: [{timeout: 3s, route: [{destination: {host: reviews, subset: v1}}]}]
`,
      SIDECAR,
      { app: 'app' },
    );
    const service = ctx.snapshot.service('reviews.default.svc.cluster.local');
    if (!service) throw new Error('fixture');
    const hosts = buildVirtualHostsForService(ctx, service, 9080);
    expect(hosts.map((h) => h.name)).toEqual(['reviews.default.svc.cluster.local:9080']);
    expect(hosts[0]?.routes?.[0]?.route?.cluster).toBe('outbound|9080|v1|reviews.default.svc.cluster.local');
  });
});

const GATEWAYS = `---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["default/*.example.com", "bookinfo.example.com"]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: a, namespace: default}
spec:
  hosts: [a.example.com]
  gateways: [istio-system/gw]
  http: [{route: [{destination: {host: reviews}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: b, namespace: other}
spec:
  hosts: [b.example.com]
  gateways: [istio-system/gw]
  http: [{route: [{destination: {host: reviews.default.svc.cluster.local}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: c, namespace: istio-system}
spec:
  hosts: [c.example.com]
  gateways: [gw]
  http: [{route: [{destination: {host: reviews.default.svc.cluster.local}}]}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: mesh-only, namespace: default}
spec:
  hosts: [bookinfo.example.com]
  http: [{route: [{destination: {host: reviews}}]}]
`;

describe('gateway route configs', () => {
  it('binds VirtualServices by gateway name and filters them by the server hosts `ns/host`', () => {
    const ctx = ctxFor(GATEWAYS, GATEWAY, { istio: 'ingressgateway' });
    const rc = buildGatewayRouteConfig(ctx, mergedGatewayFor(ctx), 'http.80');
    if (!rc) throw new Error('route config missing');
    // a: default/*.example.com admits it. b: namespace "other" is not admitted by default/*.example.com.
    // c: bare gateway name resolved in istio-system, but its host is only admitted for namespace default.
    // mesh-only: not bound to the gateway.
    expect(json(rc).virtualHosts?.map((h) => [h.name, h.domains, h.requireTls])).toEqual([['a.example.com:80', ['a.example.com', 'a.example.com:80'], 'ALL']]);
  });

  it.each<[string, string[], string, string[]]>([
    ['any namespace', ['*/a.example.com'], 'default', ['a.example.com']],
    ['own namespace only', ['prod/a.example.com'], 'default', []],
    ['wildcard server host', ['*/*.example.com'], 'default', ['a.example.com']],
    ['server host `*` admits everything', ['*/*'], 'default', ['a.example.com']],
  ])('matchingGatewayHosts: %s', (_, serverHosts, ns, expected) => {
    const vs = resolveVirtualService({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'VirtualService', metadata: { name: 'v', namespace: ns }, spec: { hosts: ['a.example.com'] } } as never, 'cluster.local');
    expect([...matchingGatewayHosts(serverHosts, vs).keys()]).toEqual(expected);
  });
});
