// Connection pools to one upstream host: HTTP/1.1 keep-alive (http1-pool.ts), multiplexed HTTP/2
// (http2-pool.ts), or the protocol of each downstream request (use_downstream_protocol_config).
// Requests never open a connection of their own. A request that finds every allowed connection
// busy waits as a pending request, if the cluster's max_pending_requests allows, else fails with
// `overflow` (Envoy's UO). A host's pools are keyed as Envoy keys them (HostPools): by the route's
// priority (each with its own circuit breakers) and by the ALPN list the stream asks for.
import type tls from 'node:tls';
import { PLAINTEXT, withAlpnOverride, type UpstreamTransport } from '../tls/upstream-tls-context.js';
import type { ResourceManager, RoutingPriority } from './circuit-breaker.js';
import { Http1Pool } from './http1-pool.js';
import { Http2Pool } from './http2-pool.js';
import { UpstreamError, type ConnPool, type PoolLimits, type UpstreamProtocol, type UpstreamRequest, type UpstreamResponse } from './pool-types.js';
import type { CancelSignal } from './cancellation.js';

export { Http1Pool } from './http1-pool.js';
export { Http2Pool } from './http2-pool.js';
export { UpstreamError } from './pool-types.js';
export type { ConnPool, PoolLimits, UpstreamFailure, UpstreamProtocol, UpstreamRequest, UpstreamResponse } from './pool-types.js';

/**
 * A pool for a cluster whose TLS context cannot be used yet (SDS-named secrets): every request fails
 * as a connect failure (503 UF) with the reason, and no connection is ever opened.
 */
export class UnavailablePool implements ConnPool {
  constructor(
    readonly protocol: UpstreamProtocol,
    readonly reason: string,
  ) {}

  request(): Promise<UpstreamResponse> {
    return Promise.reject(new UpstreamError('connect-failure', this.reason));
  }

  activeConnections(): number {
    return 0;
  }

  drain(): void {
    // Nothing was ever opened.
  }

  close(): void {
    // Nothing was ever opened.
  }
}

/**
 * use_downstream_protocol_config (and the deprecated protocol_selection USE_DOWNSTREAM_PROTOCOL):
 * an HTTP/1.1 downstream request goes up over HTTP/1.1, an HTTP/2 one over HTTP/2, each through its
 * own pool, made on first use. A caller that does not say the downstream protocol gets HTTP/1.1.
 */
export class DownstreamProtocolPool implements ConnPool {
  readonly protocol = 'http1' as const;
  private h1: ConnPool | undefined;
  private h2: ConnPool | undefined;

  constructor(private readonly make: (protocol: UpstreamProtocol) => ConnPool) {}

  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: CancelSignal, downstreamProtocol?: UpstreamProtocol): Promise<UpstreamResponse> {
    const pool = downstreamProtocol === 'http2' ? (this.h2 ??= this.make('http2')) : (this.h1 ??= this.make('http1'));
    return pool.request(req, body, signal);
  }

  activeConnections(): number {
    return (this.h1?.activeConnections() ?? 0) + (this.h2?.activeConnections() ?? 0);
  }

  drain(): void {
    this.h1?.drain();
    this.h2?.drain();
  }

  close(): void {
    this.h1?.close();
    this.h2?.close();
  }
}

/** How a cluster reaches its hosts: one protocol, or whichever the downstream request used. */
export type PoolProtocol = UpstreamProtocol | 'downstream';

export function createPool(protocol: PoolProtocol, host: string, port: number, limits: PoolLimits, transport: UpstreamTransport = PLAINTEXT): ConnPool {
  if (protocol === 'downstream') return new DownstreamProtocolPool((p) => createPool(p, host, port, limits, transport));
  if (transport.kind === 'unavailable') return new UnavailablePool(protocol, transport.reason);
  const tlsOptions = transport.kind === 'tls' ? transport.options : undefined;
  return protocol === 'http2' ? new Http2Pool(host, port, limits, tlsOptions) : new Http1Pool(host, port, limits, tlsOptions);
}

