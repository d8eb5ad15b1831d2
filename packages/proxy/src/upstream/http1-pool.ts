// HTTP/1.1 keep-alive pool to one upstream host (an http.Agent): one request per connection at a
// time, idle connections closed after idle_timeout, connections retired after max_connection_duration
// or max_requests_per_connection, response heads up to 60 KiB (Envoy's limit, not Node's 16 KiB).
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type tls from 'node:tls';
import { classify, DEFAULT_MAX_RESPONSE_HEADERS_BYTES, DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS, poolCounters, UpstreamError, type ConnPool, type PoolCounters, type PoolLimits, type UpstreamRequest, type UpstreamResponse } from './pool-types.js';

type PooledSocket = net.Socket & { _httpMessage?: http.ClientRequest | null };

/**
 * A busy connection is an in-flight request. The cluster-wide `connections` resource bounds them
 * (idle keep-alive sockets are not counted, so a cluster of several hosts may hold a few more open
 * sockets than max_connections).
 */
export class Http1Pool implements ConnPool {
  readonly protocol = 'http1' as const;
  private readonly agent: http.Agent;
  /** Requests sent on each socket, for max_requests_per_connection. */
  private readonly uses = new WeakMap<net.Socket, number>();
  /** Sockets draining (past max_connection_duration or max_requests_per_connection): they close after the exchange in flight. */
  private readonly expired = new WeakSet<net.Socket>();
  private readonly seen = new WeakSet<net.Socket>();
  private draining = false;
  private readonly counters: PoolCounters;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly limits: PoolLimits,
    /** Upstream TLS (the cluster's UpstreamTlsContext): an https.Agent with these options. */
    private readonly tlsOptions?: tls.ConnectionOptions,
  ) {
    const keepAliveMsecs = limits.tcpKeepalive?.timeMs;
    const agentOptions: http.AgentOptions = {
      keepAlive: true,
      maxSockets: limits.resources.connections.max,
      scheduling: 'lifo',
      // The agent destroys a free socket on this timeout: Envoy's idle_timeout.
      timeout: limits.idleTimeoutMs ?? DEFAULT_UPSTREAM_IDLE_TIMEOUT_MS,
      ...(keepAliveMsecs !== undefined ? { keepAliveMsecs } : {}),
      ...(limits.localAddress ? { localAddress: limits.localAddress } : {}),
    };
    this.agent = tlsOptions ? new https.Agent({ ...agentOptions, ...tlsOptions }) : new http.Agent(agentOptions);
    this.counters = limits.counters ?? poolCounters();
  }

  async request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal): Promise<UpstreamResponse> {
    const { connections, pendingRequests } = this.limits.resources;
    if (connections.tryAcquire()) return this.send(req, body, signal, true);
    // Envoy opens one connection to a host with none even past max_connections (other hosts, or other
    // workers, hold the units), so its pending requests can always be served.
    if (this.activeConnections() === 0) return this.send(req, body, signal, false);
    if (!pendingRequests.tryAcquire()) throw new UpstreamError('overflow', 'pending requests overflow');
    const granted = await connections.wait(signal);
    pendingRequests.release();
    // Timed out in the queue: the host was never asked (outlier detection is not told).
    if (!granted) throw new UpstreamError('timeout', 'upstream request timeout', true);
    return this.send(req, body, signal, true);
  }

  /** Sends the request; `holdsUnit`: the caller took a `connections` unit, which goes back when the exchange ends. */
  private send(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal, holdsUnit: boolean): Promise<UpstreamResponse> {
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
        maxHeaderSize: this.limits.maxResponseHeadersBytes ?? DEFAULT_MAX_RESPONSE_HEADERS_BYTES,
      });
      if (holdsUnit) r.once('close', () => this.limits.resources.connections.release());
      let connected = false;
      r.on('socket', (s) => {
        if (!this.seen.has(s)) this.onNewSocket(s);
        this.countUse(r, s);
        // A reused socket is connected (and past its TLS handshake); a new TLS one is up once the
        // handshake is done, so a handshake failure is a connect failure (UF), as in Envoy.
        if (!s.connecting) connected = true;
        else s.once(this.tlsOptions ? 'secureConnect' : 'connect', () => (connected = true));
      });
      r.on('timeout', () => {
        if (!connected) r.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' }));
      });
      if (req.onContinue) r.once('continue', req.onContinue);
      r.on('response', (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res }));
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (signal.aborted) reject(new UpstreamError('timeout', 'upstream request timeout'));
        else reject(new UpstreamError(connected ? 'reset' : this.tlsOptions ? 'connect-failure' : classify(e), e.message));
      });
      if (body) body.pipe(r);
      else r.end();
    });
  }

  /** A new connection: TCP keep-alive as configured, its idle_timeout count and its max_connection_duration timer. */
  private onNewSocket(s: PooledSocket): void {
    this.seen.add(s);
    if (this.limits.tcpKeepalive) s.setKeepAlive(true, this.limits.tcpKeepalive.timeMs ?? 0);
    // The agent destroys a free socket (one without a request) when its timeout fires: idle_timeout.
    // A busy socket's timeout is the request's connect timer, not an idle close.
    s.on('timeout', () => {
      if (!s._httpMessage) this.counters.upstream_cx_idle_timeout.value++;
    });
    const duration = this.limits.maxConnectionDurationMs ?? 0;
    if (duration <= 0) return;
    const timer = setTimeout(() => {
      // One already draining (pool drain, max_requests_per_connection) is not counted, as in Envoy.
      if (this.draining || this.expired.has(s)) return;
      this.counters.upstream_cx_max_duration_reached.value++;
      this.expired.add(s);
      // Busy: closes once its response ends. Idle: closes now.
      if (s._httpMessage) s._httpMessage.shouldKeepAlive = false;
      else s.destroy();
    }, duration);
    timer.unref();
    s.once('close', () => clearTimeout(timer));
  }

  /**
   * The request that uses up a socket's max_requests_per_connection closes it after its response
   * (the agent then drops the socket instead of reusing it), as Envoy drains such a connection.
   */
  private countUse(r: http.ClientRequest, s: net.Socket): void {
    if (this.draining || this.expired.has(s)) {
      r.shouldKeepAlive = false;
      return;
    }
    const max = this.limits.maxRequestsPerConnection ?? 0;
    if (max <= 0) return;
    const n = (this.uses.get(s) ?? 0) + 1;
    this.uses.set(s, n);
    if (n < max) return;
    r.shouldKeepAlive = false;
    this.expired.add(s);
    this.counters.upstream_cx_max_requests.value++;
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
        const r = (s as PooledSocket)._httpMessage;
        if (r) r.shouldKeepAlive = false;
      }
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
