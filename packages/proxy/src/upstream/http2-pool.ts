// HTTP/2 pool to one upstream host: streams are multiplexed over as few sessions as
// max_concurrent_streams (and the peer's SETTINGS) allow; a request that finds every session full
// opens another one, within max_connections, else waits as a pending request (Envoy's
// ConnPoolImplBase). Sessions close after idle_timeout without streams, drain after
// max_connection_duration or max_requests_per_connection streams.
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { classify, DEFAULT_MAX_RESPONSE_HEADERS_BYTES, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, poolCounters, UpstreamError, type ConnPool, type PoolCounters, type PoolLimits, type UpstreamRequest, type UpstreamResponse } from './pool-types.js';
import { abortError, type CancelSignal } from './cancellation.js';

/** Envoy's default http2_protocol_options.max_concurrent_streams. */
const DEFAULT_MAX_CONCURRENT_STREAMS = 2_147_483_647;

/** One session and what the pool knows of it. */
export class PooledSession {
  streams = 0;
  /** Streams ever started on it, for max_requests_per_connection. */
  started = 0;
  /** GOAWAY sent (drain, duration, request limit): no new streams. */
  draining = false;
  /** Pending-request units of requests that arrived while it connected. */
  pendingOnConnect = 0;
  idleTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly session: http2.ClientHttp2Session,
    /** Whether it holds a unit of the cluster's max_connections. */
    readonly holdsConnection: boolean,
  ) {}

  get usable(): boolean {
    return !this.draining && !this.session.closed && !this.session.destroyed;
  }
}

interface Waiter {
  readonly grant: (s: PooledSession) => void;
  readonly signal: CancelSignal;
}

