import { TypeUrl, type DeltaDiscoveryResponse__Output, type DiscoveryResponse__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { edsCluster, endpoints, registry } from '../test/resources.js';
import { decodeDelta, decodeSotw } from './client-decode.js';
import { ClientSubscription } from './client-subscription.js';
import { accept } from './client-types.js';
import { encodeDeltaDiscoveryResponse, encodeDiscoveryResponse } from './wire-codec.js';
import type { Resource } from './resource.js';

const EDS = TypeUrl.ClusterLoadAssignment;

function sotw(resources: Resource[], typeUrl = EDS): DiscoveryResponse__Output {
  return registry.decode('envoy.service.discovery.v3.DiscoveryResponse', encodeDiscoveryResponse({ version_info: 'v1', resources, type_url: typeUrl, nonce: '1' }));
}

describe('decodeSotw / decodeDelta', () => {
  const sub = new ClientSubscription(EDS, () => accept(), ['a']);

  it('decodes resources with their names', () => {
    const result = decodeSotw(registry, sub, sotw([endpoints('a', [1])]));
    expect(result.ok && result.value.resources.map((r) => [r.name, r.version])).toEqual([['a', 'v1']]);
  });

  it('refuses a resource of another type than the response (→ NACK)', () => {
    const result = decodeSotw(registry, sub, sotw([edsCluster('c')]));
    expect(!result.ok && result.error.code).toBe('WEFT_XDS_DECODE_FAILED');
  });

  it('refuses undecodable bytes (→ NACK)', () => {
    const broken = { ...endpoints('a', [1]), packed: { type_url: EDS, value: Uint8Array.from([0xff, 0xff, 0xff]) } };
    const result = decodeSotw(registry, sub, sotw([broken]));
    expect(!result.ok && result.error.code).toBe('WEFT_XDS_DECODE_FAILED');
  });

  it('decodes Delta responses with per-resource versions and removals', () => {
    const a = endpoints('a', [1]);
    const bytes = encodeDeltaDiscoveryResponse({ system_version_info: 's', resources: [a], type_url: EDS, removed_resources: ['b'], nonce: '4' });
    const result = decodeDelta(registry, registry.decode<DeltaDiscoveryResponse__Output>('envoy.service.discovery.v3.DeltaDiscoveryResponse', bytes));
    expect(result.ok && [result.value.resources.map((r) => [r.name, r.version]), result.value.removed]).toEqual([[['a', a.version]], ['b']]);
  });
});
