// The connection pool seam: what the router asks of a pool to one upstream host, the limits a pool
// enforces (the cluster's circuit breakers and protocol options) and how an exchange can fail.
import type { StatScope } from '../stats/stat-store.js';
import type { ResourceManager } from './circuit-breaker.js';
import type { CancelSignal } from './cancellation.js';

export type UpstreamProtocol = 'http1' | 'http2';

/** Envoy's default max_response_headers_kb (60 KiB); Node's own default would be 16 KiB. */
export const DEFAULT_MAX_RESPONSE_HEADERS_BYTES = 60 * 1024;

/** Envoy's default upstream idle_timeout (common_http_protocol_options.idle_timeout): 1 hour. */
export const DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS = 3_600_000;

/** The cluster stats (`cluster.<name>.`) the pools move when they close a connection of their own accord. */
export interface PoolCounters {
  /** Closed after common_http_protocol_options.idle_timeout without a request. */
  readonly upstream_cx_idle_timeout: { value: number };
  /** Drained at max_connection_duration (not counted for one already draining, as Envoy). */
  readonly upstream_cx_max_duration_reached: { value: number };
  /** Drained once it carried max_requests_per_connection requests. */
  readonly upstream_cx_max_requests: { value: number };
}

const POOL_COUNTER_NAMES = ['upstream_cx_idle_timeout', 'upstream_cx_max_duration_reached', 'upstream_cx_max_requests'] as const;

/** The pools' counters in the cluster's scope; without a scope, counters no one reads. */
export function poolCounters(scope?: StatScope): PoolCounters {
  return Object.fromEntries(POOL_COUNTER_NAMES.map((n) => [n, scope ? scope.counter(n) : { value: 0 }])) as unknown as PoolCounters;
}

export interface PoolLimits {
  readonly connectTimeoutMs: number;
  /** The cluster's circuit breakers: busy HTTP/1.1 connections and pending requests are counted there. */
  readonly resources: ResourceManager;
  /** common_http_protocol_options.max_requests_per_connection; 0 = unlimited. */
  readonly maxRequestsPerConnection?: number;
  /** upstream_bind_config.source_address: upstream sockets bind this local address. */
  readonly localAddress?: string | undefined;
  /** common_http_protocol_options.idle_timeout: a connection with no request for this long closes; 0 = never. Default 1 h. */
  readonly idleTimeoutMs?: number;
  /** common_http_protocol_options.max_connection_duration: a connection older than this drains; 0 = never. */
  readonly maxConnectionDurationMs?: number;
  /** http2_protocol_options.max_concurrent_streams: more streams open another connection. */
  readonly maxConcurrentStreams?: number;
  /** http2_protocol_options: SETTINGS and the connection window. */
  readonly http2?: { readonly headerTableSize?: number; readonly initialWindowSize?: number; readonly connectionWindowSize?: number };
  /** upstream_connection_options.tcp_keepalive: SO_KEEPALIVE with this idle time (undefined = the OS default). */
  readonly tcpKeepalive?: { readonly timeMs?: number | undefined };
  /** The largest response header block accepted (default 60 KiB, as Envoy). */
  readonly maxResponseHeadersBytes?: number;
  /** The cluster's connection-lifetime counters (the cluster passes its own; absent: uncounted). */
  readonly counters?: PoolCounters;
}

export interface UpstreamRequest {
  readonly method: string;
  /** Path with query. */
  readonly path: string;
  readonly authority: string;
  /** Lower-case names; pseudo-headers and hop-by-hop headers already removed. */
  readonly headers: Record<string, string | string[]>;
  /** The upstream answered `100 Continue` to a request that carried `Expect: 100-continue`. */
  readonly onContinue?: () => void;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: NodeJS.ReadableStream;
}

/**
 * Why an upstream exchange failed, mapped by the router to Envoy response flags (UF, UC, UT, URX...);
 * `overflow` means the circuit breakers refused it before it was sent (UO).
 */
export type UpstreamFailure = 'connect-failure' | 'reset' | 'refused-stream' | 'timeout' | 'overflow';

export class UpstreamError extends Error {
  constructor(
    readonly failure: UpstreamFailure,
    message: string,
    /** The request never left the pool's queue (a timeout while pending): the host saw nothing of it. */
    readonly queued = false,
  ) {
    super(message);
  }
}

export interface ConnPool {
  readonly protocol: UpstreamProtocol;
  /**
   * Sends the request head and pipes `body` (if any) up; resolves on the response head.
   * `downstreamProtocol` is the downstream request's protocol: a use_downstream_protocol_config
   * cluster sends with it; other pools ignore it.
   */
  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: CancelSignal, downstreamProtocol?: UpstreamProtocol): Promise<UpstreamResponse>;
  /** Connections currently open (for upstream_cx_active). */
  activeConnections(): number;
  /**
   * The host left the cluster (EDS, DNS) or its cluster was replaced: idle connections close now,
   * busy ones after the exchange in flight (HTTP/1.1 without keep-alive, HTTP/2 GOAWAY).
   */
  drain(): void;
  /** Closes every connection now, exchanges in flight included (shutdown). */
  close(): void;
}

export function classify(e: NodeJS.ErrnoException): UpstreamFailure {
  if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' || e.code === 'ETIMEDOUT' || e.code === 'ECONNECT_TIMEOUT') return 'connect-failure';
  if (e.code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(e.message)) return 'refused-stream';
  return 'reset';
}
