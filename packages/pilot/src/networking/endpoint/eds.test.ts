import { loadProtoRegistry } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { proxyFor, snapshotFromYaml } from '../../../test/fixtures/snapshot.js';
import type { Endpoint, ServiceInstance } from '../../model/service.js';
import { unknownFields } from '../cluster/typed-config.js';
import type { GeneratorContext } from '../generator.js';
import { sidecarScope } from '../sidecar-scope.js';
import { CLUSTER_LOAD_ASSIGNMENT_TYPE, clustersForHostnames, edsGenerator } from './eds.js';
import { localityLbEndpoints, localityOf } from './locality-lb-endpoints.js';

const registry = loadProtoRegistry();

const YAML = `
apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: cart, namespace: shop}
spec:
  hosts: [cart.shop.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 8080, name: http, protocol: HTTP}
  - {number: 7070, name: grpc, protocol: GRPC}
  endpoints:
  - {address: 10.3.0.6, labels: {version: v2}, locality: us-east/zone-b, weight: 3, network: net2, ports: {http: 18080}}
  - {address: 10.3.0.5, labels: {version: v1}, locality: us-east/zone-a}
  - {address: 10.3.0.7, labels: {version: v1}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: cart, namespace: shop}
spec:
  host: cart
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;

function context(): GeneratorContext {
  const snapshot = snapshotFromYaml(YAML);
  const proxy = proxyFor('sidecar~10.9.0.1~client-abc.shop~shop.svc.cluster.local');
  return { snapshot, proxy, scope: sidecarScope(snapshot, proxy) };
}

function assignment(name: string): Record<string, any> {
  const [r] = edsGenerator(context(), [name]);
  return registry.toJson(CLUSTER_LOAD_ASSIGNMENT_TYPE, r!.resource) as Record<string, any>;
}

const addresses = (cla: Record<string, any>) =>
  (cla['endpoints'] ?? []).flatMap((l: any) => l.lbEndpoints.map((e: any) => `${e.endpoint.address.socketAddress.address}:${e.endpoint.address.socketAddress.portValue}`));

describe('EDS', () => {
  it.each([
    ['the service port', 'outbound|8080||cart.shop.svc.cluster.local', ['10.3.0.7:8080', '10.3.0.5:8080', '10.3.0.6:18080']],
    ['a subset: only its labels', 'outbound|8080|v1|cart.shop.svc.cluster.local', ['10.3.0.7:8080', '10.3.0.5:8080']],
    ['another port: the workload port of that port', 'outbound|7070|v2|cart.shop.svc.cluster.local', ['10.3.0.6:7070']],
  ])('serves %s', (_, name, expected) => {
    expect(addresses(assignment(name))).toEqual(expected);
  });

  it.each([
    ['an unknown host', 'outbound|8080||nope.shop.svc.cluster.local'],
    ['an unknown port', 'outbound|9|v1|cart.shop.svc.cluster.local'],
    ['an unknown subset', 'outbound|8080|v9|cart.shop.svc.cluster.local'],
    ['an inbound cluster', 'inbound|8080||'],
    ['a name that is no cluster key', 'PassthroughCluster'],
  ])('answers %s with an empty assignment', (_, name) => {
    expect(assignment(name)).toEqual({ clusterName: name });
  });

  it('groups by locality, weighs each locality by the sum of its endpoints, and marks the network', () => {
    expect(assignment('outbound|8080||cart.shop.svc.cluster.local')['endpoints']).toEqual([
      {
        locality: {},
        lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.3.0.7', portValue: 8080 } } }, loadBalancingWeight: 1 }],
        loadBalancingWeight: 1,
      },
      {
        locality: { region: 'us-east', zone: 'zone-a' },
        lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '10.3.0.5', portValue: 8080 } } }, loadBalancingWeight: 1 }],
        loadBalancingWeight: 1,
      },
      {
        locality: { region: 'us-east', zone: 'zone-b' },
        lbEndpoints: [
          {
            endpoint: { address: { socketAddress: { address: '10.3.0.6', portValue: 18080 } } },
            loadBalancingWeight: 3,
            metadata: { filterMetadata: { istio: { network: 'net2' } } },
          },
        ],
        loadBalancingWeight: 3,
      },
    ]);
  });

  it('serves requested names deduplicated and sorted; with none, every EDS cluster of the proxy', () => {
    const requested = edsGenerator(context(), ['outbound|8080||cart.shop.svc.cluster.local', 'outbound|7070||cart.shop.svc.cluster.local', 'outbound|8080||cart.shop.svc.cluster.local']);
    expect(requested.map((r) => r.name)).toEqual(['outbound|7070||cart.shop.svc.cluster.local', 'outbound|8080||cart.shop.svc.cluster.local']);
    expect(edsGenerator(context()).map((r) => r.name)).toEqual([
      'outbound|7070|v1|cart.shop.svc.cluster.local',
      'outbound|7070|v2|cart.shop.svc.cluster.local',
      'outbound|7070||cart.shop.svc.cluster.local',
      'outbound|8080|v1|cart.shop.svc.cluster.local',
      'outbound|8080|v2|cart.shop.svc.cluster.local',
      'outbound|8080||cart.shop.svc.cluster.local',
    ]);
  });

  it('every assignment is a valid ClusterLoadAssignment', () => {
    for (const r of edsGenerator(context())) {
      expect(r.messageType).toBe(CLUSTER_LOAD_ASSIGNMENT_TYPE);
      expect(unknownFields(r.messageType, r.resource)).toEqual([]);
      expect(() => registry.unpack(registry.pack(r.messageType, r.resource))).not.toThrow();
    }
  });
});

describe('localityLbEndpoints', () => {
  const instance = (address: string, locality: string, lbWeight?: number): ServiceInstance => {
    const endpoint: Endpoint = { address, port: 80, servicePortName: 'http', labels: {}, locality, ...(lbWeight ? { lbWeight } : {}) };
    return { endpoint } as ServiceInstance;
  };

  it.each<[string, ServiceInstance[], number[]]>([
    ['weights at most 128 are kept', [instance('10.0.0.1', 'a', 100), instance('10.0.0.2', 'b', 28)], [100, 28]],
    ['a locality over 128 rescales all to a total of 128, rounding up', [instance('10.0.0.1', 'a', 300), instance('10.0.0.2', 'b', 100)], [96, 32]],
    ['endpoint weight 0 counts as 1', [instance('10.0.0.1', 'a', 0), instance('10.0.0.2', 'a')], [2]],
  ])('%s', (_, instances, weights) => {
    expect(localityLbEndpoints(instances).map((l) => l.load_balancing_weight.value)).toEqual(weights);
  });

  it.each([
    ['us-east/zone-a/rack-1', { region: 'us-east', zone: 'zone-a', sub_zone: 'rack-1' }],
    ['us-east', { region: 'us-east' }],
    ['', {}],
    [undefined, {}],
  ])('locality %j', (text, expected) => {
    expect(localityOf(text)).toEqual(expected);
  });
});

describe('clustersForHostnames', () => {
  it('picks the outbound clusters of the updated hosts, for an incremental EDS push', () => {
    const watched = [
      'outbound|8080||cart.shop.svc.cluster.local',
      'outbound|8080|v1|cart.shop.svc.cluster.local',
      'outbound|9080||reviews.default.svc.cluster.local',
      'inbound|8080||',
      'BlackHoleCluster',
    ];
    expect(clustersForHostnames(watched, ['cart.shop.svc.cluster.local'])).toEqual([
      'outbound|8080|v1|cart.shop.svc.cluster.local',
      'outbound|8080||cart.shop.svc.cluster.local',
    ]);
    expect(clustersForHostnames(watched, new Set(['nope']))).toEqual([]);
  });
});
