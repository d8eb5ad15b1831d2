// DestinationRule TrafficPolicy → Envoy cluster fields (Istio 1.3 applyTrafficPolicy): load balancer,
// connection pool (circuit breakers), outlier detection and client TLS, with port-level overrides.
import type {
  ConnectionPoolSettings,
  LoadBalancerSettings,
  MeshConfig,
  OutlierDetection,
  PortTrafficPolicy,
  TcpKeepalive,
  TrafficPolicy,
} from '@weft/api';
import { isHttp, type Protocol } from '../../model/protocol.js';
import type { ServicePort } from '../../model/service.js';
import type { ClusterDraft, DiscoveryType } from './cluster-draft.js';
import { durationSeconds, protoDuration } from './proto-duration.js';
import { applyUpstreamTls, type UpstreamTlsOptions } from './upstream-tls.js';

/** Istio's default when the mesh sets none (the Helm ConfigMap value; the code default is 1s). */
export const DEFAULT_CONNECT_TIMEOUT = '10s';
/** Envoy allows 3 parallel retries by default; Istio 1.1–1.3 raise it for outbound clusters (1.4 lifts all limits). */
export const DEFAULT_OUTBOUND_MAX_RETRIES = 1024;
/** Envoy's default minimum ring size, used when consistentHash.minimumRingSize is 0. */
export const DEFAULT_MINIMUM_RING_SIZE = 1024;

type PolicyComponents = Omit<PortTrafficPolicy, 'port'>;

function portSelected(setting: PortTrafficPolicy, port: ServicePort): boolean {
  if (setting.port?.number !== undefined) return setting.port.number === port.port;
  return setting.port?.name !== undefined && setting.port.name === port.name;
}

/**
 * The four components that apply to a port (Istio's SelectTrafficPolicyComponents): the first
 * portLevelSettings entry for the port replaces all four, even the ones it leaves unset.
 */
export function selectPolicyComponents(policy: TrafficPolicy | undefined, port: ServicePort | undefined): PolicyComponents {
  if (!policy) return {};
  const level = port ? policy.portLevelSettings?.find((s) => portSelected(s, port)) : undefined;
  const { connectionPool, outlierDetection, loadBalancer, tls } = level ?? policy;
  return { connectionPool, outlierDetection, loadBalancer, tls };
}

/** The policy every cluster starts from: round robin (or passthrough) and the mesh connect timeout. */
export function defaultTrafficPolicy(mesh: MeshConfig, type: DiscoveryType): TrafficPolicy {
  return {
    loadBalancer: { simple: type === 'ORIGINAL_DST' ? 'PASSTHROUGH' : 'ROUND_ROBIN' },
    connectionPool: { tcp: { connectTimeout: mesh.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT } },
  };
}

function keepalive(mesh: MeshConfig, settings: TcpKeepalive | undefined): object | undefined {
  // The rule's keepalive replaces the mesh one as a whole; unset fields fall back to the OS defaults.
  const k = settings ?? mesh.tcpKeepalive;
  if (!k) return undefined;
  const time = durationSeconds(k.time);
  const interval = durationSeconds(k.interval);
  return {
    ...(k.probes ? { keepalive_probes: { value: k.probes } } : {}),
    ...(time !== undefined ? { keepalive_time: { value: time } } : {}),
    ...(interval !== undefined ? { keepalive_interval: { value: interval } } : {}),
  };
}

/**
 * Connection pool → circuit-breaker thresholds (reset to the defaults each time a pool is applied),
 * connect timeout, TCP keepalive, and the HTTP idle timeout / requests per connection.
 * Zero means unset: proto3 cannot tell them apart, and Istio treats them the same way.
 */
export function applyConnectionPool(draft: ClusterDraft, settings: ConnectionPoolSettings | undefined, mesh: MeshConfig): void {
  if (!settings) return;
  const c = draft.cluster;
  const thresholds: Record<string, { value: number }> = draft.direction === 'outbound' ? { max_retries: { value: DEFAULT_OUTBOUND_MAX_RETRIES } } : {};
  const http = settings.http;
  if (http) {
    if (http.http2MaxRequests) thresholds['max_requests'] = { value: http.http2MaxRequests };
    if (http.http1MaxPendingRequests) thresholds['max_pending_requests'] = { value: http.http1MaxPendingRequests };
    if (http.maxRetries) thresholds['max_retries'] = { value: http.maxRetries };
    if (http.maxRequestsPerConnection) draft.common.max_requests_per_connection = { value: http.maxRequestsPerConnection };
    const idle = protoDuration(http.idleTimeout);
    if (idle) draft.common.idle_timeout = idle;
  }
  const tcp = settings.tcp;
  if (tcp) {
    const connectTimeout = protoDuration(tcp.connectTimeout);
    if (connectTimeout) c.connect_timeout = connectTimeout;
    if (tcp.maxConnections) thresholds['max_connections'] = { value: tcp.maxConnections };
    const tcpKeepalive = keepalive(mesh, tcp.tcpKeepalive);
    if (tcpKeepalive) c.upstream_connection_options = { tcp_keepalive: tcpKeepalive };
  }
  c.circuit_breakers = { thresholds: [thresholds] };
}

/**
 * Outlier detection. 1.1–1.4 `consecutiveErrors` counts gateway errors only (502/503/504 and
 * connect failures): consecutive_gateway_failure enforced at 100% and consecutive_5xx at 0%.
 * The 1.5 fields consecutiveGatewayErrors / consecutive5xxErrors are honoured when present.
 * The panic threshold is set even when minHealthPercent is 0, which disables Envoy's panic mode.
 */
