// A cluster's connection options, read once and checked at CDS time: the HTTP protocol options
// (typed_extension_protocol_options envoy.extensions.upstreams.http.v3.HttpProtocolOptions, else the
// deprecated Cluster fields), upstream_connection_options, connect_timeout, circuit_breakers and
// outlier_detection. What weft implements becomes PoolLimits; what it cannot is an error with its
// path (the CDS update is NACKed), as are the other Cluster fields that would change routing, load
// balancing or DNS and are not implemented (checkUnimplementedFields); observability-only fields
// are accepted and said so.
import type { Cluster__Output, ProtoRegistry } from '@weft/api';
import { IssueCollector, type ValidationResult } from '@weft/base';
import { acceptNotEnforced } from '../config/not-enforced.js';
import { checkCircuitBreakers } from './circuit-breaker.js';
import type { PoolProtocol } from './conn-pool.js';
import { checkOutlierDetection } from './outlier-detection.js';
import { DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, type PoolLimits } from './pool-types.js';

export const HTTP_PROTOCOL_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

type Duration = { seconds?: string | number; nanos?: number } | null | undefined;
type UInt32 = { value: number } | null | undefined;

function ms(d: Duration): number {
  return Number(d?.seconds ?? 0) * 1000 + Math.floor((d?.nanos ?? 0) / 1e6);
}

interface CommonOptions {
  idle_timeout?: Duration;
  max_connection_duration?: Duration;
  max_requests_per_connection?: UInt32;
  max_headers_count?: UInt32;
  max_stream_duration?: Duration;
  headers_with_underscores_action?: string;
}

interface Http2Options {
  hpack_table_size?: UInt32;
  max_concurrent_streams?: UInt32;
  initial_stream_window_size?: UInt32;
  initial_connection_window_size?: UInt32;
  allow_connect?: boolean;
  allow_metadata?: boolean;
  max_outbound_frames?: UInt32;
  max_outbound_control_frames?: UInt32;
  max_consecutive_inbound_frames_with_empty_payload?: UInt32;
  max_inbound_priority_frames_per_stream?: UInt32;
  max_inbound_window_update_frames_per_data_frame_sent?: UInt32;
  stream_error_on_invalid_http_messaging?: boolean;
  override_stream_error_on_invalid_http_message?: { value: boolean } | null;
  custom_settings_parameters?: unknown[];
  connection_keepalive?: object | null;
  use_oghttp2_codec?: { value: boolean } | null;
}

interface TypedHttpOptions {
  common_http_protocol_options?: CommonOptions | null;
  upstream_http_protocol_options?: { auto_sni?: boolean; auto_san_validation?: boolean; override_auto_sni_header?: string } | null;
  explicit_http_config?: { http_protocol_options?: object | null; http2_protocol_options?: Http2Options | null; http3_protocol_options?: object | null } | null;
  use_downstream_protocol_config?: { http_protocol_options?: object | null; http2_protocol_options?: Http2Options | null; http3_protocol_options?: object | null } | null;
  auto_config?: object | null;
  http_filters?: unknown[];
  header_validation_config?: object | null;
}

/** What the pools of a cluster are made with (besides the circuit breakers and the transport). */
export interface ClusterConnectionOptions {
  readonly protocol: PoolProtocol;
  readonly limits: Omit<PoolLimits, 'resources' | 'localAddress' | 'connectTimeoutMs'>;
  /** connect_timeout (default 5 s). */
  readonly connectTimeoutMs: number;
}

/** Flood-protection and codec knobs of Http2ProtocolOptions that weft's HTTP/2 client does not have. */
const H2_UNSUPPORTED = [
  'max_outbound_frames',
  'max_outbound_control_frames',
  'max_consecutive_inbound_frames_with_empty_payload',
  'max_inbound_priority_frames_per_stream',
  'max_inbound_window_update_frames_per_data_frame_sent',
  'connection_keepalive',
] as const;

function http2Limits(h2: Http2Options | null | undefined, issues: IssueCollector): Pick<PoolLimits, 'maxConcurrentStreams' | 'http2'> {
  if (!h2) return {};
  for (const f of H2_UNSUPPORTED) if (h2[f]) issues.at(f).error('is not supported for upstream HTTP/2');
  if (h2.allow_connect) issues.at('allow_connect').error('CONNECT over upstream HTTP/2 is not supported');
  if (h2.allow_metadata) issues.at('allow_metadata').error('METADATA frames are not supported');
  if ((h2.custom_settings_parameters?.length ?? 0) > 0) issues.at('custom_settings_parameters').error('custom SETTINGS are not supported');
  if (h2.stream_error_on_invalid_http_messaging || h2.override_stream_error_on_invalid_http_message) {
    issues.at('override_stream_error_on_invalid_http_message').error('is not supported (an invalid upstream message resets its stream)');
  }
  if (h2.use_oghttp2_codec) acceptNotEnforced(issues, 'use_oghttp2_codec', 'the choice of HTTP/2 codec');
  const streams = h2.max_concurrent_streams?.value;
  if (streams !== undefined && streams < 1) issues.at('max_concurrent_streams').error('must be at least 1');
  const http2 = {
    ...(h2.hpack_table_size ? { headerTableSize: h2.hpack_table_size.value } : {}),
    ...(h2.initial_stream_window_size ? { initialWindowSize: h2.initial_stream_window_size.value } : {}),
    ...(h2.initial_connection_window_size ? { connectionWindowSize: h2.initial_connection_window_size.value } : {}),
  };
  return { ...(streams ? { maxConcurrentStreams: streams } : {}), ...(Object.keys(http2).length > 0 ? { http2 } : {}) };
}

