// HTTP/1.1 keep-alive pool to one upstream host on raw net/tls sockets (http1-connection.ts drives
// Node's llhttp on each): one request per connection at a time, idle connections reused last in,
// first out, closed after idle_timeout, retired after max_connection_duration or
// max_requests_per_connection, response heads up to 60 KiB (Envoy's limit, not Node's 16 KiB).
import net from 'node:net';
import tls from 'node:tls';
import { appendHeaderLines } from '../http/h1/header-block.js';
import { BodyFraming, Http1Connection, type ConnectionOwner, type Outgoing } from './http1-connection.js';
import { DEFAULT_MAX_RESPONSE_HEADERS_BYTES, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, poolCounters, UpstreamError, type ConnPool, type PoolCounters, type PoolLimits, type UpstreamRequest, type UpstreamResponse } from './pool-types.js';
import type { CancelSignal } from './cancellation.js';

/** Methods whose header-only request node:http sent with `content-length: 0` (kept, as upstreams may expect it). */
const NO_BODY_BY_DEFAULT = new Set(['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);
/** A request-target or method that would split the request line (node:http's check, and a token check). */
const INVALID_TARGET = /[^\x21-\x7e\x80-\xff]/;
const METHOD = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const INVALID_AUTHORITY = /[^\t\x20-\x7e\x80-\xff]/;

/** The request head in one string: request line, host, the request's headers, and its body framing. */
function requestHead(req: UpstreamRequest, framing: BodyFraming): string {
  if (!METHOD.test(req.method)) throw new Error(`invalid method "${req.method}"`);
  if (INVALID_TARGET.test(req.path)) throw new Error('request path contains unescaped characters');
  if (INVALID_AUTHORITY.test(req.authority)) throw new Error('invalid value for header "host"');
  let headers = req.headers;
  // The pool writes host and the body framing itself.
  if (headers.host !== undefined || (framing === BodyFraming.Chunked && headers['transfer-encoding'] !== undefined)) {
    headers = { ...headers };
    delete headers.host;
    delete headers['transfer-encoding'];
  }
  let head = appendHeaderLines(`${req.method} ${req.path} HTTP/1.1\r\nhost: ${req.authority}\r\n`, headers);
  if (framing === BodyFraming.Chunked) head += 'transfer-encoding: chunked\r\n';
  else if (framing === BodyFraming.None && headers['content-length'] === undefined && !NO_BODY_BY_DEFAULT.has(req.method)) head += 'content-length: 0\r\n';
  return `${head}\r\n`;
}

/** The request's content-length as a number (Length framing): the body must be exactly this long. */
function declaredLength(cl: string | string[]): number {
  const length = Number(Array.isArray(cl) ? cl[0] : cl);
  if (!Number.isSafeInteger(length) || length < 0) throw new Error(`invalid content-length "${String(cl)}"`);
  return length;
}

/** `connection: close` on the request: the upstream closes after answering it. */
function asksClose(req: UpstreamRequest): boolean {
  const c = req.headers.connection;
  return c !== undefined && /(^|,)\s*close\s*(,|$)/i.test(Array.isArray(c) ? c.join(',') : c);
}

/**
 * A busy connection is an in-flight request. The cluster-wide `connections` resource bounds them
 * (idle keep-alive sockets are not counted, so a cluster of several hosts may hold a few more open
 * sockets than max_connections).
 */
export class Http1Pool implements ConnPool, ConnectionOwner {
  readonly protocol = 'http1' as const;
  /** Idle connections in the order they went idle: the most recently used last. */
  private readonly free: Http1Connection[] = [];
  private readonly all = new Set<Http1Connection>();
  private draining = false;
  private readonly counters: PoolCounters;
  private readonly idleTimeoutMs: number;
  private readonly maxHeaderSize: number;
  private idleTimer: NodeJS.Timeout | undefined;
  /** The last TLS session, resumed by the next connection (as https.Agent did). */
  private tlsSession: Buffer | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly limits: PoolLimits,
    /** Upstream TLS (the cluster's UpstreamTlsContext: SNI, ALPN, validation), given to tls.connect as is; transportFor reads it. */
    readonly tlsOptions?: tls.ConnectionOptions,
  ) {
    this.counters = limits.counters ?? poolCounters();
    this.idleTimeoutMs = limits.idleTimeoutMs ?? DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS;
    this.maxHeaderSize = limits.maxResponseHeadersBytes ?? DEFAULT_MAX_RESPONSE_HEADERS_BYTES;
  }

  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: CancelSignal): Promise<UpstreamResponse> {
    const { connections, pendingRequests } = this.limits.resources;
    if (connections.tryAcquire()) return this.send(req, body, signal, true);
    // Envoy opens one connection to a host with none even past max_connections (other hosts, or other
    // workers, hold the units), so its pending requests can always be served.
    if (this.all.size === 0) return this.send(req, body, signal, false);
    if (!pendingRequests.tryAcquire()) return Promise.reject(new UpstreamError('overflow', 'pending requests overflow'));
    return this.queue(req, body, signal);
  }

  private async queue(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: CancelSignal): Promise<UpstreamResponse> {
    const granted = await this.limits.resources.connections.wait(signal);
    this.limits.resources.pendingRequests.release();
    // Timed out in the queue: the host was never asked (outlier detection is not told).
    if (!granted) throw new UpstreamError('timeout', 'upstream request timeout', true);
    return this.send(req, body, signal, true);
  }

  /** Sends on the most recently used idle connection, else on a new one; `holdsUnit`: the caller took a `connections` unit. */
  private send(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: CancelSignal, holdsUnit: boolean): Promise<UpstreamResponse> {
    const { resources } = this.limits;
    let head: string;
    let out: Outgoing;
    try {
      const cl = body ? req.headers['content-length'] : undefined;
      const framing = !body ? BodyFraming.None : cl === undefined ? BodyFraming.Chunked : BodyFraming.Length;
      head = requestHead(req, framing);
      out = { body, framing, length: cl === undefined ? 0 : declaredLength(cl), noResponseBody: req.method === 'HEAD', close: asksClose(req), onContinue: req.onContinue };
    } catch (e) {
      if (holdsUnit) resources.connections.release();
      return Promise.reject(new UpstreamError('reset', (e as Error).message));
    }
    if (signal.aborted) {
      if (holdsUnit) resources.connections.release();
      return Promise.reject(new UpstreamError('timeout', 'upstream request timeout'));
    }
    let c = this.free.pop();
    while (c && !c.usable) c = this.free.pop();
    if (!c) {
      try {
        c = this.open();
      } catch (e) {
        // Options net/tls refuse at once (a bad port, unusable TLS material): nothing was sent.
        if (holdsUnit) resources.connections.release();
        return Promise.reject(new UpstreamError('connect-failure', (e as Error).message));
      }
    }
    this.countUse(c);
    return c.send(head, out, signal, holdsUnit);
  }

  /** The request that uses up max_requests_per_connection closes its connection after the response, as Envoy drains it. */
  private countUse(c: Http1Connection): void {
    if (this.draining) c.retiring = true;
    if (c.retiring) return;
    const max = this.limits.maxRequestsPerConnection ?? 0;
    if (max <= 0 || c.uses + 1 < max) return;
    c.retiring = true;
    this.counters.upstream_cx_max_requests.value++;
  }

  private open(): Http1Connection {
    const { host, port, limits } = this;
    const local = limits.localAddress ? { localAddress: limits.localAddress } : {};
    const tlsOptions = this.tlsOptions;
    let socket: net.Socket;
    if (tlsOptions) {
      const s = tls.connect({ ...tlsOptions, ...local, host, port, ...(this.tlsSession ? { session: this.tlsSession } : {}) });
      s.setNoDelay(true);
      s.on('session', (session: Buffer) => (this.tlsSession = session));
      // A session that failed is not offered again.
      s.once('close', (hadError) => {
        if (hadError) this.tlsSession = undefined;
      });
      socket = s;
    } else {
      socket = net.connect({ ...local, host, port, noDelay: true });
    }
    if (limits.tcpKeepalive) socket.setKeepAlive(true, limits.tcpKeepalive.timeMs ?? 0);
    const c = new Http1Connection(socket, this, tlsOptions !== undefined, limits.connectTimeoutMs, this.maxHeaderSize);
    this.all.add(c);
    const duration = limits.maxConnectionDurationMs ?? 0;
    if (duration > 0) c.durationTimer = setTimeout(expireConnection, duration, this, c).unref();
    return c;
  }

  /** max_connection_duration: a busy connection closes once its response ends, an idle one now. */
  expire(c: Http1Connection): void {
    // One already draining (pool drain, max_requests_per_connection) is not counted, as in Envoy.
    if (this.draining || c.retiring || c.closed) return;
    this.counters.upstream_cx_max_duration_reached.value++;
    c.retiring = true;
    if (!c.busy) this.dropIdle(c);
  }

  private dropIdle(c: Http1Connection): void {
    const i = this.free.lastIndexOf(c);
    if (i >= 0) this.free.splice(i, 1);
    c.socket.destroy();
  }

  exchangeDone(c: Http1Connection, holdsUnit: boolean, reusable: boolean): void {
    if (!reusable || this.draining || c.retiring) c.socket.destroy();
    else {
      // An idle socket keeps nothing alive (as node:http's agent).
      c.socket.unref();
      c.idleSince = Date.now();
      this.free.push(c);
      this.armIdleTimer();
    }
    // After the free list: a waiter handed this unit takes the connection just freed.
    if (holdsUnit) this.limits.resources.connections.release();
  }

  closed(c: Http1Connection): void {
    clearTimeout(c.durationTimer);
    this.all.delete(c);
    this.dropIdle(c);
  }

  /**
   * idle_timeout: one timer for the pool, at the oldest idle connection's deadline; it closes every
   * connection idle for that long (upstream_cx_idle_timeout) and re-arms for the next.
   */
  private armIdleTimer(): void {
    if (this.idleTimeoutMs <= 0 || this.idleTimer) return;
    const oldest = this.free[0];
    if (!oldest) return;
    const due = oldest.idleSince + this.idleTimeoutMs - Date.now();
    this.idleTimer = setTimeout(sweepIdle, Math.max(1, due), this).unref();
  }

  sweepIdle(): void {
    this.idleTimer = undefined;
    const now = Date.now();
    // free[] is ordered by the time each went idle: the expired ones are at its start.
    for (let c = this.free[0]; c && now - c.idleSince >= this.idleTimeoutMs; c = this.free[0]) {
      this.free.shift();
      this.counters.upstream_cx_idle_timeout.value++;
      c.socket.destroy();
    }
    this.armIdleTimer();
  }

  activeConnections(): number {
    return this.all.size;
  }

  drain(): void {
    this.draining = true;
    for (const c of this.free.splice(0)) c.socket.destroy();
    // A busy connection closes once its response ends instead of going back to the free list.
    for (const c of this.all) c.retiring = true;
  }

  close(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.free.length = 0;
    for (const c of this.all) c.socket.destroy();
  }
}

function expireConnection(pool: Http1Pool, c: Http1Connection): void {
  pool.expire(c);
}

function sweepIdle(pool: Http1Pool): void {
  pool.sweepIdle();
}
