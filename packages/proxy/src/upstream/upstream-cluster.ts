// What the router needs of a cluster and its hosts (the seam is the router's; the cluster manager implements it).
import type net from 'node:net';
import type { UpstreamTransport } from '../tls/upstream-tls-context.js';
import type { RoutingPriority } from './circuit-breaker.js';
import type { ConnPool } from './conn-pool.js';

export type { RoutingPriority } from './circuit-breaker.js';
export { LOCAL_ORIGIN_FAILURE, LOCAL_ORIGIN_TIMEOUT } from './outlier-detection.js';

/** Where a downstream connection was headed (SO_ORIGINAL_DST or the use_original_dst hand-off). */
export interface OriginalDestination {
  readonly address: string;
  readonly port: number;
}

export interface UpstreamHost {
  readonly address: string;
  readonly port: number;
  /**
   * Its connection pools: the DEFAULT one, and per priority and ALPN list through `poolFor` in
   * conn-pool.ts (Envoy keys a host's pools by both).
   */
  readonly pool: ConnPool;
  /**
   * The name auto_host_rewrite puts in `:authority`: the endpoint's `hostname` (EDS, STATIC), else
   * for STRICT_DNS / LOGICAL_DNS the DNS name it was resolved from; undefined when it has none.
   */
  readonly hostname?: string | undefined;
  /** This endpoint's transport (transport_socket_matches); the cluster's when undefined. */
  readonly transport?: UpstreamTransport;
  /** Requests in flight to this host (least-request LB reads it). */
  readonly active: number;
  /**
   * Reports how an exchange ended, for outlier detection: an HTTP status (a connection that worked,
   * for tcp_proxy 200), LOCAL_ORIGIN_FAILURE (0) for a connect failure or reset, LOCAL_ORIGIN_TIMEOUT
   * (-1) for a request or per-try timeout before the response head (outlier-detection.ts).
   */
  recordResult(status: number): void;
  begin(): void;
  end(): void;
}

export interface HostChoice {
  /** Request hash from the route's hash policies (ring hash, maglev). */
  readonly hash?: bigint;
  /** Hosts already tried (retry_host_predicate previous_hosts). */
  readonly previous?: ReadonlySet<UpstreamHost>;
  /** host_selection_retry_max_attempts. */
  readonly maxAttempts?: number;
  readonly random: () => number;
  /**
   * The downstream connection's original destination: an ORIGINAL_DST cluster makes (or reuses) the
   * host at that address. Callers may supply it as a getter so other clusters never compute it.
   */
  readonly originalDestination?: OriginalDestination | undefined;
}

/** A counter the hot path bumps with `value++` (the stat store's Counter). */
export interface CounterLike {
  value: number;
}

/** Envoy's cluster stats the router and tcp_proxy move (`cluster.<name>.<stat>`). */
export interface ClusterCounters {
  readonly upstream_rq_total: CounterLike;
  readonly upstream_rq_retry: CounterLike;
  readonly upstream_rq_retry_overflow: CounterLike;
  readonly upstream_rq_pending_overflow: CounterLike;
  readonly upstream_rq_timeout: CounterLike;
  readonly upstream_cx_connect_fail: CounterLike;
  readonly upstream_rq_rx_reset: CounterLike;
  readonly upstream_cx_total: CounterLike;
  readonly upstream_cx_overflow: CounterLike;
  /** tcp_proxy gave up after max_connect_attempts failed connects. */
  readonly upstream_cx_connect_attempts_exceeded: CounterLike;
}

/**
 * The cluster's upstream network filters (Cluster.filters: istio.metadata_exchange) on a fresh
 * upstream connection, before any application bytes are read from it: `ready(true)` once the socket
 * may be piped (paused, with what they did not consume put back), `ready(false)` after they closed
 * it. The socket may be written as soon as the hook returns.
 */
export type UpstreamConnectionHook = (socket: net.Socket, ready: (ok: boolean) => void) => void;

export interface UpstreamCluster {
  readonly name: string;
  chooseHost(choice: HostChoice): UpstreamHost | undefined;
  /**
   * Circuit breakers (max_requests) of the route's priority (DEFAULT when not given; HIGH routes
   * count against the cluster's HIGH thresholds): false means overflow → 503 UO.
   */
  tryStartRequest(priority?: RoutingPriority): boolean;
  finishRequest(priority?: RoutingPriority): void;
  /** max_connections, for tcp_proxy (false means overflow: the downstream connection is closed). */
  tryStartConnection(): boolean;
  finishConnection(): void;
  /** max_retries budget of the route's priority. */
  tryStartRetry(priority?: RoutingPriority): boolean;
  finishRetry(priority?: RoutingPriority): void;
  /** Records a response code for `upstream_rq_<code>` / `upstream_rq_<N>xx`. */
  recordStatus(status: number): void;
  /** Records an exchange's duration (ms, start to end of response) in the `upstream_rq_time` histogram. */
  recordRequestTime?(ms: number): void;
  readonly counters: ClusterCounters;
  /** The cluster's transport_socket (tcp_proxy connects with it); absent means plaintext. */
  readonly transport?: UpstreamTransport;
  /** upstream_bind_config.source_address: the local address upstream sockets bind to. */
  readonly sourceAddress?: string | undefined;
  /** connect_timeout (tcp_proxy's connect attempts); default 5 s. */
  readonly connectTimeoutMs?: number;
  /** upstream_connection_options.tcp_keepalive: SO_KEEPALIVE with this idle time (undefined = OS default). */
  readonly tcpKeepalive?: { readonly timeMs?: number | undefined } | undefined;
  /** Cluster.filters on tcp_proxy's upstream connections; absent when the cluster has none. */
  readonly onUpstreamConnection?: UpstreamConnectionHook | undefined;
}

export interface ClusterLookup {
  get(name: string): UpstreamCluster | undefined;
}