function commonLimits(common: CommonOptions | null | undefined, issues: IssueCollector): Pick<PoolLimits, 'idleTimeoutMs' | 'maxConnectionDurationMs' | 'maxRequestsPerConnection'> {
  if (common?.max_headers_count) issues.at('max_headers_count').error('is not supported for upstream responses');
  if (common?.max_stream_duration && ms(common.max_stream_duration) > 0) issues.at('max_stream_duration').error('is not supported for upstream streams (use the route timeout)');
  if (common?.headers_with_underscores_action && common.headers_with_underscores_action !== 'ALLOW') {
    issues.at('headers_with_underscores_action').error('is not supported for upstream responses');
  }
  return {
    // Envoy: 1 h when unset; 0 disables it.
    idleTimeoutMs: common?.idle_timeout ? ms(common.idle_timeout) : DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
    maxConnectionDurationMs: common?.max_connection_duration ? ms(common.max_connection_duration) : 0,
    maxRequestsPerConnection: common?.max_requests_per_connection?.value ?? 0,
  };
}

function keepaliveLimits(c: Cluster__Output, issues: IssueCollector): Pick<PoolLimits, 'tcpKeepalive'> {
  const uco = c.upstream_connection_options;
  if (!uco) return {};
  const at = issues.at('upstream_connection_options');
  if (uco.happy_eyeballs_config) at.at('happy_eyeballs_config').error('is not supported');
  if (uco.set_local_interface_name_on_upstream_connections) at.at('set_local_interface_name_on_upstream_connections').error('is not supported');
  const ka = uco.tcp_keepalive;
  if (!ka) return {};
  // Node sets SO_KEEPALIVE and TCP_KEEPIDLE only: the probe count and interval stay the OS defaults.
  const why = 'Node sets only the keep-alive idle time (keepalive_time); probes and interval are the OS defaults';
  if (ka.keepalive_probes) acceptNotEnforced(at.at('tcp_keepalive'), 'keepalive_probes', why);
  if (ka.keepalive_interval) acceptNotEnforced(at.at('tcp_keepalive'), 'keepalive_interval', why);
  return { tcpKeepalive: { timeMs: ka.keepalive_time ? ka.keepalive_time.value * 1000 : undefined } };
}

const SET = (v: unknown): boolean => v !== null && v !== undefined && v !== false && !(Array.isArray(v) && v.length === 0);

/**
 * Cluster fields that change which host or connection a request gets, and that weft does not
 * implement: each set one is an error at its path. (Accepted elsewhere: everything ClusterManager,
 * the balancers and the checks above read.)
 */
function checkUnimplementedFields(c: Cluster__Output, issues: IssueCollector): void {
  if ((c.lb_subset_config?.subset_selectors?.length ?? 0) > 0) issues.at('lb_subset_config').error('subset load balancing is not supported');
  if (c.load_balancing_policy) issues.at('load_balancing_policy').error('is not supported (use lb_policy)');
  if (c.upstream_config) issues.at('upstream_config').error('custom upstreams are not supported');
  for (const f of ['connection_pool_per_downstream_connection', 'close_connections_on_host_health_failure'] as const) if (c[f]) issues.at(f).error('is not supported');
  const up = c.upstream_http_protocol_options;
  if (up?.auto_sni || up?.auto_san_validation || up?.override_auto_sni_header) issues.at('upstream_http_protocol_options').error('auto_sni / auto_san_validation are not supported');
  for (const f of ['dns_resolvers', 'dns_resolution_config', 'typed_dns_resolver_config'] as const) if (SET(c[f])) issues.at(f).error('custom DNS resolvers are not supported (the system resolver is used)');
  const eds = c.eds_cluster_config?.eds_config;
  if (eds && (eds.path || eds.path_config_source || eds.api_config_source)) issues.at('eds_cluster_config', 'eds_config').error('only ADS (ads or self) is supported for EDS');
  const common = c.common_lb_config;
  if (common) {
    const at = issues.at('common_lb_config');
    const ch = common.consistent_hashing_lb_config;
    if (ch?.use_hostname_for_hashing) at.at('consistent_hashing_lb_config', 'use_hostname_for_hashing').error('is not supported (hosts are hashed by address)');
    if (ch?.hash_balance_factor) at.at('consistent_hashing_lb_config', 'hash_balance_factor').error('bounded-load consistent hashing is not supported');
    for (const f of ['ignore_new_hosts_until_first_hc', 'close_connections_on_host_set_change'] as const) if (common[f]) at.at(f).error('is not supported');
    if ((common.override_host_status?.statuses?.length ?? 0) > 0) at.at('override_host_status').error('is not supported');
  }
  if (c.round_robin_lb_config?.slow_start_config) issues.at('round_robin_lb_config', 'slow_start_config').error('slow start is not supported');
  const lr = c.least_request_lb_config;
  if (lr?.slow_start_config) issues.at('least_request_lb_config', 'slow_start_config').error('slow start is not supported');
  if (lr?.active_request_bias && lr.active_request_bias.default_value !== 1) {
    issues.at('least_request_lb_config', 'active_request_bias').error('is not supported (hosts are weighted by weight / (active requests + 1))');
  }
  const od = c.original_dst_lb_config;
  if (od?.use_http_header) issues.at('original_dst_lb_config', 'use_http_header').error("is not supported (the connection's original destination is used)");
  if (od?.http_header_name) issues.at('original_dst_lb_config', 'http_header_name').error('is not supported');
  if (od?.upstream_port_override) issues.at('original_dst_lb_config', 'upstream_port_override').error('is not supported');
  if (od?.metadata_key) issues.at('original_dst_lb_config', 'metadata_key').error('is not supported');
}

