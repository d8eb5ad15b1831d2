// CDS checks of a cluster: every field weft refuses (it would change semantics and is not
// implemented) is an error naming its path from the cluster, and ClusterManager.validate turns it
// into the NACK text `cluster <name>: <path>: <message>`; what weft implements passes and is read
// into the pool options; observability-only fields pass with an "accepted, not enforced" warning.
// Clusters are written as proto3 JSON and decoded through the wire form, as CDS delivers them.
import { loadProtoRegistry, type Cluster__Output } from '@weft/api';
import { formatIssues, silentLogger } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { defaultLoadBalancers } from '../load-balancer/registry.js';
import { StatStore } from '../stats/stat-store.js';
import { ClusterManager } from './cluster-manager.js';
import { clusterConnectionOptions, HTTP_PROTOCOL_OPTIONS } from './cluster-options.js';

const registry = loadProtoRegistry();
const CLUSTER = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const T = `typed_extension_protocol_options["${HTTP_PROTOCOL_OPTIONS}"]`;

/** A cluster `c` from proto3 JSON (a field given as undefined is left out), decoded as CDS decodes it. */
function cluster(json: Record<string, unknown>): Cluster__Output {
  const fields = Object.entries({ name: 'c', type: 'STATIC', connect_timeout: '1s', ...json }).filter(([, v]) => v !== undefined);
  const read = registry.readJson(CLUSTER, Object.fromEntries(fields));
  if (!read.value) throw new Error(JSON.stringify(read.issues));
  return registry.decode<Cluster__Output>(CLUSTER, registry.encode(CLUSTER, read.value));
}

