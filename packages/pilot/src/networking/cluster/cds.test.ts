import { loadProtoRegistry } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { proxyFor, snapshotFromYaml } from '../../../test/fixtures/snapshot.js';
import type { GeneratorContext } from '../generator.js';
import { sidecarScope } from '../sidecar-scope.js';
import type { Protocol } from '../../model/protocol.js';
import { CLUSTER_TYPE, finishDraft, newDraft, setUpstreamProtocol } from './cluster-draft.js';
import { cdsGenerator, edsClusterNames } from './cds.js';

const registry = loadProtoRegistry();

const YAML = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: httpbin, namespace: shop}
spec:
  hosts: [httpbin.org]
  location: MESH_EXTERNAL
  resolution: DNS
  ports: [{number: 80, name: http, protocol: HTTP}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: legacy, namespace: shop}
spec:
  hosts: [legacy.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: DNS
  ports: [{number: 7000, name: tcp, protocol: TCP}]
  endpoints:
  - {address: vm1.example.com, labels: {version: v1}}
  - {address: vm2.example.com, labels: {version: v2}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: legacy, namespace: shop}
spec:
  host: legacy
  subsets: [{name: v1, labels: {version: v1}}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: wikipedia, namespace: shop}
spec:
  hosts: ["*.wikipedia.org"]
  location: MESH_EXTERNAL
  resolution: NONE
  ports: [{number: 443, name: tls, protocol: TLS}]
---
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 7070, name: grpc, protocol: GRPC}
  - {number: 8080, name: http, protocol: HTTP}
  - {number: 5353, name: dns, protocol: UDP}
  endpoints:
  - {address: 10.3.0.5, labels: {app: cart, version: v1}, serviceAccount: cart}
  - {address: 10.3.0.6, labels: {app: cart, version: v2}, serviceAccount: cart}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: cart, namespace: shop}
spec:
  host: cart
  trafficPolicy:
    tls: {mode: ISTIO_MUTUAL}
    connectionPool: {tcp: {maxConnections: 50}}
  subsets:
  - {name: v1, labels: {version: v1}}
  - name: plain
    labels: {version: v2}
    trafficPolicy: {tls: {mode: DISABLE}}
