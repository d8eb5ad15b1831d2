import { TypeUrl, type DeltaDiscoveryResponse__Output, type DiscoveryResponse__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { endpoints, registry } from '../test/resources.js';
import { encodeDeltaDiscoveryResponse, encodeDiscoveryResponse, encodedAny } from './wire-codec.js';

describe('wire codec', () => {
  const a = endpoints('a', [1]);
  const b = endpoints('b', [2]);

  it('encodes a DiscoveryResponse that the registry decodes back', () => {
    const bytes = encodeDiscoveryResponse({ version_info: 'v1', resources: [a, b], type_url: a.typeUrl, nonce: '7', control_plane: { identifier: 'weft' } });
    const decoded = registry.decode<DiscoveryResponse__Output>('envoy.service.discovery.v3.DiscoveryResponse', bytes);
    expect(decoded.version_info).toBe('v1');
    expect(decoded.nonce).toBe('7');
    expect(decoded.type_url).toBe(TypeUrl.ClusterLoadAssignment);
    expect(decoded.control_plane?.identifier).toBe('weft');
    expect(decoded.resources.map((r) => registry.unpack<{ cluster_name: string }>(r).cluster_name)).toEqual(['a', 'b']);
    // Same bytes as the generic encoder.
    expect(Buffer.from(bytes)).toEqual(
      Buffer.from(
        registry.encode('envoy.service.discovery.v3.DiscoveryResponse', {
          version_info: 'v1',
          resources: [a.packed, b.packed],
          type_url: a.typeUrl,
          nonce: '7',
          control_plane: { identifier: 'weft' },
        }),
      ),
    );
  });

  it('encodes a DeltaDiscoveryResponse with names, versions and removals', () => {
    const bytes = encodeDeltaDiscoveryResponse({ system_version_info: 's', resources: [a], type_url: a.typeUrl, removed_resources: ['gone'], nonce: '3' });
    const decoded = registry.decode<DeltaDiscoveryResponse__Output>('envoy.service.discovery.v3.DeltaDiscoveryResponse', bytes);
    expect(decoded.removed_resources).toEqual(['gone']);
    expect(decoded.resources.map((r) => [r.name, r.version])).toEqual([['a', a.version]]);
    expect(decoded.resources.map((r) => r.resource && registry.unpack(r.resource))).toMatchObject([{ cluster_name: 'a' }]);
  });

  it('encodes each resource once and reuses the bytes', () => {
    expect(encodedAny(a)).toBe(encodedAny(a));
  });

  it('writes long (multi-byte varint) fields correctly', () => {
    const big = endpoints('big', Array.from({ length: 300 }, (_, i) => 1000 + i));
    const bytes = encodeDiscoveryResponse({ version_info: 'x'.repeat(200), resources: [big], type_url: big.typeUrl, nonce: '1' });
    const decoded = registry.decode<DiscoveryResponse__Output>('envoy.service.discovery.v3.DiscoveryResponse', bytes);
    expect(decoded.version_info).toHaveLength(200);
    const [cla] = decoded.resources.map((r) => registry.unpack<{ endpoints: { lb_endpoints: unknown[] }[] }>(r));
    expect(cla?.endpoints[0]?.lb_endpoints).toHaveLength(300);
  });
});