/** typed_extension_protocol_options with these HttpProtocolOptions fields. */
function typed(options: Record<string, unknown>): Record<string, unknown> {
  return { typed_extension_protocol_options: { [HTTP_PROTOCOL_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_PROTOCOL_OPTIONS}`, ...options } } };
}

const h2 = (fields: Record<string, unknown>) => typed({ explicit_http_config: { http2_protocol_options: fields } });

function manager(): ClusterManager {
  return new ClusterManager(registry, defaultLoadBalancers(), new StatStore(), silentLogger());
}

describe('refused cluster fields: each is an error at its path, and a NACK', () => {
  // [what, cluster JSON, the error "path: message"]
  const refused: [string, Record<string, unknown>, string][] = [
    ['connect_timeout 0', { connect_timeout: '0s' }, 'connect_timeout: must be greater than 0'],
    // HttpProtocolOptions (typed_extension_protocol_options)
    ['auto_config', typed({ auto_config: {} }), `${T}.auto_config: ALPN protocol selection (auto_config) is not supported`],
    ['explicit HTTP/3', typed({ explicit_http_config: { http3_protocol_options: {} } }), `${T}: HTTP/3 upstreams are not supported`],
    ['downstream HTTP/3', typed({ use_downstream_protocol_config: { http3_protocol_options: {} } }), `${T}: HTTP/3 upstreams are not supported`],
    ['upstream http_filters', typed({ http_filters: [{ name: 'envoy.filters.http.upstream_codec' }] }), `${T}.http_filters: upstream HTTP filters are not supported`],
    ['header_validation_config', typed({ header_validation_config: { name: 'envoy.http.header_validators.envoy_default' } }), `${T}.header_validation_config: is not supported`],
    ['auto_sni', typed({ upstream_http_protocol_options: { auto_sni: true } }), `${T}.upstream_http_protocol_options: auto_sni / auto_san_validation are not supported`],
    ['auto_san_validation', typed({ upstream_http_protocol_options: { auto_san_validation: true } }), `${T}.upstream_http_protocol_options: auto_sni / auto_san_validation are not supported`],
    ['override_auto_sni_header', typed({ upstream_http_protocol_options: { override_auto_sni_header: 'x-sni' } }), `${T}.upstream_http_protocol_options: auto_sni / auto_san_validation are not supported`],
    ['max_headers_count', typed({ common_http_protocol_options: { max_headers_count: 50 } }), `${T}.common_http_protocol_options.max_headers_count: is not supported for upstream responses`],
    ['max_stream_duration', typed({ common_http_protocol_options: { max_stream_duration: '5s' } }), `${T}.common_http_protocol_options.max_stream_duration: is not supported for upstream streams (use the route timeout)`],
    ['headers_with_underscores_action', typed({ common_http_protocol_options: { headers_with_underscores_action: 'REJECT_REQUEST' } }), `${T}.common_http_protocol_options.headers_with_underscores_action: is not supported for upstream responses`],
    // Http2ProtocolOptions, explicit and downstream-protocol, and the deprecated Cluster field
    ...(['max_outbound_frames', 'max_outbound_control_frames', 'max_consecutive_inbound_frames_with_empty_payload', 'max_inbound_priority_frames_per_stream', 'max_inbound_window_update_frames_per_data_frame_sent'] as const).map(
      (f): [string, Record<string, unknown>, string] => [f, h2({ [f]: 10 }), `${T}.explicit_http_config.http2_protocol_options.${f}: is not supported for upstream HTTP/2`],
    ),
    ['connection_keepalive', h2({ connection_keepalive: { interval: '10s', timeout: '1s' } }), `${T}.explicit_http_config.http2_protocol_options.connection_keepalive: is not supported for upstream HTTP/2`],
    ['allow_connect', h2({ allow_connect: true }), `${T}.explicit_http_config.http2_protocol_options.allow_connect: CONNECT over upstream HTTP/2 is not supported`],
    ['allow_metadata', h2({ allow_metadata: true }), `${T}.explicit_http_config.http2_protocol_options.allow_metadata: METADATA frames are not supported`],
    ['custom_settings_parameters', h2({ custom_settings_parameters: [{ identifier: 10, value: 1 }] }), `${T}.explicit_http_config.http2_protocol_options.custom_settings_parameters: custom SETTINGS are not supported`],
    ['override_stream_error_on_invalid_http_message', h2({ override_stream_error_on_invalid_http_message: true }), `${T}.explicit_http_config.http2_protocol_options.override_stream_error_on_invalid_http_message: is not supported (an invalid upstream message resets its stream)`],
    ['stream_error_on_invalid_http_messaging', h2({ stream_error_on_invalid_http_messaging: true }), `${T}.explicit_http_config.http2_protocol_options.override_stream_error_on_invalid_http_message: is not supported (an invalid upstream message resets its stream)`],
    ['max_concurrent_streams 0', h2({ max_concurrent_streams: 0 }), `${T}.explicit_http_config.http2_protocol_options.max_concurrent_streams: must be at least 1`],
    ['downstream-protocol HTTP/2 allow_connect', typed({ use_downstream_protocol_config: { http2_protocol_options: { allow_connect: true } } }), `${T}.use_downstream_protocol_config.http2_protocol_options.allow_connect: CONNECT over upstream HTTP/2 is not supported`],
    ['deprecated http2_protocol_options', { http2_protocol_options: { allow_metadata: true } }, 'http2_protocol_options.allow_metadata: METADATA frames are not supported'],
    ['deprecated common_http_protocol_options', { common_http_protocol_options: { max_headers_count: 50 } }, 'common_http_protocol_options.max_headers_count: is not supported for upstream responses'],
    ['deprecated upstream_http_protocol_options', { upstream_http_protocol_options: { auto_sni: true } }, 'upstream_http_protocol_options: auto_sni / auto_san_validation are not supported'],
    // upstream_connection_options
    ['happy_eyeballs_config', { upstream_connection_options: { happy_eyeballs_config: { first_address_family_version: 'V6' } } }, 'upstream_connection_options.happy_eyeballs_config: is not supported'],
    ['set_local_interface_name_on_upstream_connections', { upstream_connection_options: { set_local_interface_name_on_upstream_connections: true } }, 'upstream_connection_options.set_local_interface_name_on_upstream_connections: is not supported'],
    // circuit_breakers
    ['max_connection_pools', { circuit_breakers: { thresholds: [{ max_connection_pools: 10 }] } }, 'circuit_breakers.thresholds[0].max_connection_pools: is not supported'],
    ['retry_budget over 100%', { circuit_breakers: { thresholds: [{}, { priority: 'HIGH', retry_budget: { budget_percent: { value: 150 } } }] } }, 'circuit_breakers.thresholds[1].retry_budget.budget_percent: must be within [0, 100], got 150'],
    ['per_host_thresholds', { circuit_breakers: { per_host_thresholds: [{ max_connections: 1 }] } }, 'circuit_breakers.per_host_thresholds: per-host circuit breakers are not supported'],
    // outlier_detection
    ['max_ejection_percent over 100', { outlier_detection: { max_ejection_percent: 101 } }, 'outlier_detection.max_ejection_percent: must be at most 100, got 101'],
    ['enforcing_success_rate over 100', { outlier_detection: { enforcing_success_rate: 120 } }, 'outlier_detection.enforcing_success_rate: must be at most 100, got 120'],
    ['interval 0', { outlier_detection: { interval: '0s' } }, 'outlier_detection.interval: must be greater than 0'],
    ['base_ejection_time 0', { outlier_detection: { base_ejection_time: '0s' } }, 'outlier_detection.base_ejection_time: must be greater than 0'],
    ['max_ejection_time_jitter', { outlier_detection: { max_ejection_time_jitter: '1s' } }, 'outlier_detection.max_ejection_time_jitter: is not supported'],
    ['successful_active_health_check_uneject_host', { outlier_detection: { successful_active_health_check_uneject_host: true } }, 'outlier_detection.successful_active_health_check_uneject_host: is not supported (a passing health check does not uneject a host)'],
    // other Cluster fields that would change routing, balancing or DNS
    ['lb_subset_config', { lb_subset_config: { subset_selectors: [{ keys: ['version'] }] } }, 'lb_subset_config: subset load balancing is not supported'],
    ['load_balancing_policy', { load_balancing_policy: { policies: [{ typed_extension_config: { name: 'x', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Empty' } } }] } }, 'load_balancing_policy: is not supported (use lb_policy)'],
    ['upstream_config', { upstream_config: { name: 'envoy.upstreams.http.generic', typed_config: { '@type': 'type.googleapis.com/google.protobuf.Empty' } } }, 'upstream_config: custom upstreams are not supported'],
    ['connection_pool_per_downstream_connection', { connection_pool_per_downstream_connection: true }, 'connection_pool_per_downstream_connection: is not supported'],
    ['close_connections_on_host_health_failure', { close_connections_on_host_health_failure: true }, 'close_connections_on_host_health_failure: is not supported'],
    ['dns_resolvers', { dns_resolvers: [{ socket_address: { address: '10.0.0.53', port_value: 53 } }] }, 'dns_resolvers: custom DNS resolvers are not supported (the system resolver is used)'],
    ['dns_resolution_config', { dns_resolution_config: { resolvers: [{ socket_address: { address: '10.0.0.53', port_value: 53 } }] } }, 'dns_resolution_config: custom DNS resolvers are not supported (the system resolver is used)'],
    ['eds_config from a file', { type: 'EDS', eds_cluster_config: { eds_config: { path_config_source: { path: '/etc/eds.yaml' } } } }, 'eds_cluster_config.eds_config: only ADS (ads or self) is supported for EDS'],
    ['use_hostname_for_hashing', { lb_policy: 'RING_HASH', common_lb_config: { consistent_hashing_lb_config: { use_hostname_for_hashing: true } } }, 'common_lb_config.consistent_hashing_lb_config.use_hostname_for_hashing: is not supported (hosts are hashed by address)'],
    ['hash_balance_factor', { lb_policy: 'RING_HASH', common_lb_config: { consistent_hashing_lb_config: { hash_balance_factor: 150 } } }, 'common_lb_config.consistent_hashing_lb_config.hash_balance_factor: bounded-load consistent hashing is not supported'],
    ['ignore_new_hosts_until_first_hc', { common_lb_config: { ignore_new_hosts_until_first_hc: true } }, 'common_lb_config.ignore_new_hosts_until_first_hc: is not supported'],
    ['close_connections_on_host_set_change', { common_lb_config: { close_connections_on_host_set_change: true } }, 'common_lb_config.close_connections_on_host_set_change: is not supported'],
    ['override_host_status', { common_lb_config: { override_host_status: { statuses: ['DRAINING'] } } }, 'common_lb_config.override_host_status: is not supported'],
    ['round robin slow start', { round_robin_lb_config: { slow_start_config: { slow_start_window: '30s' } } }, 'round_robin_lb_config.slow_start_config: slow start is not supported'],
    ['least request slow start', { lb_policy: 'LEAST_REQUEST', least_request_lb_config: { slow_start_config: { slow_start_window: '30s' } } }, 'least_request_lb_config.slow_start_config: slow start is not supported'],
    ['active_request_bias', { lb_policy: 'LEAST_REQUEST', least_request_lb_config: { active_request_bias: { default_value: 2, runtime_key: 'bias' } } }, 'least_request_lb_config.active_request_bias: is not supported (hosts are weighted by weight / (active requests + 1))'],
    ['original_dst use_http_header', { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', original_dst_lb_config: { use_http_header: true } }, "original_dst_lb_config.use_http_header: is not supported (the connection's original destination is used)"],
    ['original_dst upstream_port_override', { type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', original_dst_lb_config: { upstream_port_override: 8080 } }, 'original_dst_lb_config.upstream_port_override: is not supported'],
  ];

  it.each(refused)('%s', (_what, json, expected) => {
    const c = cluster(json);
    const result = clusterConnectionOptions(registry, c);
    expect(formatIssues(result.errors).split('\n')).toEqual([expected]);
    expect(result.value).toBeUndefined();
    expect(manager().validate([c])).toBe(`cluster c: ${expected}`);
  });

  it('reports every refused field of one cluster, not only the first', () => {
    const c = cluster({ ...h2({ allow_connect: true, allow_metadata: true }), circuit_breakers: { per_host_thresholds: [{ max_connections: 1 }] } });
    expect(clusterConnectionOptions(registry, c).errors.map((e) => e.path)).toEqual([
      `${T}.explicit_http_config.http2_protocol_options.allow_connect`,
      `${T}.explicit_http_config.http2_protocol_options.allow_metadata`,
      'circuit_breakers.per_host_thresholds',
    ]);
  });
});

describe('refused by ClusterManager.validate (balancer, health checks, type)', () => {
  it.each([
    ['custom cluster_type', { type: undefined, cluster_type: { name: 'envoy.clusters.aggregate' } }, 'cluster c: custom cluster_type envoy.clusters.aggregate is not supported'],
    ['lb_policy LOAD_BALANCING_POLICY_CONFIG', { lb_policy: 'LOAD_BALANCING_POLICY_CONFIG' }, 'cluster c: lb_policy: unsupported lb_policy LOAD_BALANCING_POLICY_CONFIG (supported: ROUND_ROBIN, LEAST_REQUEST, RANDOM, RING_HASH, MAGLEV)'],
    ['ring hash MURMUR_HASH_2', { lb_policy: 'RING_HASH', ring_hash_lb_config: { hash_function: 'MURMUR_HASH_2' } }, 'cluster c: ring_hash_lb_config.hash_function: hash function MURMUR_HASH_2 is not supported; only XX_HASH'],
    ['least request choice_count 1', { lb_policy: 'LEAST_REQUEST', least_request_lb_config: { choice_count: 1 } }, 'cluster c: least_request_lb_config.choice_count: must be at least 2, got 1'],
    ['maglev table not prime', { lb_policy: 'MAGLEV', maglev_lb_config: { table_size: 100 } }, 'cluster c: maglev_lb_config.table_size: the maglev table size must be a prime number, got 100'],
    ['ORIGINAL_DST with ROUND_ROBIN', { type: 'ORIGINAL_DST', lb_policy: 'ROUND_ROBIN' }, 'cluster c: lb_policy ROUND_ROBIN is not valid for an ORIGINAL_DST cluster (use CLUSTER_PROVIDED)'],
    [
      'two health checks',
      { health_checks: [1, 2].map(() => ({ timeout: '1s', interval: '5s', unhealthy_threshold: 2, healthy_threshold: 1, tcp_health_check: {} })) },
      'cluster c: health_checks: multiple health checks are not supported',
    ],
  ])('%s', (_what, json, expected) => {
    expect(manager().validate([cluster(json)])).toBe(expected);
  });

  it('a CDS cluster may not replace a static one of the same name', () => {
    const cm = manager();
    cm.addStatic(cluster({}));
    expect(cm.validate([cluster({})])).toBe('cluster c: a static cluster of that name exists');
    cm.close();
  });

  it('every cluster of a batch is checked: the NACK names each problem', () => {
    const a = cluster({ name: 'a', connect_timeout: '0s' });
    const b = cluster({ name: 'b', lb_subset_config: { subset_selectors: [{ keys: ['v'] }] } });
    expect(manager().validate([a, b])).toBe('cluster a: connect_timeout: must be greater than 0; cluster b: lb_subset_config: subset load balancing is not supported');
  });
});

describe('accepted cluster fields', () => {
  it('an EDS cluster as Pilot builds it (HTTP/2, circuit breakers, outlier detection, locality weights) passes and is read', () => {
    const c = cluster({
      name: 'outbound|9080||reviews.default.svc.cluster.local',
      type: 'EDS',
      eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, service_name: 'outbound|9080||reviews.default.svc.cluster.local' },
      connect_timeout: '10s',
      lb_policy: 'LEAST_REQUEST',
      alt_stat_name: 'reviews',
      metadata: { filter_metadata: { istio: { config: '/apis/networking.istio.io/v1alpha3/namespaces/default/destination-rule/reviews' } } },
      circuit_breakers: {
        thresholds: [
          { max_connections: 100, max_pending_requests: 10, max_requests: 1000, max_retries: 3, track_remaining: true },
          { priority: 'HIGH', max_connections: 200, retry_budget: { budget_percent: { value: 20 }, min_retry_concurrency: 3 } },
        ],
      },
      outlier_detection: { consecutive_5xx: 5, interval: '10s', base_ejection_time: '30s', max_ejection_percent: 100, enforcing_success_rate: 0 },
      common_lb_config: { healthy_panic_threshold: { value: 0 }, locality_weighted_lb_config: {} },
      upstream_connection_options: { tcp_keepalive: { keepalive_time: 300 } },
      lb_subset_config: {},
      dns_resolvers: [],
      ...typed({
        common_http_protocol_options: { idle_timeout: '30s', max_connection_duration: '600s', max_requests_per_connection: 100, headers_with_underscores_action: 'ALLOW' },
        explicit_http_config: { http2_protocol_options: { max_concurrent_streams: 50, hpack_table_size: 8192, initial_stream_window_size: 1048576, initial_connection_window_size: 2097152 } },
      }),
    });
    const result = clusterConnectionOptions(registry, c);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.value).toEqual({
      protocol: 'http2',
      connectTimeoutMs: 10_000,
      limits: {
        idleTimeoutMs: 30_000,
        maxConnectionDurationMs: 600_000,
        maxRequestsPerConnection: 100,
        maxConcurrentStreams: 50,
        http2: { headerTableSize: 8192, initialWindowSize: 1048576, connectionWindowSize: 2097152 },
        tcpKeepalive: { timeMs: 300_000 },
      },
    });
    expect(manager().validate([c])).toBeUndefined();
  });

  it.each([
    ['no options: HTTP/1.1, 5 s connect timeout, 1 h idle timeout', { connect_timeout: undefined }, { protocol: 'http1', connectTimeoutMs: 5000, limits: { idleTimeoutMs: 3_600_000, maxConnectionDurationMs: 0, maxRequestsPerConnection: 0 } }],
    ['use_downstream_protocol_config', typed({ use_downstream_protocol_config: { http_protocol_options: {}, http2_protocol_options: {} } }), { protocol: 'downstream' }],
    ['deprecated protocol_selection USE_DOWNSTREAM_PROTOCOL', { protocol_selection: 'USE_DOWNSTREAM_PROTOCOL' }, { protocol: 'downstream' }],
    ['deprecated http2_protocol_options', { http2_protocol_options: { max_concurrent_streams: 7 } }, { protocol: 'http2', limits: expect.objectContaining({ maxConcurrentStreams: 7 }) }],
    ['idle_timeout 0 (disabled)', typed({ common_http_protocol_options: { idle_timeout: '0s' } }), { limits: expect.objectContaining({ idleTimeoutMs: 0 }) }],
    ['deprecated max_requests_per_connection', { max_requests_per_connection: 3 }, { limits: expect.objectContaining({ maxRequestsPerConnection: 3 }) }],
    ['active_request_bias 1 (the default)', { lb_policy: 'LEAST_REQUEST', least_request_lb_config: { active_request_bias: { default_value: 1, runtime_key: 'bias' } } }, {}],
    ['ignore_health_on_host_removal (weft removes hosts at once)', { ignore_health_on_host_removal: true }, {}],
    ['eds_config self', { type: 'EDS', eds_cluster_config: { eds_config: { self: {} } } }, {}],
  ])('%s', (_what, json, expected) => {
    const c = cluster(json as Record<string, unknown>);
    const result = clusterConnectionOptions(registry, c);
    expect(result.errors).toEqual([]);
    expect(result.value).toMatchObject(expected);
    expect(manager().validate([c])).toBeUndefined();
  });

  it('observability-only fields pass with an "accepted, not enforced" warning at their path', () => {
    const c = cluster({
      upstream_connection_options: { tcp_keepalive: { keepalive_time: 60, keepalive_probes: 3, keepalive_interval: 10 } },
      ...h2({ use_oghttp2_codec: true }),
    });
    const result = clusterConnectionOptions(registry, c);
    expect(result.errors).toEqual([]);
    expect(result.value?.limits.tcpKeepalive).toEqual({ timeMs: 60_000 });
    expect(result.warnings.map((w) => w.path)).toEqual([
      `${T}.explicit_http_config.http2_protocol_options.use_oghttp2_codec`,
      'upstream_connection_options.tcp_keepalive.keepalive_probes',
      'upstream_connection_options.tcp_keepalive.keepalive_interval',
    ]);
    for (const w of result.warnings) expect(w.message).toMatch(/^accepted, not enforced/);
    expect(manager().validate([c])).toBeUndefined();
  });
});