`;

const SIDECAR = 'sidecar~10.3.0.5~cart-v1-abc.shop~shop.svc.cluster.local';
const GATEWAY = 'router~10.3.0.100~istio-ingressgateway-xyz.istio-system~istio-system.svc.cluster.local';

function generate(node: string, metadata: Record<string, unknown> = {}, extraYaml = ''): Map<string, Record<string, any>> {
  const snapshot = snapshotFromYaml(YAML + extraYaml, { mesh: { connectTimeout: '10s' } });
  const proxy = proxyFor(node, metadata);
  const ctx: GeneratorContext = { snapshot, proxy, scope: sidecarScope(snapshot, proxy) };
  return new Map(cdsGenerator(ctx).map((r) => [r.name, registry.toJson(CLUSTER_TYPE, r.resource) as Record<string, any>]));
}

describe('CDS cluster kinds', () => {
  const clusters = generate(SIDECAR);

  it('a DNS ServiceEntry without endpoints resolves its host with STRICT_DNS', () => {
    expect(clusters.get('outbound|80||httpbin.org')).toMatchObject({
      type: 'STRICT_DNS',
      dnsLookupFamily: 'V4_ONLY',
      dnsRefreshRate: '5s',
      respectDnsTtl: true,
      loadAssignment: {
        clusterName: 'outbound|80||httpbin.org',
        endpoints: [{ locality: {}, lbEndpoints: [{ endpoint: { address: { socketAddress: { address: 'httpbin.org', portValue: 80 } } }, loadBalancingWeight: 1 }], loadBalancingWeight: 1 }],
      },
    });
  });

  it('a DNS subset cluster carries only the subset\'s endpoints', () => {
    const addresses = (name: string) =>
      clusters.get(name)?.['loadAssignment'].endpoints.flatMap((l: any) => l.lbEndpoints.map((e: any) => e.endpoint.address.socketAddress.address));
    expect(addresses('outbound|7000||legacy.shop.svc.cluster.local')).toEqual(['vm1.example.com', 'vm2.example.com']);
    expect(addresses('outbound|7000|v1|legacy.shop.svc.cluster.local')).toEqual(['vm1.example.com']);
  });

  it('a NONE-resolution ServiceEntry is an original-destination cluster on sidecars', () => {
    expect(clusters.get('outbound|443||*.wikipedia.org')).toMatchObject({ type: 'ORIGINAL_DST', lbPolicy: 'CLUSTER_PROVIDED' });
    expect(clusters.get('outbound|443||*.wikipedia.org')).not.toHaveProperty('edsClusterConfig');
  });

  it('…and an EDS cluster on gateways, which have no original-destination listeners', () => {
    expect(generate(GATEWAY).get('outbound|443||*.wikipedia.org')).toMatchObject({ type: 'EDS' });
  });

  it('UDP ports get no cluster, outbound or inbound', () => {
    expect([...clusters.keys()].filter((n) => n.includes('|5353|'))).toEqual([]);
  });

  it('a GRPC port gets explicit HTTP/2 with Istio\'s stream limit', () => {
    expect(clusters.get('outbound|7070||cart.shop.svc.cluster.local')?.['typedExtensionProtocolOptions']['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toMatchObject({
      explicitHttpConfig: { http2ProtocolOptions: { maxConcurrentStreams: 1073741824 } },
    });
  });

  it('an HTTP/2 ISTIO_MUTUAL cluster advertises istio and h2; SANs are the workloads\' SPIFFE identities', () => {
    const tls = clusters.get('outbound|7070||cart.shop.svc.cluster.local')?.['transportSocket'].typedConfig;
    expect(tls.commonTlsContext.alpnProtocols).toEqual(['istio', 'h2']);
    expect(tls.commonTlsContext.combinedValidationContext.defaultValidationContext).toEqual({ matchSubjectAltNames: [{ exact: 'spiffe://cluster.local/ns/shop/sa/cart' }] });
    expect(tls.sni).toBe('outbound_.7070_._.cart.shop.svc.cluster.local');
  });

  it('a subset inherits the rule\'s policy and may switch TLS off', () => {
    expect(clusters.get('outbound|8080|v1|cart.shop.svc.cluster.local')).toMatchObject({
      circuitBreakers: { thresholds: [{ maxConnections: 50, maxRetries: 1024 }] },
      transportSocket: { typedConfig: { sni: 'outbound_.8080_.v1_.cart.shop.svc.cluster.local' } },
    });
    expect(clusters.get('outbound|8080|plain|cart.shop.svc.cluster.local')).not.toHaveProperty('transportSocket');
    expect(clusters.get('outbound|8080|plain|cart.shop.svc.cluster.local')).toMatchObject({ circuitBreakers: { thresholds: [{ maxConnections: 50 }] } });
  });
});

describe('upstream protocol', () => {
  it.each<[Protocol, 'inbound' | 'outbound', string]>([
    ['HTTP', 'outbound', 'http1'],
    ['TCP', 'outbound', 'http1'],
    ['HTTP2', 'outbound', 'http2'],
    ['GRPC', 'inbound', 'http2'],
    ['GRPC-WEB', 'outbound', 'http2'],
    // 1.3 sniffs outbound ports of unknown protocol (Kubernetes ports without a protocol name), not inbound ones.
    ['UNSUPPORTED', 'outbound', 'downstream'],
    ['UNSUPPORTED', 'inbound', 'http1'],
  ])('%s %s → %s', (protocol, direction, expected) => {
    const draft = newDraft('c', 'EDS', direction);
    setUpstreamProtocol(draft, protocol, direction);
    expect(draft.protocol).toBe(expected);
  });

  it('a sniffed cluster uses the downstream protocol', () => {
    const draft = newDraft('c', 'EDS', 'outbound');
    setUpstreamProtocol(draft, 'UNSUPPORTED', 'outbound');
    const json = registry.toJson(CLUSTER_TYPE, finishDraft(draft)) as Record<string, any>;
    expect(json['typedExtensionProtocolOptions']['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toMatchObject({
      useDownstreamProtocolConfig: { httpProtocolOptions: {}, http2ProtocolOptions: { maxConcurrentStreams: 1073741824 } },
    });
  });
});

describe('CDS per proxy kind', () => {
  const SPECIALS = ['BlackHoleCluster', 'InboundPassthroughClusterIpv4', 'PassthroughCluster'];

  it('a sidecar gets inbound clusters for its own ports, with the rule\'s connection pool', () => {
    const clusters = generate(SIDECAR);
    expect([...clusters.keys()].filter((n) => n.startsWith('inbound|'))).toEqual(['inbound|7070||', 'inbound|8080||']);
    expect(clusters.get('inbound|8080||')).toMatchObject({
      type: 'STATIC',
      circuitBreakers: { thresholds: [{ maxConnections: 50 }] },
      loadAssignment: { endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: 8080 } } } }] }] },
      metadata: { filterMetadata: { istio: { config: '/apis/networking.istio.io/v1alpha3/namespaces/shop/destination-rule/cart' } } },
    });
    expect(clusters.get('inbound|7070||')?.['typedExtensionProtocolOptions']).toBeDefined();
    expect(clusters.get('inbound|8080||')).not.toHaveProperty('transportSocket');
    for (const name of SPECIALS) expect(clusters.has(name), name).toBe(true);
  });

  it('a sidecar in interception mode NONE has no inbound clusters', () => {
    expect([...generate(SIDECAR, { INTERCEPTION_MODE: 'NONE' }).keys()].filter((n) => n.startsWith('inbound|'))).toEqual([]);
  });

  it('a Sidecar with ingress listeners gets exactly those inbound clusters', () => {
    const sidecar = `
