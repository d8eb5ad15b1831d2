import { loadProtoRegistry, type Cluster__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { maxRequestsPerConnection, upstreamProtocol } from './cluster.js';

const registry = loadProtoRegistry();
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function cluster(options: object | undefined, extra: object = {}): Cluster__Output {
  const typed = options ? { [HTTP_OPTIONS]: registry.pack(HTTP_OPTIONS, options) } : {};
  return { name: 'c', typed_extension_protocol_options: typed, max_requests_per_connection: null, ...extra } as unknown as Cluster__Output;
}

describe('cluster HTTP protocol options', () => {
  it.each([
    ['unset: unlimited', cluster(undefined), 0],
    // What Pilot emits for DestinationRule connectionPool.http.maxRequestsPerConnection.
    ['common_http_protocol_options', cluster({ common_http_protocol_options: { max_requests_per_connection: { value: 1 } }, explicit_http_config: { http_protocol_options: {} } }), 1],
    ['the deprecated Cluster field', cluster(undefined, { max_requests_per_connection: { value: 7 } }), 7],
  ])('max_requests_per_connection from %s', (_name, c, expected) => {
    expect(maxRequestsPerConnection(registry, c)).toBe(expected);
  });

  it.each([
    ['HTTP/1.1 explicit config', cluster({ explicit_http_config: { http_protocol_options: {} } }), 'http1'],
    ['HTTP/2 explicit config', cluster({ explicit_http_config: { http2_protocol_options: {} } }), 'http2'],
    ['no options', cluster(undefined), 'http1'],
  ])('upstream protocol from %s', (_name, c, expected) => {
    expect(upstreamProtocol(registry, c)).toBe(expected);
  });
});
