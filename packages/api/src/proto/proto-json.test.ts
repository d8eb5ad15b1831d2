import { describe, expect, it } from 'vitest';
import { loadProtoRegistry } from './registry.js';
import { formatProtoDuration, parseProtoDuration, parseTimestamp, formatTimestamp } from './wkt-time.js';

const registry = loadProtoRegistry();
const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';
const LISTENER = 'envoy.config.listener.v3.Listener';

// The shape pilot-agent writes: node metadata as a Struct, the xds-grpc STATIC cluster with
// HTTP/2 protocol options in typed_extension_protocol_options, ADS over gRPC.
const camel = {
  node: { id: 'sidecar~10.1.0.5~reviews-v1-xyz.default~default.svc.cluster.local', cluster: 'reviews.default', metadata: { ISTIO_VERSION: '1.3.0', LABELS: { app: 'reviews' }, INTERCEPTION_MODE: 'REDIRECT', ports: [9080] } },
  admin: { address: { socketAddress: { address: '127.0.0.1', portValue: 15000 } } },
  dynamicResources: { adsConfig: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'xds-grpc' } }] }, cdsConfig: { ads: {}, resourceApiVersion: 'V3' }, ldsConfig: { ads: {}, resourceApiVersion: 'V3' } },
  staticResources: {
    clusters: [
      {
        name: 'xds-grpc',
        type: 'STATIC',
        connectTimeout: '1.500s', // the printed form: 0, 3, 6 or 9 fractional digits
        loadAssignment: { clusterName: 'xds-grpc', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: 15010 } } } }] }] },
        typedExtensionProtocolOptions: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            explicitHttpConfig: { http2ProtocolOptions: {} },
          },
        },
        perConnectionBufferLimitBytes: 32768,
      },
    ],
  },
};

const snake = {
  node: camel.node,
  admin: { address: { socket_address: { address: '127.0.0.1', port_value: 15000 } } },
  dynamic_resources: { ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] }, cds_config: { ads: {}, resource_api_version: 'V3' }, lds_config: { ads: {}, resource_api_version: 'V3' } },
  static_resources: {
    clusters: [
      {
        name: 'xds-grpc',
        type: 'STATIC',
        connect_timeout: '1.5s',
        load_assignment: { cluster_name: 'xds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: 15010 } } } }] }] },
        typed_extension_protocol_options: {
          'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
            '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
            explicit_http_config: { http2_protocol_options: {} },
          },
        },
        per_connection_buffer_limit_bytes: 32768,
      },
    ],
  },
};

