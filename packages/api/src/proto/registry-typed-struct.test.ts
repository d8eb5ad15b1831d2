import { describe, expect, it } from 'vitest';
import { loadProtoRegistry, TYPE_URL_PREFIX } from './registry.js';

const registry = loadProtoRegistry();
const PEER_METADATA = `${TYPE_URL_PREFIX}io.istio.http.peer_metadata.Config`;
const TCP_MX = `${TYPE_URL_PREFIX}envoy.tcp.metadataexchange.config.MetadataExchange`;

/** A TypedStruct as istiod builds it (protoconv.TypedStructWithFields): a Struct plus the wrapped type URL. */
function typedStruct(wrapper: 'udpa.type.v1.TypedStruct' | 'xds.type.v3.TypedStruct', typeUrl: string, json: Record<string, unknown>) {
  const struct = registry.readJson('google.protobuf.Struct', json);
  if (!struct.value) throw new Error(JSON.stringify(struct.issues));
  return registry.pack(wrapper, { type_url: typeUrl, value: struct.value });
}

describe('ProtoRegistry TypedStruct', () => {
  it.each(['udpa.type.v1.TypedStruct', 'xds.type.v3.TypedStruct'] as const)('unpacks a %s to the message it wraps', (wrapper) => {
    const any = typedStruct(wrapper, PEER_METADATA, {
      upstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }],
      upstream_propagation: [{ istio_headers: { skip_external_clusters: true } }],
    });
    expect(registry.typeUrlOf(any)).toBe(PEER_METADATA);
    expect(registry.unpack(any)).toMatchObject({
      upstream_discovery: [{ istio_headers: { skip_external_clusters: false } }, { workload_discovery: {} }],
      upstream_propagation: [{ istio_headers: { skip_external_clusters: true } }],
      downstream_discovery: [],
    });
  });

  it('reads camelCase field names as proto3 JSON does', () => {
    const any = typedStruct('udpa.type.v1.TypedStruct', TCP_MX, { protocol: 'istio-peer-exchange', enableDiscovery: true });
    expect(registry.unpack(any)).toMatchObject({ protocol: 'istio-peer-exchange', enable_discovery: true });
  });

  it('leaves a plain Any alone', () => {
    const any = registry.pack('envoy.tcp.metadataexchange.config.MetadataExchange', { protocol: 'p' });
    expect(registry.typeUrlOf(any)).toBe(TCP_MX);
    expect(registry.unpack(any)).toMatchObject({ protocol: 'p' });
  });

  it('refuses a Struct that does not fit the wrapped type, naming the field', () => {
    const any = typedStruct('udpa.type.v1.TypedStruct', TCP_MX, { protocol: 'p', no_such_field: 1 });
    expect(() => registry.unpack(any)).toThrow(/no_such_field/);
  });

  it('refuses an unknown wrapped type', () => {
    const any = typedStruct('udpa.type.v1.TypedStruct', `${TYPE_URL_PREFIX}example.NoSuchConfig`, {});
    expect(() => registry.unpack(any)).toThrow();
  });
});
