import { loadProtoRegistry } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { proxyFor, snapshotFromYaml } from '../../../test/fixtures/snapshot.js';
import { roundTripProblems } from '../../../test/xds-golden.js';
import type { GeneratorContext } from '../generator.js';
import { sidecarScope } from '../sidecar-scope.js';
import { ldsGenerator } from './index.js';

const SERVICES = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: app, namespace: default}
spec:
  hosts: [app.default.svc.cluster.local]
  addresses: [10.96.0.20]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}, {number: 9090, name: grpc, protocol: GRPC}, {number: 3306, name: tcp, protocol: TCP}]
  endpoints: [{address: 10.1.0.20, labels: {app: app}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: db, namespace: default}
spec:
  hosts: [db.default.svc.cluster.local]
  addresses: [10.96.0.30]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 5432, name: tcp, protocol: TCP}]
  endpoints: [{address: 10.1.0.30, labels: {version: v1}}, {address: 10.1.0.31, labels: {version: v2}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: external, namespace: default}
spec:
  hosts: [api.example.com, www.example.com]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: db, namespace: default}
spec:
  hosts: [db]
  tcp:
  - route:
    - {destination: {host: db, subset: v1}, weight: 70}
    - {destination: {host: db, subset: v2}, weight: 30}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: api, namespace: default}
spec:
  hosts: [api.example.com]
  tls:
  - match: [{sniHosts: [api.example.com]}]
    route: [{destination: {host: api.example.com}}]
