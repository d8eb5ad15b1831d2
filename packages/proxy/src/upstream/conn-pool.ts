// Connection pools to one upstream host: HTTP/1.1 keep-alive (http1-pool.ts), multiplexed HTTP/2
// (http2-pool.ts), or the protocol of each downstream request (use_downstream_protocol_config).
// Requests never open a connection of their own. A request that finds every allowed connection
// busy waits as a pending request, if the cluster's max_pending_requests allows, else fails with
// `overflow` (Envoy's UO).
import { PLAINTEXT, type UpstreamTransport } from '../tls/upstream-tls-context.js';
import { Http1Pool } from './http1-pool.js';
import { Http2Pool } from './http2-pool.js';
import { UpstreamError, type ConnPool, type PoolLimits, type UpstreamProtocol, type UpstreamRequest, type UpstreamResponse } from './pool-types.js';

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
    private readonly reason: string,
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

  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal, downstreamProtocol?: UpstreamProtocol): Promise<UpstreamResponse> {
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
