import { describe, expect, it } from 'vitest';
import { TypeUrl } from '../xds/type-urls.js';
import { loadProtoRegistry, TYPE_URL_PREFIX } from './registry.js';

const registry = loadProtoRegistry();
const CLUSTER = 'envoy.config.cluster.v3.Cluster';
const LISTENER = 'envoy.config.listener.v3.Listener';
const DISCOVERY_REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const DISCOVERY_RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';

const cluster = {
  name: 'outbound|9080|v1|reviews.default.svc.cluster.local',
  type: 'EDS',
  eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'outbound|9080|v1|reviews.default.svc.cluster.local' },
  connect_timeout: { seconds: '10', nanos: 0 },
  lb_policy: 'LEAST_REQUEST',
};
const listener = {
  name: 'virtualOutbound',
  address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
  use_original_dst: { value: true },
};

describe('ProtoRegistry', () => {
  it('knows every xDS resource type by URL', () => {
    for (const url of [TypeUrl.Listener, TypeUrl.RouteConfiguration, TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Secret]) {
      expect(registry.has(url), url).toBe(true);
    }
    expect(registry.has('type.googleapis.com/envoy.config.cluster.v3.NoSuchThing')).toBe(false);
  });

  it('encodes a DiscoveryRequest to exactly the bytes protobuf defines', () => {
    // version_info (1) = "1", type_url (4) = "t", response_nonce (5) = "a", resource_names (3) = ["x"]
    const bytes = registry.encode(DISCOVERY_REQUEST, { version_info: '1', type_url: 't', response_nonce: 'a', resource_names: ['x'] });
    expect(Buffer.from(bytes).toString('hex')).toBe('0a0131' + '1a0178' + '220174' + '2a0161');
    const back = registry.decode(DISCOVERY_REQUEST, Buffer.from('0a0131220174', 'hex'));
    expect(back).toMatchObject({ version_info: '1', type_url: 't', response_nonce: '', resource_names: [] });
  });

  it('round-trips a DiscoveryResponse with Any-packed Cluster and Listener', () => {
    const resources = [registry.pack(CLUSTER, cluster), registry.pack(LISTENER, listener)];
    expect(resources[0]?.type_url).toBe(TYPE_URL_PREFIX + CLUSTER);
    const wire = registry.encode(DISCOVERY_RESPONSE, { version_info: '2026-11-25T00:00:00Z/1', nonce: 'n1', type_url: TypeUrl.Cluster, resources });
    const decoded = registry.decode<{ resources: { type_url: string; value: Uint8Array }[]; nonce: string }>(DISCOVERY_RESPONSE, wire);
    expect(decoded.nonce).toBe('n1');
    expect(decoded.resources.map((r) => r.type_url)).toEqual([TypeUrl.Cluster, TypeUrl.Listener]);
    // The packed bytes travel unchanged: encode once, share everywhere.
    expect(Buffer.from(decoded.resources[0]!.value).equals(Buffer.from(resources[0]!.value))).toBe(true);
    expect(registry.unpack(decoded.resources[0]!)).toMatchObject({
      name: cluster.name,
      type: 'EDS',
      lb_policy: 'LEAST_REQUEST',
      connect_timeout: { seconds: '10' },
      eds_cluster_config: { service_name: cluster.name, eds_config: { resource_api_version: 'V3' } },
    });
    expect(registry.unpack(decoded.resources[1]!)).toMatchObject({
      name: 'virtualOutbound',
      address: { socket_address: { address: '0.0.0.0', port_value: 15001 } },
      use_original_dst: { value: true },
    });
  });

});
