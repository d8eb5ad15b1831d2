// Connection pools to one upstream host: HTTP/1.1 keep-alive (an http.Agent per host) or one
// multiplexed HTTP/2 session per host, reconnected when it goes away. Requests never open a
// connection of their own. A request that finds every allowed connection busy waits as a pending
// request, if the cluster's max_pending_requests allows, else fails with `overflow` (Envoy's UO).
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import net from 'node:net';
import { PLAINTEXT, type UpstreamTransport } from '../tls/upstream-tls-context.js';
import type { ResourceManager } from './circuit-breaker.js';

export type UpstreamProtocol = 'http1' | 'http2';

export interface PoolLimits {
  readonly connectTimeoutMs: number;
  /** The cluster's circuit breakers: busy HTTP/1.1 connections and pending requests are counted there. */
  readonly resources: ResourceManager;
  /** common_http_protocol_options.max_requests_per_connection; 0 = unlimited. */
  readonly maxRequestsPerConnection?: number;
  /** upstream_bind_config.source_address: upstream sockets bind this local address. */
  readonly localAddress?: string | undefined;
}

export interface UpstreamRequest {
  readonly method: string;
  /** Path with query. */
  readonly path: string;
  readonly authority: string;
  /** Lower-case names; pseudo-headers and hop-by-hop headers already removed. */
  readonly headers: Record<string, string | string[]>;
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
  ) {
    super(message);
  }
}

export interface ConnPool {
  readonly protocol: UpstreamProtocol;
  /** Sends the request head and pipes `body` (if any) up; resolves on the response head. */
  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal): Promise<UpstreamResponse>;
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

function classify(e: NodeJS.ErrnoException): UpstreamFailure {
  if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' || e.code === 'ETIMEDOUT' || e.code === 'ECONNECT_TIMEOUT') return 'connect-failure';
  if (e.code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(e.message)) return 'refused-stream';
  return 'reset';
}

/**
 * HTTP/1.1: one request per connection at a time, so a busy connection is an in-flight request. The
 * cluster-wide `connections` resource bounds them (idle keep-alive sockets are not counted, so a
 * cluster of several hosts may hold a few more open sockets than max_connections).
 */
export class Http1Pool implements ConnPool {
  readonly protocol = 'http1' as const;
  private readonly agent: http.Agent;
  /** Requests sent on each socket, for max_requests_per_connection. */
  private readonly uses = new WeakMap<net.Socket, number>();
  private draining = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly limits: PoolLimits,
    /** Upstream TLS (the cluster's UpstreamTlsContext): an https.Agent with these options. */
    private readonly tlsOptions?: tls.ConnectionOptions,
  ) {
    const agentOptions: http.AgentOptions = { keepAlive: true, maxSockets: limits.resources.connections.max, scheduling: 'lifo', ...(limits.localAddress ? { localAddress: limits.localAddress } : {}) };
    this.agent = tlsOptions ? new https.Agent({ ...agentOptions, ...tlsOptions }) : new http.Agent(agentOptions);
  }

  async request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal): Promise<UpstreamResponse> {
    const { connections, pendingRequests } = this.limits.resources;
    if (!connections.tryAcquire()) {
      if (!pendingRequests.tryAcquire()) throw new UpstreamError('overflow', 'pending requests overflow');
      const granted = await connections.wait(signal);
      pendingRequests.release();
      if (!granted) throw new UpstreamError('timeout', 'upstream request timeout');
    }
    return this.send(req, body, signal);
  }

  /** Sends on a connection the caller holds a `connections` unit for; the unit goes back when the exchange ends. */
  private send(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const r = (this.tlsOptions ? https : http).request({
        host: this.host,
        port: this.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, host: req.authority },
        agent: this.agent,
        signal,
        timeout: this.limits.connectTimeoutMs,
      });
      r.once('close', () => this.limits.resources.connections.release());
      let connected = false;
      r.on('socket', (s) => {
        this.countUse(r, s);
        // A reused socket is connected (and past its TLS handshake); a new TLS one is up once the
        // handshake is done, so a handshake failure is a connect failure (UF), as in Envoy.
        if (!s.connecting) connected = true;
        else s.once(this.tlsOptions ? 'secureConnect' : 'connect', () => (connected = true));
      });
      r.on('timeout', () => {
        if (!connected) r.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' }));
      });
      r.on('response', (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res }));
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (signal.aborted) reject(new UpstreamError('timeout', 'upstream request timeout'));
        else reject(new UpstreamError(connected ? 'reset' : this.tlsOptions ? 'connect-failure' : classify(e), e.message));
      });
      if (body) body.pipe(r);
      else r.end();
    });
  }

  /**
   * The request that uses up a socket's max_requests_per_connection closes it after its response
   * (the agent then drops the socket instead of reusing it), as Envoy drains such a connection.
   */
  private countUse(r: http.ClientRequest, s: net.Socket): void {
    if (this.draining) {
      r.shouldKeepAlive = false;
      return;
    }
    const max = this.limits.maxRequestsPerConnection ?? 0;
    if (max <= 0) return;
    const n = (this.uses.get(s) ?? 0) + 1;
    this.uses.set(s, n);
    if (n >= max) r.shouldKeepAlive = false;
  }

  activeConnections(): number {
    const count = (m: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
    return count(this.agent.sockets) + count(this.agent.freeSockets);
  }

  drain(): void {
    this.draining = true;
    for (const list of Object.values(this.agent.freeSockets)) for (const s of list ?? []) s.destroy();
    // A busy socket closes once its response ends instead of going back to the free list.
    for (const list of Object.values(this.agent.sockets)) {
      for (const s of list ?? []) {
        const r = (s as net.Socket & { _httpMessage?: http.ClientRequest | null })._httpMessage;
        if (r) r.shouldKeepAlive = false;
      }
    }
  }

  close(): void {
    this.agent.destroy();
  }
}