/**
 * What a host's connection pools are keyed by beyond the host (Envoy's pool hash key): the route's
 * priority, whose circuit breakers the pool counts against, and the ALPN list that filter state
 * (istio.alpn) asks upstream TLS to offer.
 */
export interface PoolKey {
  readonly priority: RoutingPriority;
  /** istio.alpn's override; undefined = the TLS context's own alpn_protocols. */
  readonly alpn?: readonly string[] | undefined;
}

export const DEFAULT_POOL_KEY: PoolKey = { priority: 'DEFAULT' };

/**
 * All pools to one host: the DEFAULT one (made at once, and what `request` uses) and one per other
 * key, made on first use. Plaintext never negotiates ALPN, so there only the priority separates
 * pools; over TLS two streams that offer different ALPN lists never share a connection.
 */
export class HostPools implements ConnPool {
  private readonly pools = new Map<string, ConnPool>();
  private readonly base: ConnPool;
  private state: 'open' | 'draining' | 'closed' = 'open';

  constructor(
    private readonly transport: UpstreamTransport,
    private readonly make: (key: PoolKey, transport: UpstreamTransport) => ConnPool,
  ) {
    this.base = make(DEFAULT_POOL_KEY, transport);
    this.pools.set(this.keyOf(DEFAULT_POOL_KEY), this.base);
  }

  get protocol(): UpstreamProtocol {
    return this.base.protocol;
  }

  private keyOf(key: PoolKey): string {
    const alpn = this.transport.kind === 'tls' && key.alpn && key.alpn.length > 0 ? key.alpn.join('\0') : '';
    return `${key.priority}|${alpn}`;
  }

  /** The transport a key's pool connects with (the ALPN override applied). */
  transportFor(key: PoolKey): UpstreamTransport {
    return withAlpnOverride(this.transport, key.alpn);
  }

  /** The pool for `key`; a host that is draining or closed still answers, with a pool that is too. */
  for(key: PoolKey): ConnPool {
    if (key === DEFAULT_POOL_KEY) return this.base;
    const k = this.keyOf(key);
    let pool = this.pools.get(k);
    if (!pool) {
      this.pools.set(k, (pool = this.make(key, this.transportFor(key))));
      if (this.state === 'draining') pool.drain();
      else if (this.state === 'closed') pool.close();
    }
    return pool;
  }

  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: CancelSignal, downstreamProtocol?: UpstreamProtocol): Promise<UpstreamResponse> {
    return this.base.request(req, body, signal, downstreamProtocol);
  }

  activeConnections(): number {
    let n = 0;
    for (const p of this.pools.values()) n += p.activeConnections();
    return n;
  }

  drain(): void {
    if (this.state === 'open') this.state = 'draining';
    for (const p of this.pools.values()) p.drain();
  }

  close(): void {
    this.state = 'closed';
    for (const p of this.pools.values()) p.close();
  }
}

/**
 * A host's pools: DEFAULT-priority pools count against `limits.resources`, HIGH ones against `high`
 * (the cluster's HIGH circuit breakers; without it, HIGH shares DEFAULT's).
 */
export function createHostPools(protocol: PoolProtocol, host: string, port: number, limits: PoolLimits, transport: UpstreamTransport = PLAINTEXT, high?: ResourceManager): HostPools {
  const highLimits: PoolLimits = high ? { ...limits, resources: high } : limits;
  return new HostPools(transport, (key, t) => createPool(protocol, host, port, key.priority === 'HIGH' ? highLimits : limits, t));
}

/** The pool a stream with this key uses: a HostPools' own, else the one pool there is. */
export function poolFor(pool: ConnPool, key: PoolKey): ConnPool {
  return pool instanceof HostPools ? pool.for(key) : pool;
}

/** How a dedicated connection (an upgrade) to this host must connect: its pool's transport for the key. */
export function transportFor(pool: ConnPool, key: PoolKey): UpstreamTransport {
  if (pool instanceof HostPools) return pool.transportFor(key);
  if (pool instanceof UnavailablePool) return { kind: 'unavailable', reason: pool.reason };
  const options = (pool as { readonly tlsOptions?: tls.ConnectionOptions }).tlsOptions;
  return options ? { kind: 'tls', options } : PLAINTEXT;
}
