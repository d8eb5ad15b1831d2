// A cluster under construction (Istio's clusterWrapper): the Envoy Cluster plus the HTTP protocol
// options that v3 carries in a typed extension, packed once when the draft is finished.
import type { Cluster } from '@weft/api';
import { isHttp2, type Protocol } from '../../model/protocol.js';
import { packTyped } from './typed-config.js';
import type { ProtoDuration } from './proto-duration.js';

export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
export const CLUSTER_TYPE = 'envoy.config.cluster.v3.Cluster';

/** Envoy's default of 100 concurrent HTTP/2 streams is too low for a data path (Istio's value). */
export const H2_MAX_CONCURRENT_STREAMS = 1_073_741_824;

export type DiscoveryType = 'STATIC' | 'STRICT_DNS' | 'EDS' | 'ORIGINAL_DST';
export type Direction = 'inbound' | 'outbound';

/** Upstream protocol: HTTP/1.1, HTTP/2, or whatever the downstream spoke (protocol sniffing). */
export type UpstreamProtocol = 'http1' | 'http2' | 'downstream';

export interface ClusterDraft {
  readonly cluster: Cluster & { name: string };
  readonly direction: Direction;
  protocol: UpstreamProtocol;
  /** core.v3.HttpProtocolOptions: idle timeout and requests per connection from the connection pool. */
  common: { idle_timeout?: ProtoDuration; max_requests_per_connection?: { value: number } };
}

/**
 * HTTP/2 upstream for HTTP2/GRPC ports. Outbound ports of unknown protocol are sniffed (1.3 default
 * PILOT_ENABLE_PROTOCOL_SNIFFING_FOR_OUTBOUND=true), so their clusters use the downstream protocol;
 * inbound sniffing is off by default in 1.3.
 */
export function setUpstreamProtocol(draft: ClusterDraft, protocol: Protocol, direction: Direction): void {
  if (isHttp2(protocol)) draft.protocol = 'http2';
  if (protocol === 'UNSUPPORTED' && direction === 'outbound') draft.protocol = 'downstream';
}

export function newDraft(name: string, type: DiscoveryType, direction: Direction): ClusterDraft {
  return { cluster: { name, type }, direction, protocol: 'http1', common: {} };
}

function http2Options(): object {
  return { max_concurrent_streams: { value: H2_MAX_CONCURRENT_STREAMS } };
}

function protocolOptions(draft: ClusterDraft): object | undefined {
  const hasCommon = Object.keys(draft.common).length > 0;
  if (draft.protocol === 'http1' && !hasCommon) return undefined;
  const common = hasCommon ? { common_http_protocol_options: draft.common } : {};
  switch (draft.protocol) {
    case 'http2':
      return { ...common, explicit_http_config: { http2_protocol_options: http2Options() } };
    case 'downstream':
      return { ...common, use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: http2Options() } };
    case 'http1':
      // HttpProtocolOptions requires an upstream protocol; HTTP/1.1 is what Envoy would use anyway.
      return { ...common, explicit_http_config: { http_protocol_options: {} } };
  }
}

/**
 * The finished Cluster. EDS clusters get their ADS endpoint source here, after traffic policy,
 * because a PASSTHROUGH load balancer may have turned the cluster into ORIGINAL_DST.
 */
export function finishDraft(draft: ClusterDraft): Cluster & { name: string } {
  const cluster: Cluster & { name: string } = { ...draft.cluster };
  if (cluster.type === 'EDS') {
    cluster.eds_cluster_config = { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: cluster.name };
  }
  const options = protocolOptions(draft);
  if (options) cluster.typed_extension_protocol_options = { [HTTP_PROTOCOL_OPTIONS]: packTyped(HTTP_PROTOCOL_OPTIONS, options) };
  return cluster;
}