`;

const GATEWAY = `---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: gw, namespace: istio-system}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 443, name: tls, protocol: TLS}
    hosts: ["*.example.com"]
    tls: {mode: PASSTHROUGH}
  - port: {number: 8443, name: https, protocol: HTTPS}
    hosts: [secure.example.com]
    tls: {mode: MUTUAL, serverCertificate: /etc/certs/tls.crt, privateKey: /etc/certs/tls.key, caCertificates: /etc/certs/ca.crt, subjectAltNames: [spiffe://cluster.local/ns/a/sa/b]}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: passthrough, namespace: default}
spec:
  hosts: [api.example.com]
  gateways: [istio-system/gw]
  tls:
  - match: [{port: 443, sniHosts: [api.example.com]}]
    route: [{destination: {host: api.example.com, port: {number: 443}}}]
`;

// Tests walk arbitrary proto3 JSON; a loose type keeps the assertions readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = Record<string, any>;

function listeners(yaml: string, node: string, labels: Record<string, string>, mesh = {}): Json[] {
  const snapshot = snapshotFromYaml(yaml, { mesh });
  const proxy = proxyFor(node, { LABELS: labels });
  const ctx: GeneratorContext = { snapshot, proxy, scope: sidecarScope(snapshot, proxy) };
  const out = ldsGenerator(ctx);
  expect(out.flatMap(roundTripProblems)).toEqual([]);
  return out.map((l) => ({ name: l.name, ...(loadProtoRegistry().toJson(l.messageType, l.resource) as Json) }));
}

const SIDECAR = 'sidecar~10.1.0.20~app-abc.default~default.svc.cluster.local';
const byName = (ls: Json[], name: string) => ls.find((l) => l.name === name);
const tcp = (chain: Json) => chain.filters[0].typedConfig;

describe('sidecar listeners', () => {
  const ls = listeners(SERVICES, SIDECAR, { app: 'app' });

  it('HTTP ports get 0.0.0.0_<port> with RDS "<port>", not bound to the port', () => {
    const l = byName(ls, '0.0.0.0_9080');
    expect(l?.bindToPort).toBe(false);
    expect(l?.filterChains[0].filters[0].typedConfig.rds.routeConfigName).toBe('9080');
    expect(byName(ls, '0.0.0.0_9090')?.filterChains[0].filters[0].typedConfig.rds.routeConfigName).toBe('9090');
  });

  it('TCP ports listen on the VIP with tcp_proxy to the service cluster', () => {
    expect(tcp(byName(ls, '10.96.0.20_3306')?.filterChains[0])).toMatchObject({ statPrefix: 'outbound|3306||app.default.svc.cluster.local', cluster: 'outbound|3306||app.default.svc.cluster.local' });
  });

  it('TCP routes with weights become weighted clusters named after the VirtualService', () => {
    expect(tcp(byName(ls, '10.96.0.30_5432')?.filterChains[0])).toMatchObject({
      statPrefix: 'db.default',
      weightedClusters: { clusters: [{ name: 'outbound|5432|v1|db.default.svc.cluster.local', weight: 70 }, { name: 'outbound|5432|v2|db.default.svc.cluster.local', weight: 30 }] },
    });
  });

  it('TLS routes by SNI, and VIP-less TLS services told apart by SNI, with the TLS inspector', () => {
    const l = byName(ls, '0.0.0.0_443');
    expect(l?.filterChains.map((c: Json) => [c.filterChainMatch?.serverNames, tcp(c).cluster])).toEqual([
      [['api.example.com'], 'outbound|443||api.example.com'],
      [['www.example.com'], 'outbound|443||www.example.com'],
    ]);
    expect(l?.listenerFilters.map((f: Json) => f.name)).toEqual(['envoy.filters.listener.tls_inspector']);
  });

  it('virtualInbound has the passthrough chain and one chain per workload port', () => {
    const l = byName(ls, 'virtualInbound');
    expect(l?.filterChains.map((c: Json) => [c.filterChainMatch?.destinationPort ?? null, c.filters[0].name])).toEqual([
      [null, 'envoy.filters.network.tcp_proxy'],
      [9080, 'envoy.filters.network.http_connection_manager'],
      [9090, 'envoy.filters.network.http_connection_manager'],
      [3306, 'envoy.filters.network.tcp_proxy'],
    ]);
    const grpc = l?.filterChains[2].filters[0].typedConfig;
    expect(grpc.http2ProtocolOptions).toEqual({});
    expect(grpc.routeConfig.virtualHosts[0]).toMatchObject({ name: 'inbound|http|9090', domains: ['*'] });
    expect(tcp(l?.filterChains[3])).toMatchObject({ cluster: 'inbound|3306||' });
  });

  it.each<[string, string]>([
    ['ALLOW_ANY', 'PassthroughCluster'],
    ['REGISTRY_ONLY', 'BlackHoleCluster'],
  ])('virtualOutbound sends unmatched traffic to the %s cluster', (mode, cluster) => {
    const l = byName(listeners(SERVICES, SIDECAR, { app: 'app' }, { outboundTrafficPolicy: { mode } }), 'virtualOutbound');
    expect(l).toMatchObject({ useOriginalDst: true, address: { socketAddress: { portValue: 15001 } } });
    expect(tcp(l?.filterChains[0]).cluster).toBe(cluster);
  });

  it('tracing is off unless the mesh enables it', () => {
    const l = byName(listeners(SERVICES, SIDECAR, { app: 'app' }, { enableTracing: false }), '0.0.0.0_9080');
    expect(l?.filterChains[0].filters[0].typedConfig.tracing).toBeUndefined();
  });
});

describe('gateway listeners', () => {
  const ls = listeners(SERVICES + GATEWAY, 'router~10.1.0.100~gw-abc.istio-system~istio-system.svc.cluster.local', { istio: 'ingressgateway' });

  it('only the selected gateway’s server ports', () => {
    expect(ls.map((l) => l.name)).toEqual(['0.0.0.0_443', '0.0.0.0_8443']);
  });

  it('PASSTHROUGH servers route TLS by SNI from bound VirtualServices', () => {
    const l = byName(ls, '0.0.0.0_443');
    expect(l?.filterChains.map((c: Json) => [c.filterChainMatch?.serverNames, tcp(c).cluster])).toEqual([[['api.example.com'], 'outbound|443||api.example.com']]);
    expect(l?.listenerFilters[0].name).toBe('envoy.filters.listener.tls_inspector');
  });

  it('MUTUAL HTTPS terminates TLS with the certificate files and requires a client certificate', () => {
    const chain = byName(ls, '0.0.0.0_8443')?.filterChains[0];
    expect(chain.filterChainMatch.serverNames).toEqual(['secure.example.com']);
    expect(chain.filters[0].typedConfig.rds.routeConfigName).toBe('https.8443.https.gw.istio-system');
    expect(chain.transportSocket.typedConfig).toMatchObject({
      commonTlsContext: {
        tlsCertificates: [{ certificateChain: { filename: '/etc/certs/tls.crt' }, privateKey: { filename: '/etc/certs/tls.key' } }],
        validationContext: { trustedCa: { filename: '/etc/certs/ca.crt' }, matchTypedSubjectAltNames: [{ sanType: 'URI', matcher: { exact: 'spiffe://cluster.local/ns/a/sa/b' } }] },
        alpnProtocols: ['h2', 'http/1.1'],
      },
      requireClientCertificate: true,
    });
  });
});