---
apiVersion: networking.istio.io/v1alpha3
kind: Sidecar
metadata: {name: cart, namespace: shop}
spec:
  ingress:
  - port: {number: 9080, name: http, protocol: HTTP}
    defaultEndpoint: 127.0.0.1:8080
  - port: {number: 9443, name: grpc, protocol: GRPC}
    defaultEndpoint: unix:///var/run/cart.sock
  egress:
  - hosts: ["./*"]
`;
    const clusters = generate(SIDECAR, {}, sidecar);
    expect([...clusters.keys()].filter((n) => n.startsWith('inbound|'))).toEqual(['inbound|9080||', 'inbound|9443||']);
    expect(clusters.get('inbound|9080||')?.['loadAssignment'].endpoints[0].lbEndpoints[0].endpoint.address).toEqual({ socketAddress: { address: '127.0.0.1', portValue: 8080 } });
    expect(clusters.get('inbound|9443||')?.['loadAssignment'].endpoints[0].lbEndpoints[0].endpoint.address).toEqual({ pipe: { path: '/var/run/cart.sock' } });
  });

  it('a gateway gets outbound clusters and BlackHoleCluster only', () => {
    const names = [...generate(GATEWAY).keys()];
    expect(names.filter((n) => !n.startsWith('outbound|'))).toEqual(['BlackHoleCluster']);
  });

  it('a proxyless gRPC client gets the outbound EDS clusters only', () => {
    const names = [...generate(SIDECAR, { GENERATOR: 'grpc' }).keys()];
    expect(names.length).toBeGreaterThan(0);
    expect(names.every((n) => n.startsWith('outbound|'))).toBe(true);
    expect(names).not.toContain('outbound|80||httpbin.org');
    expect(names).not.toContain('outbound|443||*.wikipedia.org');
    expect(names).toContain('outbound|7070||cart.shop.svc.cluster.local');
  });

  it('edsClusterNames lists the EDS clusters CDS sends', () => {
    const snapshot = snapshotFromYaml(YAML);
    const proxy = proxyFor(SIDECAR);
    const names = edsClusterNames({ snapshot, proxy, scope: sidecarScope(snapshot, proxy) });
    expect(names).toContain('outbound|8080|v1|cart.shop.svc.cluster.local');
    expect(names.some((n) => n.includes('httpbin') || n.includes('wikipedia') || n.includes('legacy'))).toBe(false);
  });

  it('is deterministic: two snapshots of the same config give identical output', () => {
    expect([...generate(SIDECAR).entries()]).toEqual([...generate(SIDECAR).entries()]);
  });
});