export class Http2Pool implements ConnPool {
  readonly protocol = 'http2' as const;
  private session: http2.ClientHttp2Session | undefined;
  /** Pending-request units taken by requests that arrived while a session was connecting. */
  private readonly pendingOnConnect = new WeakMap<http2.ClientHttp2Session, number>();
  private draining = false;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly limits: PoolLimits,
    /** Upstream TLS: the session runs over tls.connect with exactly these options (SNI and ALPN as configured). */
    private readonly tlsOptions?: tls.ConnectionOptions,
  ) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const authority = `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
    const tlsOptions = this.tlsOptions;
    // createConnection, not http2's own TLS setup, which would replace the configured ALPN and SNI.
    const localAddress = this.limits.localAddress ? { localAddress: this.limits.localAddress } : {};
    const s = tlsOptions
      ? http2.connect(`https://${authority}`, { createConnection: () => tls.connect({ ...tlsOptions, ...localAddress, host: this.host, port: this.port }) })
      : this.limits.localAddress
        ? http2.connect(`http://${authority}`, { createConnection: () => net.connect({ ...localAddress, host: this.host, port: this.port }) })
        : http2.connect(`http://${authority}`);
    s.on('error', () => undefined); // surfaced on the streams; the session is replaced on next use
    // One connect timer and one pending release per session, not per request: listeners added for
    // every request on a long-lived session would never fire and would pile up.
    const connectTimer = setTimeout(() => s.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' })), this.limits.connectTimeoutMs);
    const settled = () => {
      clearTimeout(connectTimer);
      for (let n = this.pendingOnConnect.get(s) ?? 0; n > 0; n--) this.limits.resources.pendingRequests.release();
      this.pendingOnConnect.delete(s);
    };
    s.once('connect', settled);
    s.on('close', () => {
      settled();
      if (this.session === s) this.session = undefined;
    });
    s.setTimeout(0);
    this.session = s;
    return s;
  }

  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const session = this.connect();
      // Streams are multiplexed, so a request only waits (is pending) while the session connects.
      if (session.connecting) {
        if (!this.limits.resources.pendingRequests.tryAcquire()) return reject(new UpstreamError('overflow', 'pending requests overflow'));
        this.pendingOnConnect.set(session, (this.pendingOnConnect.get(session) ?? 0) + 1);
      }
      const wasConnected = !session.connecting;
      const stream = session.request(
        { ...req.headers, ':method': req.method, ':path': req.path, ':authority': req.authority, ':scheme': this.tlsOptions ? 'https' : 'http' },
        { signal, endStream: !body },
      );
      stream.on('response', (headers) => {
        const status = Number(headers[':status'] ?? 502);
        const out: Record<string, string | string[] | undefined> = {};
        for (const [k, v] of Object.entries(headers)) if (!k.startsWith(':')) out[k] = v as string | string[] | undefined;
        resolve({ status, headers: out, body: stream });
      });
      stream.on('error', (e: NodeJS.ErrnoException) => {
        if (signal.aborted) reject(new UpstreamError('timeout', 'upstream request timeout'));
        else reject(new UpstreamError(wasConnected || !session.connecting ? classify(e) : 'connect-failure', e.message));
      });
      if (body) body.pipe(stream);
      // A request that chose this host just before it left: its session closes once the stream ends.
      if (this.draining) session.close();
    });
  }

  activeConnections(): number {
    return this.session && !this.session.destroyed ? 1 : 0;
  }

  drain(): void {
    this.draining = true;
    // GOAWAY: open streams finish, then the session closes.
    this.session?.close();
  }

  close(): void {
    this.session?.destroy();
  }
}

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

export function createPool(protocol: UpstreamProtocol, host: string, port: number, limits: PoolLimits, transport: UpstreamTransport = PLAINTEXT): ConnPool {
  if (transport.kind === 'unavailable') return new UnavailablePool(protocol, transport.reason);
  const tlsOptions = transport.kind === 'tls' ? transport.options : undefined;
  return protocol === 'http2' ? new Http2Pool(host, port, limits, tlsOptions) : new Http1Pool(host, port, limits, tlsOptions);
}
