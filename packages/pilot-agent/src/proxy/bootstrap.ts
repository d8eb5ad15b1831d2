// The built-in bootstrap (pure): Istio 1.3's envoy_bootstrap_v2.json in Envoy v3 form — node, admin,
// ADS over gRPC to the static `xds-grpc` cluster, the `sds-grpc` cluster to the agent's SDS socket,
// the `prometheus_stats` listener and cluster, stats_config.
import { isIP } from 'node:net';
import type { AgentConfig } from './agent-config.js';
import type { MetadataValue } from './node-identity.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type BootstrapInputs = Pick<
  AgentConfig,
  'node' | 'discovery' | 'proxyAdminPort' | 'prometheusPort' | 'connectTimeoutMs' | 'dnsRefreshRateMs'
> & {
  /** The absolute path of the agent's SDS socket (src/sds/sds-socket.ts). */
  readonly sdsSocketPath: string;
};

const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

/** Istio 1.3's default stats inclusion prefixes (a sidecar keeps only these, plus what annotations add). */
export const DEFAULT_STATS_INCLUSION_PREFIXES = ['cluster_manager', 'listener_manager', 'http_mixer_filter', 'tcp_mixer_filter', 'server', 'cluster.xds-grpc'];
export const DEFAULT_STATS_INCLUSION_SUFFIXES = ['ssl_context_update_by_sds'];

const ANNOTATION_PREFIXES = 'sidecar.istio.io/statsInclusionPrefixes';
const ANNOTATION_SUFFIXES = 'sidecar.istio.io/statsInclusionSuffixes';
const ANNOTATION_REGEXPS = 'sidecar.istio.io/statsInclusionRegexps';

/** Istio's tag extraction for its sidecars: the cluster name keeps `.svc.cluster.local` hosts whole. */
const STATS_TAGS: Array<{ tag_name: string; regex: string }> = [
  { tag_name: 'cluster_name', regex: '^cluster\\.((.+?(\\..+?\\.svc\\.cluster\\.local)?)\\.)' },
  { tag_name: 'tcp_prefix', regex: '^tcp\\.((.*?)\\.)\\w+?$' },
  { tag_name: 'response_code', regex: '_rq(_(\\d{3}))$' },
  { tag_name: 'response_code_class', regex: '_rq(_(\\dxx))$' },
  { tag_name: 'http_conn_manager_listener_prefix', regex: '^listener(?=\\.).*?\\.http\\.(((?:[_.[:digit:]]*|[_\\[\\]aAbBcCdDeEfF[:digit:]]*))\\.)' },
  { tag_name: 'http_conn_manager_prefix', regex: '^http\\.(((?:[_.[:digit:]]*|[_\\[\\]aAbBcCdDeEfF[:digit:]]*))\\.)' },
  { tag_name: 'listener_address', regex: '^listener\\.(((?:[_.[:digit:]]*|[_\\[\\]aAbBcCdDeEfF[:digit:]]*))\\.)' },
];

/** Envoy's proto3 JSON duration: whole seconds plus a fraction (`10s`, `0.250s`). */
export function protoDuration(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}

function socketAddress(address: string, port: number): Json {
  return { socket_address: { protocol: 'TCP', address, port_value: port } };
}

function loadAssignment(cluster: string, address: string, port: number): Json {
  return { cluster_name: cluster, endpoints: [{ lb_endpoints: [{ endpoint: { address: socketAddress(address, port) } }] }] };
}