export class Http2Pool implements ConnPool {
  readonly protocol = 'http2' as const;
  readonly sessions: PooledSession[] = [];
  /** Requests waiting for a stream slot (each holds a pending-request unit). */
  private readonly waiters: Waiter[] = [];
  private draining = false;
  private readonly counters: PoolCounters;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly limits: PoolLimits,
    /** Upstream TLS: the session runs over tls.connect with exactly these options (SNI and ALPN as configured). */
    private readonly tlsOptions?: tls.ConnectionOptions,
  ) {
    this.counters = limits.counters ?? poolCounters();
  }

  /** Streams a session takes: max_concurrent_streams, or less if the peer's SETTINGS say so. */
  private capacity(s: PooledSession): number {
    const local = this.limits.maxConcurrentStreams ?? DEFAULT_MAX_CONCURRENT_STREAMS;
    const remote = s.session.connecting ? undefined : s.session.remoteSettings?.maxConcurrentStreams;
    return Math.min(local, remote ?? local);
  }

  private open(holdsConnection: boolean): PooledSession {
    const authority = `${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`;
    const tlsOptions = this.tlsOptions;
    const localAddress = this.limits.localAddress ? { localAddress: this.limits.localAddress } : {};
    const h2 = this.limits.http2;
    const options: http2.ClientSessionOptions = {
      maxHeaderListPairs: 2000,
      settings: {
        maxHeaderListSize: this.limits.maxResponseHeadersBytes ?? DEFAULT_MAX_RESPONSE_HEADERS_BYTES,
        ...(h2?.headerTableSize !== undefined ? { headerTableSize: h2.headerTableSize } : {}),
        ...(h2?.initialWindowSize !== undefined ? { initialWindowSize: h2.initialWindowSize } : {}),
      },
    };
    const keepalive = this.limits.tcpKeepalive;
    const withKeepalive = <T extends net.Socket>(socket: T): T => (keepalive ? socket.setKeepAlive(true, keepalive.timeMs ?? 0) : socket);
    // createConnection, not http2's own TLS setup, which would replace the configured ALPN and SNI.
    const s = tlsOptions
      ? http2.connect(`https://${authority}`, { ...options, createConnection: () => withKeepalive(tls.connect({ ...tlsOptions, ...localAddress, host: this.host, port: this.port })) })
      : http2.connect(`http://${authority}`, { ...options, createConnection: () => withKeepalive(net.connect({ ...localAddress, host: this.host, port: this.port })) });
    const pooled = new PooledSession(s, holdsConnection);
    s.on('error', () => undefined); // surfaced on the streams; the session is replaced on next use
    // One connect timer and one pending release per session, not per request.
    const connectTimer = setTimeout(() => s.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' })), this.limits.connectTimeoutMs);
    const settled = () => {
      clearTimeout(connectTimer);
      for (; pooled.pendingOnConnect > 0; pooled.pendingOnConnect--) this.limits.resources.pendingRequests.release();
    };
    s.once('connect', () => {
      settled();
      if (h2?.connectionWindowSize !== undefined) s.setLocalWindowSize(h2.connectionWindowSize);
    });
    const duration = this.limits.maxConnectionDurationMs ?? 0;
    const durationTimer = duration > 0 ? setTimeout(() => this.retire(pooled, this.counters.upstream_cx_max_duration_reached), duration).unref() : undefined;
    s.on('close', () => {
      settled();
      clearTimeout(durationTimer);
      clearTimeout(pooled.idleTimer);
      const i = this.sessions.indexOf(pooled);
      if (i >= 0) this.sessions.splice(i, 1);
      if (holdsConnection) this.limits.resources.connections.release();
      this.serveWaiters();
    });
    // The peer's SETTINGS may allow more streams than assumed while connecting.
    s.on('remoteSettings', () => this.serveWaiters());
    s.setTimeout(0);
    this.sessions.push(pooled);
    return pooled;
  }

  /**
   * GOAWAY: the streams in flight finish, no new ones start, then the session closes. `reason`
   * counts why (max duration, max requests), once per session: one already draining is not counted.
   * `last`, a stream just requested: nghttp2 sends the GOAWAY before that stream's HEADERS, and a
   * peer that answers a GOAWAY with its own (Node's server does) then refuses the stream it has not
   * seen yet (REFUSED_STREAM). So the GOAWAY waits until the peer has answered that stream.
   */
  private retire(s: PooledSession, reason?: { value: number }, last?: http2.ClientHttp2Stream): void {
    if (reason && !s.draining && !this.draining) reason.value++;
    s.draining = true;
    const close = () => s.session.close();
    if (!last) return close();
    last.once('response', close);
    last.once('close', close);
  }

  /** A session with a free stream slot, a new one if the circuit breakers allow, else undefined. */
  private sessionFor(): PooledSession | undefined {
    for (const s of this.sessions) if (s.usable && s.streams < this.capacity(s)) return s;
    const { connections } = this.limits.resources;
    if (connections.tryAcquire()) return this.open(true);
    // Envoy opens one connection to a host with none even past max_connections, so its pending
    // requests can always be served.
    if (!this.sessions.some((s) => s.usable)) return this.open(false);
    return undefined;
  }

  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: CancelSignal): Promise<UpstreamResponse> {
    const s = this.sessionFor();
    if (s) return this.send(s, req, body, signal);
    const { pendingRequests } = this.limits.resources;
    if (!pendingRequests.tryAcquire()) return Promise.reject(new UpstreamError('overflow', 'pending requests overflow'));
    return new Promise<PooledSession>((resolve, reject) => {
      const waiter: Waiter = {
        signal,
        grant: (granted) => {
          signal.removeEventListener('abort', onAbort);
          pendingRequests.release();
          resolve(granted);
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        pendingRequests.release();
        // Timed out in the queue: the host was never asked (outlier detection is not told).
        reject(new UpstreamError('timeout', 'upstream request timeout', true));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    }).then((granted) => this.send(granted, req, body, signal, true));
  }

  /** Hands freed stream slots (or new sessions) to waiting requests, oldest first. */
  private serveWaiters(): void {
    while (this.waiters.length > 0) {
      const s = this.sessionFor();
      if (!s) return;
      // Reserve the slot now: the waiter sends a microtask later.
      s.streams++;
      this.waiters.shift()!.grant(s);
    }
  }

  /** `reserved`: the stream slot was counted when a waiter was granted this session. */
  private send(s: PooledSession, req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: CancelSignal, reserved = false): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const session = s.session;
      // Streams are multiplexed, so a request only waits (is pending) while its session connects.
      if (session.connecting) {
        if (!this.limits.resources.pendingRequests.tryAcquire()) {
          if (reserved) this.streamDone(s);
          // A session opened for this request alone must still idle out.
          else this.armIdle(s);
          return reject(new UpstreamError('overflow', 'pending requests overflow'));
        }
        s.pendingOnConnect++;
      }
      const wasConnected = !session.connecting;
      if (!reserved) s.streams++;
      s.started++;
      clearTimeout(s.idleTimer);
      s.idleTimer = undefined;
      let stream: http2.ClientHttp2Stream;
      try {
        stream = session.request(
          { ...req.headers, ':method': req.method, ':path': req.path, ':authority': req.authority, ':scheme': this.tlsOptions ? 'https' : 'http' },
          { endStream: !body },
        );
      } catch (e) {
        // The session went away between the choice and the send (GOAWAY, destroyed).
        this.streamDone(s);
        return reject(new UpstreamError('reset', (e as Error).message));
      }
      // The signal resets the stream (as session.request's own signal option would, without an AbortSignal).
      const onAbort = () => stream.destroy(abortError());
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort);
      stream.once('close', () => {
        signal.removeEventListener('abort', onAbort);
        this.streamDone(s);
      });
      if (req.onContinue) stream.once('continue', req.onContinue);
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
      const max = this.limits.maxRequestsPerConnection ?? 0;
      // A request that chose this host just before it left, or the last one a session may carry:
      // the session closes once its streams end.
      if (this.draining) this.retire(s, undefined, stream);
      else if (max > 0 && s.started >= max) this.retire(s, this.counters.upstream_cx_max_requests, stream);
    });
  }

  private streamDone(s: PooledSession): void {
    s.streams--;
    this.armIdle(s);
    this.serveWaiters();
  }

  /** A session without streams closes after idle_timeout (a new stream clears the timer). */
  private armIdle(s: PooledSession): void {
    if (s.streams !== 0 || !s.usable || s.idleTimer) return;
    const idle = this.limits.idleTimeoutMs ?? DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS;
    if (idle > 0) {
      s.idleTimer = setTimeout(() => {
        this.counters.upstream_cx_idle_timeout.value++;
        s.session.close();
      }, idle).unref();
    }
  }

  activeConnections(): number {
    return this.sessions.filter((s) => !s.session.destroyed).length;
  }

  drain(): void {
    this.draining = true;
    for (const s of [...this.sessions]) this.retire(s);
  }

  close(): void {
    for (const s of [...this.sessions]) s.session.destroy();
  }
}