describe('proto3 JSON', () => {
  it('reads a bootstrap written with lowerCamelCase and with proto names to the same message', () => {
    const a = registry.readJson(BOOTSTRAP, camel);
    const b = registry.readJson(BOOTSTRAP, snake);
    expect(a.issues).toEqual([]);
    expect(b.issues).toEqual([]);
    expect(Buffer.from(registry.encode(BOOTSTRAP, a.value!)).equals(Buffer.from(registry.encode(BOOTSTRAP, b.value!)))).toBe(true);
  });

  it('decodes durations, wrappers, Struct metadata and Any to the wire form', () => {
    const { value } = registry.readJson(BOOTSTRAP, camel);
    const decoded = registry.decode<Record<string, any>>(BOOTSTRAP, registry.encode(BOOTSTRAP, value!));
    const cluster = decoded['static_resources'].clusters[0];
    expect(cluster.connect_timeout).toEqual({ seconds: '1', nanos: 500_000_000 });
    expect(cluster.per_connection_buffer_limit_bytes).toEqual({ value: 32768 });
    const opts = cluster.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'];
    expect(registry.unpack(opts)).toMatchObject({ explicit_http_config: { http2_protocol_options: {} } });
    expect(decoded['node'].metadata.fields.LABELS.struct_value.fields.app.string_value).toBe('reviews');
    expect(decoded['node'].metadata.fields.ports.list_value.values[0].number_value).toBe(9080);
  });

  it('writes proto3 JSON as Envoy prints it and reads it back unchanged', () => {
    const { value } = registry.readJson(BOOTSTRAP, snake);
    const json = registry.toJson(BOOTSTRAP, value!);
    expect(json).toEqual(camel);
    expect(registry.readJson(BOOTSTRAP, json).issues).toEqual([]);
  });

  it('collects every problem with its path', () => {
    const bad = {
      name: 7,
      address: { socketAddress: { address: '0.0.0.0', portValue: -1, protocol: 'SCTP' } },
      filterChains: [{ filters: [{ name: 'x', typedConfig: { '@type': 'type.googleapis.com/no.such.Type' } }], bogus: true }],
      listenerFiltersTimeout: '5 seconds',
      perConnectionBufferLimitBytes: 'lots',
    };
    const r = registry.readJson(LISTENER, bad);
    expect(r.value).toBeUndefined();
    expect(r.issues.map((i) => i.path)).toEqual([
      'name',
      'address.socketAddress.portValue',
      'address.socketAddress.protocol',
      'filterChains[0].filters[0].typedConfig.@type',
      'filterChains[0].bogus',
      'listenerFiltersTimeout',
      'perConnectionBufferLimitBytes',
    ]);
    expect(r.issues[1]!.message).toContain('non-negative integer');
    expect(r.issues[2]!.message).toContain('one of TCP, UDP');
    expect(r.issues[4]!.message).toBe('unknown field "bogus" in envoy.config.listener.v3.FilterChain');
  });

  it('rejects two members of one oneof and a field given under both names', () => {
    const r = registry.readJson('envoy.config.core.v3.SocketAddress', { portValue: 1, namedPort: 'http', port_value: 2 });
    expect(r.issues.map((i) => i.path)).toEqual(['namedPort', 'port_value']);
  });
});

describe('Duration and Timestamp JSON', () => {
  it.each([
    ['1.5s', { seconds: '1', nanos: 500_000_000 }, '1.500s'],
    ['3s', { seconds: '3', nanos: 0 }, '3s'],
    ['0.000001s', { seconds: '0', nanos: 1000 }, '0.000001s'],
    ['-2.000000001s', { seconds: '-2', nanos: -1 }, '-2.000000001s'],
  ])('%s', (text, value, printed) => {
    expect(parseProtoDuration(text)).toEqual(value);
    expect(formatProtoDuration(value.seconds, value.nanos)).toBe(printed);
  });

  it.each(['1', '1.5', '1m', 's', '1.0000000001s', '315576000001s'])('rejects duration %j', (t) => expect(parseProtoDuration(t)).toBeUndefined());

  it('round-trips an RFC 3339 timestamp with nanoseconds and offsets', () => {
    expect(parseTimestamp('1972-01-01T10:00:20.021Z')).toEqual({ seconds: '63108020', nanos: 21_000_000 });
    expect(parseTimestamp('1972-01-01T11:00:20+01:00')).toEqual({ seconds: '63108020', nanos: 0 });
    expect(formatTimestamp('63108020', 21_000_000)).toBe('1972-01-01T10:00:20.021Z');
    expect(parseTimestamp('yesterday')).toBeUndefined();
  });
});

describe('proto3 JSON defaults', () => {
  it('omits an unset bytes field (a header value given as a string)', () => {
    const header = { header: { key: 'x-weft', value: 'on' } };
    const json = registry.toJson('envoy.config.core.v3.HeaderValueOption', header);
    expect(json).toEqual({ header: { key: 'x-weft', value: 'on' } });
  });
});

describe('toJson of an Any whose type is not loaded', () => {
  it('prints the type URL and the bytes (base64) instead of failing the whole document', () => {
    const ext = { name: 'x.optional', typed_config: { type_url: 'type.googleapis.com/weft.test.NotLoaded', value: Uint8Array.from([8, 1]) } };
    expect(registry.toJson('envoy.config.core.v3.TypedExtensionConfig', ext)).toEqual({ name: 'x.optional', typedConfig: { '@type': 'type.googleapis.com/weft.test.NotLoaded', value: 'CAE=' } });
  });

  it('knows the UUID request id extension that istiod sets on every connection manager', () => {
    expect(registry.has('envoy.extensions.request_id.uuid.v3.UuidRequestIdConfig')).toBe(true);
  });
});