function annotationList(metadata: Readonly<Record<string, MetadataValue>>, key: string): string[] {
  const annotations = metadata['ANNOTATIONS'];
  if (typeof annotations !== 'object' || annotations === null) return [];
  const v = (annotations as Record<string, unknown>)[key];
  return typeof v === 'string' ? v.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** stats_config: Istio's tags and its inclusion list, widened by the pod's statsInclusion* annotations. */
export function statsConfig(metadata: Readonly<Record<string, MetadataValue>>): Json {
  const prefixes = [...new Set([...DEFAULT_STATS_INCLUSION_PREFIXES, ...annotationList(metadata, ANNOTATION_PREFIXES)])];
  const suffixes = [...new Set([...DEFAULT_STATS_INCLUSION_SUFFIXES, ...annotationList(metadata, ANNOTATION_SUFFIXES)])];
  const regexps = annotationList(metadata, ANNOTATION_REGEXPS);
  return {
    use_all_default_tags: false,
    stats_tags: STATS_TAGS,
    stats_matcher: {
      inclusion_list: {
        patterns: [...prefixes.map((prefix) => ({ prefix })), ...suffixes.map((suffix) => ({ suffix })), ...regexps.map((regex) => ({ safe_regex: { regex } }))],
      },
    },
  };
}

/** typed_extension_protocol_options that make a cluster speak HTTP/2 (gRPC). */
function http2Options(): Json {
  return { [HTTP_PROTOCOL_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, explicit_http_config: { http2_protocol_options: {} } } };
}

/** The static `xds-grpc` cluster: HTTP/2, Istio's circuit breakers; STRICT_DNS for a name, STATIC for an IP. */
export function xdsGrpcCluster(inputs: BootstrapInputs): Json {
  const { host, port } = inputs.discovery;
  const thresholds = ['DEFAULT', 'HIGH'].map((priority) => ({ priority, max_connections: 100000, max_pending_requests: 100000, max_requests: 100000 }));
  const dns = isIP(host) === 0;
  return {
    name: 'xds-grpc',
    type: dns ? 'STRICT_DNS' : 'STATIC',
    ...(dns ? { dns_refresh_rate: protoDuration(inputs.dnsRefreshRateMs), dns_lookup_family: 'V4_ONLY' } : {}),
    connect_timeout: protoDuration(inputs.connectTimeoutMs),
    lb_policy: 'ROUND_ROBIN',
    load_assignment: loadAssignment('xds-grpc', host, port),
    circuit_breakers: { thresholds },
    upstream_connection_options: { tcp_keepalive: { keepalive_time: 300 } },
    typed_extension_protocol_options: http2Options(),
  };
}

/**
 * Istio's static `sds-grpc` cluster: HTTP/2 to the agent's SDS server on its Unix socket (a pipe
 * address). istiod's transport sockets name it (`envoy_grpc: { cluster_name: sds-grpc }`) for the
 * `file-cert:`/`file-root:` secrets of Gateway servers and DestinationRules. Istio writes the socket's
 * relative path; Weft writes the path the agent resolved, so the proxy's working directory does not matter.
 */
export function sdsGrpcCluster(socketPath: string): Json {
  return {
    name: 'sds-grpc',
    type: 'STATIC',
    connect_timeout: protoDuration(1000),
    lb_policy: 'ROUND_ROBIN',
    load_assignment: { cluster_name: 'sds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: socketPath } } } }] }] },
    typed_extension_protocol_options: http2Options(),
  };
}

/** The listener on 0.0.0.0:<prometheusPort> that routes /stats/prometheus to the admin API. */
export function prometheusListener(port: number): Json {
  const hcm = {
    '@type': HCM_TYPE,
    codec_type: 'AUTO',
    stat_prefix: 'stats',
    route_config: { virtual_hosts: [{ name: 'backend', domains: ['*'], routes: [{ match: { prefix: '/stats/prometheus' }, route: { cluster: 'prometheus_stats' } }] }] },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE } }],
  };
  return {
    name: 'prometheus_stats',
    address: socketAddress('0.0.0.0', port),
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcm }] }],
  };
}

export function buildBootstrap(inputs: BootstrapInputs): { [key: string]: Json } {
  const { node } = inputs;
  const prometheus = inputs.prometheusPort > 0;
  const clusters: Json[] = [
    ...(prometheus
      ? [{ name: 'prometheus_stats', type: 'STATIC', connect_timeout: protoDuration(250), lb_policy: 'ROUND_ROBIN', load_assignment: loadAssignment('prometheus_stats', '127.0.0.1', inputs.proxyAdminPort) }]
      : []),
    sdsGrpcCluster(inputs.sdsSocketPath),
    xdsGrpcCluster(inputs),
  ];
  return {
    node: { id: node.id, cluster: node.cluster, metadata: node.metadata as Json },
    stats_config: statsConfig(node.metadata),
    admin: { address: socketAddress('127.0.0.1', inputs.proxyAdminPort) },
    dynamic_resources: {
      lds_config: { ads: {}, resource_api_version: 'V3' },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
    },
    static_resources: {
      clusters,
      listeners: prometheus ? [prometheusListener(inputs.prometheusPort)] : [],
    },
  };
}

/** envoy-rev<epoch>.json, as Istio names the bootstrap of each proxy epoch. */
export function bootstrapFileName(epoch: number): string {
  return `envoy-rev${epoch}.json`;
}
