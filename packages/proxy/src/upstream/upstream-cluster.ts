// What the router needs of a cluster and its hosts (the seam is the router's; the cluster manager implements it).
import type { UpstreamTransport } from '../tls/upstream-tls-context.js';
import type { ConnPool } from './conn-pool.js';

/** Where a downstream connection was headed (SO_ORIGINAL_DST or the use_original_dst hand-off). */
export interface OriginalDestination {
  readonly address: string;
  readonly port: number;
}

export interface UpstreamHost {
  readonly address: string;
  readonly port: number;
  readonly pool: ConnPool;
  /** This endpoint's transport (transport_socket_matches); the cluster's when undefined. */
  readonly transport?: UpstreamTransport;
  /** Requests in flight to this host (least-request LB reads it). */
  readonly active: number;
  /**
   * Reports how an exchange ended, for outlier detection: an HTTP status (a connection that worked,
   * for tcp_proxy 200), 0 for a connect failure or reset, -1 for a timeout (outlier-detection.ts).
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
}

export interface UpstreamCluster {
  readonly name: string;
  chooseHost(choice: HostChoice): UpstreamHost | undefined;
  /** Circuit breakers (max_requests / max_pending_requests): false means overflow → 503 UO. */
  tryStartRequest(): boolean;
  finishRequest(): void;
  /** max_connections, for tcp_proxy (false means overflow: the downstream connection is closed). */
  tryStartConnection(): boolean;
  finishConnection(): void;
  /** max_retries budget. */
  tryStartRetry(): boolean;
  finishRetry(): void;
  /** Records a response code for `upstream_rq_<code>` / `upstream_rq_<N>xx`. */
  recordStatus(status: number): void;
  readonly counters: ClusterCounters;
  /** The cluster's transport_socket (tcp_proxy connects with it); absent means plaintext. */
  readonly transport?: UpstreamTransport;
  /** upstream_bind_config.source_address: the local address upstream sockets bind to. */
  readonly sourceAddress?: string | undefined;
  /** connect_timeout (tcp_proxy's connect attempts); default 5 s. */
  readonly connectTimeoutMs?: number;
  /** upstream_connection_options.tcp_keepalive: SO_KEEPALIVE with this idle time (undefined = OS default). */
  readonly tcpKeepalive?: { readonly timeMs?: number | undefined } | undefined;
}

export interface ClusterLookup {
  get(name: string): UpstreamCluster | undefined;
}