export function applyOutlierDetection(draft: ClusterDraft, outlier: OutlierDetection | undefined): void {
  if (!outlier) return;
  const out: Record<string, unknown> = {};
  const base = protoDuration(outlier.baseEjectionTime);
  if (base) out['base_ejection_time'] = base;
  if (outlier.consecutiveErrors) {
    out['enforcing_consecutive_gateway_failure'] = { value: 100 };
    out['enforcing_consecutive_5xx'] = { value: 0 };
    out['consecutive_gateway_failure'] = { value: outlier.consecutiveErrors };
  }
  if (outlier.consecutive5xxErrors !== undefined) {
    out['consecutive_5xx'] = { value: outlier.consecutive5xxErrors };
    out['enforcing_consecutive_5xx'] = { value: outlier.consecutive5xxErrors > 0 ? 100 : 0 };
  }
  if (outlier.consecutiveGatewayErrors !== undefined) {
    out['consecutive_gateway_failure'] = { value: outlier.consecutiveGatewayErrors };
    out['enforcing_consecutive_gateway_failure'] = { value: outlier.consecutiveGatewayErrors > 0 ? 100 : 0 };
  }
  const interval = protoDuration(outlier.interval);
  if (interval) out['interval'] = interval;
  if (outlier.maxEjectionPercent) out['max_ejection_percent'] = { value: outlier.maxEjectionPercent };
  draft.cluster.outlier_detection = out;
  draft.cluster.common_lb_config = { ...draft.cluster.common_lb_config, healthy_panic_threshold: { value: outlier.minHealthPercent ?? 0 } };
}

/** ORIGINAL_DST needs no endpoints or DNS settings; Envoy rejects an original-dst cluster with a load assignment. */
function toOriginalDst(draft: ClusterDraft): void {
  const c = draft.cluster;
  c.type = 'ORIGINAL_DST';
  c.lb_policy = 'CLUSTER_PROVIDED';
  delete c.load_assignment;
  delete c.dns_lookup_family;
  delete c.dns_refresh_rate;
  delete c.respect_dns_ttl;
}

/**
 * Load balancer: simple policies map one to one (LEAST_CONN is Envoy's LEAST_REQUEST), PASSTHROUGH
 * makes an ORIGINAL_DST cluster, consistentHash makes RING_HASH (the hash keys go on the routes).
 * With outlier detection on, locality-weighted load balancing is enabled as well.
 */
export function applyLoadBalancer(draft: ClusterDraft, lb: LoadBalancerSettings | undefined): void {
  const c = draft.cluster;
  if (c.outlier_detection) c.common_lb_config = { ...c.common_lb_config, locality_weighted_lb_config: {} };
  // Original-destination discovery only works with the cluster-provided load balancer.
  if (c.type === 'ORIGINAL_DST') {
    c.lb_policy = 'CLUSTER_PROVIDED';
    return;
  }
  if (!lb) return;
  if (lb.simple) delete c.ring_hash_lb_config;
  switch (lb.simple) {
    case 'LEAST_CONN':
      c.lb_policy = 'LEAST_REQUEST';
      break;
    case 'RANDOM':
      c.lb_policy = 'RANDOM';
      break;
    case 'ROUND_ROBIN':
      c.lb_policy = 'ROUND_ROBIN';
      break;
    case 'PASSTHROUGH':
      toOriginalDst(draft);
      break;
    default:
      break;
  }
  const hash = lb.consistentHash;
  if (hash) {
    c.lb_policy = 'RING_HASH';
    c.ring_hash_lb_config = { minimum_ring_size: { value: hash.minimumRingSize || DEFAULT_MINIMUM_RING_SIZE } };
  }
}

/**
 * h2UpgradePolicy (Istio's shouldH2Upgrade): an HTTP/1.1 outbound cluster speaks HTTP/2 upstream when
 * the pool says UPGRADE, or says DEFAULT and the mesh-wide policy is UPGRADE.
 */
function applyH2Upgrade(draft: ClusterDraft, pool: ConnectionPoolSettings | undefined, mesh: MeshConfig, protocol: Protocol | undefined): void {
  if (draft.direction !== 'outbound' || draft.protocol !== 'http1') return;
  const policy = pool?.http?.h2UpgradePolicy ?? 'DEFAULT';
  if (policy === 'DO_NOT_UPGRADE') return;
  if (policy === 'UPGRADE' || (protocol !== undefined && isHttp(protocol) && mesh.h2UpgradePolicy === 'UPGRADE')) draft.protocol = 'http2';
}

export interface PolicyOptions {
  readonly mesh: MeshConfig;
  readonly port?: ServicePort;
  /** Present for outbound clusters: client TLS applies to them only. */
  readonly tls?: UpstreamTlsOptions;
}

/** Applies one policy on top of what the draft already has (a subset's policy goes on after its rule's). */
export function applyTrafficPolicy(draft: ClusterDraft, policy: TrafficPolicy | undefined, options: PolicyOptions): void {
  const { connectionPool, outlierDetection, loadBalancer, tls } = selectPolicyComponents(policy, options.port);
  applyConnectionPool(draft, connectionPool, options.mesh);
  applyH2Upgrade(draft, connectionPool, options.mesh, options.port?.protocol);
  applyOutlierDetection(draft, outlierDetection);
  applyLoadBalancer(draft, loadBalancer);
  if (options.tls) applyUpstreamTls(draft, tls, options.tls);
}
