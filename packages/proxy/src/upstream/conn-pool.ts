// Connection pools to one upstream host: HTTP/1.1 keep-alive (an http.Agent per host) or one
// multiplexed HTTP/2 session per host, reconnected when it goes away. Requests never open a
// connection of their own.
import http from 'node:http';
import http2 from 'node:http2';

export type UpstreamProtocol = 'http1' | 'http2';

export interface PoolLimits {
  /** Envoy max_connections (HTTP/1.1 sockets per host). */
  readonly maxConnections: number;
  readonly connectTimeoutMs: number;
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

/** Why an upstream exchange failed, mapped by the router to Envoy response flags (UF, UC, URX...). */
export type UpstreamFailure = 'connect-failure' | 'reset' | 'refused-stream' | 'timeout';

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
  close(): void;
}

function classify(e: NodeJS.ErrnoException): UpstreamFailure {
  if (e.code === 'ECONNREFUSED' || e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH' || e.code === 'ETIMEDOUT' || e.code === 'ECONNECT_TIMEOUT') return 'connect-failure';
  if (e.code === 'ERR_HTTP2_STREAM_ERROR' && /REFUSED_STREAM/.test(e.message)) return 'refused-stream';
  return 'reset';
}

export class Http1Pool implements ConnPool {
  readonly protocol = 'http1' as const;
  private readonly agent: http.Agent;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly limits: PoolLimits,
  ) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: limits.maxConnections, scheduling: 'lifo' });
  }

  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const r = http.request({
        host: this.host,
        port: this.port,
        method: req.method,
        path: req.path,
        headers: { ...req.headers, host: req.authority },
        agent: this.agent,
        signal,
        timeout: this.limits.connectTimeoutMs,
      });
      let connected = false;
      r.on('socket', (s) => {
        if (!s.connecting) connected = true;
        else s.once('connect', () => (connected = true));
      });
      r.on('timeout', () => {
        if (!connected) r.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' }));
      });
      r.on('response', (res) => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: res }));
      r.on('error', (e: NodeJS.ErrnoException) => {
        if (signal.aborted) reject(new UpstreamError('timeout', 'upstream request timeout'));
        else reject(new UpstreamError(connected ? 'reset' : classify(e), e.message));
      });
      if (body) body.pipe(r);
      else r.end();
    });
  }

  activeConnections(): number {
    const count = (m: NodeJS.ReadOnlyDict<unknown[]>) => Object.values(m).reduce((n, l) => n + (l?.length ?? 0), 0);
    return count(this.agent.sockets) + count(this.agent.freeSockets);
  }

  close(): void {
    this.agent.destroy();
  }
}

export class Http2Pool implements ConnPool {
  readonly protocol = 'http2' as const;
  private session: http2.ClientHttp2Session | undefined;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly limits: PoolLimits,
  ) {}

  private connect(): http2.ClientHttp2Session {
    if (this.session && !this.session.closed && !this.session.destroyed) return this.session;
    const s = http2.connect(`http://${this.host.includes(':') ? `[${this.host}]` : this.host}:${this.port}`);
    s.on('error', () => undefined); // surfaced on the streams; the session is replaced on next use
    s.on('close', () => {
      if (this.session === s) this.session = undefined;
    });
    s.setTimeout(0);
    this.session = s;
    return s;
  }

  request(req: UpstreamRequest, body: NodeJS.ReadableStream | undefined, signal: AbortSignal): Promise<UpstreamResponse> {
    return new Promise((resolve, reject) => {
      const session = this.connect();
      const connectTimer = session.connecting ? setTimeout(() => session.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' })), this.limits.connectTimeoutMs) : undefined;
      session.once('connect', () => clearTimeout(connectTimer));
      const wasConnected = !session.connecting;
      const stream = session.request(
        { ...req.headers, ':method': req.method, ':path': req.path, ':authority': req.authority, ':scheme': 'http' },
        { signal, endStream: !body },
      );
      stream.on('response', (headers) => {
        clearTimeout(connectTimer);
        const status = Number(headers[':status'] ?? 502);
        const out: Record<string, string | string[] | undefined> = {};
        for (const [k, v] of Object.entries(headers)) if (!k.startsWith(':')) out[k] = v as string | string[] | undefined;
        resolve({ status, headers: out, body: stream });
      });
      stream.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(connectTimer);
        if (signal.aborted) reject(new UpstreamError('timeout', 'upstream request timeout'));
        else reject(new UpstreamError(wasConnected || !session.connecting ? classify(e) : 'connect-failure', e.message));
      });
      if (body) body.pipe(stream);
    });
  }

  activeConnections(): number {
    return this.session && !this.session.destroyed ? 1 : 0;
  }

  close(): void {
    this.session?.close();
  }
}

export function createPool(protocol: UpstreamProtocol, host: string, port: number, limits: PoolLimits): ConnPool {
  return protocol === 'http2' ? new Http2Pool(host, port, limits) : new Http1Pool(host, port, limits);
}