/**
 * Reads and checks a cluster's connection options; errors and warnings have paths from the cluster
 * (`typed_extension_protocol_options["…HttpProtocolOptions"].common_http_protocol_options.max_headers_count`).
 */
export function clusterConnectionOptions(registry: ProtoRegistry, c: Cluster__Output): ValidationResult<ClusterConnectionOptions> {
  const issues = new IssueCollector();
  if (c.connect_timeout && ms(c.connect_timeout) <= 0) issues.at('connect_timeout').error('must be greater than 0');
  const packed = c.typed_extension_protocol_options?.[HTTP_PROTOCOL_OPTIONS];
  const typed = packed ? registry.unpack<TypedHttpOptions>(packed) : undefined;
  const tAt = issues.at(`typed_extension_protocol_options["${HTTP_PROTOCOL_OPTIONS}"]`);
  let protocol: PoolProtocol = 'http1';
  let h2: Http2Options | null | undefined;
  let h2At = issues.at('http2_protocol_options');
  if (typed) {
    if (typed.auto_config) tAt.at('auto_config').error('ALPN protocol selection (auto_config) is not supported');
    if (typed.explicit_http_config?.http3_protocol_options || typed.use_downstream_protocol_config?.http3_protocol_options) tAt.error('HTTP/3 upstreams are not supported');
    if ((typed.http_filters?.length ?? 0) > 0) tAt.at('http_filters').error('upstream HTTP filters are not supported');
    if (typed.header_validation_config) tAt.at('header_validation_config').error('is not supported');
    const up = typed.upstream_http_protocol_options;
    if (up?.auto_sni || up?.auto_san_validation || up?.override_auto_sni_header) tAt.at('upstream_http_protocol_options').error('auto_sni / auto_san_validation are not supported');
    if (typed.use_downstream_protocol_config) {
      protocol = 'downstream';
      h2 = typed.use_downstream_protocol_config.http2_protocol_options;
      h2At = tAt.at('use_downstream_protocol_config', 'http2_protocol_options');
    } else if (typed.explicit_http_config?.http2_protocol_options) {
      protocol = 'http2';
      h2 = typed.explicit_http_config.http2_protocol_options;
      h2At = tAt.at('explicit_http_config', 'http2_protocol_options');
    }
  } else {
    const deprecated = c as unknown as { http2_protocol_options?: Http2Options | null; protocol_selection?: string };
    if (deprecated.protocol_selection === 'USE_DOWNSTREAM_PROTOCOL') protocol = 'downstream';
    else if (deprecated.http2_protocol_options) protocol = 'http2';
    h2 = deprecated.http2_protocol_options;
  }
  const common = typed?.common_http_protocol_options ?? c.common_http_protocol_options;
  const commonAt = typed?.common_http_protocol_options ? tAt.at('common_http_protocol_options') : issues.at('common_http_protocol_options');
  const limits = {
    ...commonLimits(common as CommonOptions | null, commonAt),
    ...http2Limits(h2, h2At),
    ...keepaliveLimits(c, issues),
  };
  // The deprecated Cluster field still counts when the common options leave it unset.
  if (!limits.maxRequestsPerConnection) limits.maxRequestsPerConnection = c.max_requests_per_connection?.value ?? 0;
  checkCircuitBreakers(c, issues);
  checkOutlierDetection(c.outlier_detection, issues);
  checkUnimplementedFields(c, issues);
  return issues.result({ protocol, limits, connectTimeoutMs: c.connect_timeout ? ms(c.connect_timeout) : 5000 });
}
