// http_connection_manager: HTTP/1.1 and HTTP/2 (h2c by preface) on accepted sockets, the route
// decision once per request, then the HTTP filter chain (fault → cors → router). HTTP/1.1 is
// weft-proxy's raw-socket codec (h1/server-codec.ts: llhttp's header size limits (431), smuggling
// protection (400) and request_headers_timeout (408 and close)); HTTP/2 is node:http2's core stream
// API with our request/response (downstream-streams.ts); http2-session-guard.ts adds rapid-reset and
// dead-peer protection for HTTP/2; a draining listener discourages its connections through
// connection-drain.ts.
import http2 from 'node:http2';
import type net from 'node:net';
import type { Logger } from '@weft/base';
import type { DrainSettings } from '../listener/drain-strategy.js';
import type { NetworkFilter } from '../listener/listener-manager.js';
import { requestHeadOver, type RequestHead } from '../router/request-head.js';
import type { RouteDecision, RouteTable } from '../router/index.js';
import { sanitizeRequestHeaders, upstreamRequestHeaders, type Forwarded, type HeaderMap } from './headers.js';
import { DEFAULT_HCM_SETTINGS, strippedAuthority, type HcmSettings } from './hcm-settings.js';
import { normalizeRequestPath, pathHandlingIsNoop, type PathOptions } from './path-normalization.js';
import { upgradeEnabled, type UpgradeRequest } from './upgrade.js';
import { applyXfcc } from './xfcc.js';
import type { HttpFilter, StreamContext } from './http-filter.js';
import { ConnectionDrain } from './connection-drain.js';
import { downstreamConnectionOf, tagDownstreamConnection, type DownstreamConnection } from './downstream-connection.js';
import { Http2Request, Http2Response, type MeteredRequest, type MeteredResponse } from './downstream-streams.js';
import { Http1ServerCodec, Http1ServerRequest, Http1ServerResponse } from './h1/server-codec.js';
import { guardHttp2Session } from './http2-session-guard.js';
import type { Http2Settings } from './http2-settings.js';
import { validateRequest, type RequestLimits } from './request-validation.js';

type ActivityHook = { onActivity?: () => void };

/** headers_with_underscores_action: true when the request must be refused, else the headers are dropped. */
function dropUnderscored(headers: HeaderMap, reject: boolean): boolean {
  for (const name in headers) {
    if (!name.includes('_')) continue;
    if (reject) return true;
    delete headers[name];
  }
  return false;
}

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');
/** Without request_headers_timeout, a request still has this long to send its headers (Node's guard). */
const DEFAULT_HEADERS_TIMEOUT_MS = 60_000;
/** An AUTO connection that sends nothing at all is closed after this long. */
const FIRST_BYTE_TIMEOUT_MS = 60_000;
/** HTTP/2 dead-peer probe when connection_keepalive is not configured: PING after 2 s of silence, 3 s to answer. */
const H2_IDLE_PROBE_MS = 2_000;
const H2_PROBE_TIMEOUT_MS = 3_000;
/** Envoy's default max_concurrent_streams (and the largest value HTTP/2 SETTINGS allow Envoy to send). */
const H2_MAX_CONCURRENT_STREAMS = 2_147_483_647;
/** Envoy's default HCM drain_timeout. */
const DEFAULT_DRAIN_TIMEOUT_MS = 5_000;
const DEFAULT_DRAIN: DrainSettings = { strategy: 'immediate', timeMs: 600_000 };

/** Where the connection manager finds its routes: inline, or an RDS name looked up per request. */
export interface RouteSource {
  table(): RouteTable | undefined;
}

export interface ConnectionManagerOptions {
  readonly statPrefix: string;
  readonly codec: 'AUTO' | 'HTTP1' | 'HTTP2';
  readonly routes: RouteSource;
  readonly filters: readonly HttpFilter[];
  /** Envoy's max_request_headers_kb (default 60). */
  readonly maxRequestHeadersKb: number;
  /** Everything else the HCM config says (server/hcm-options.ts); Envoy's defaults when absent. */
  readonly settings?: HcmSettings;
  /** request_headers_timeout; 0 = Node's default guard (60 s). */
  readonly requestHeadersTimeoutMs: number;
  /** http2_protocol_options for downstream HTTP/2 connections. */
  readonly http2?: Http2Settings;
  readonly logger: Logger;
  readonly random?: () => number;
  /** Called when a request completes, for stats and the access log. */
  readonly onComplete?: (ctx: CompletedStream) => void;
  /** --drain-strategy and --drain-time-s (default immediate, 600 s). */
  readonly drain?: DrainSettings;
  /** drain_timeout: drain start to closing idle HTTP/1.1 connections and the final HTTP/2 GOAWAY (default 5 s). */
  readonly drainTimeoutMs?: number;
  /** A connection was asked to close by the drain (http.<prefix>.downstream_cx_drain_close). */
  readonly onDrainClose?: () => void;
}

export interface CompletedStream {
  readonly ctx: RoutedStream;
  /** The response code sent; 0 when the stream ended before a response started (Envoy logs 0). */
  readonly status: number;
  readonly durationMs: number;
  /** Request and response body bytes. */
  readonly bytesReceived: number;
  readonly bytesSent: number;
  /** From the start of the request to its response headers; undefined when none were sent. */
  readonly responseStartMs: number | undefined;
  /** The response as sent (headers for %RESP()%). */
  readonly response: MeteredResponse;
  readonly connection: DownstreamConnection;
}

/** A stream with its route decision, as the filters after route selection see it. */
export interface RoutedStream extends StreamContext {
  readonly head: RequestHead;
  readonly decision: RouteDecision;
  readonly protocol: 'HTTP/1.1' | 'HTTP/2';
  /** The downstream response the router writes to. */
  readonly response: Res;
  /** Set by the router: the upstream cluster and host, for logs. */
  upstreamCluster?: string;
  upstreamHost?: string;
  /** An HTTP/1.1 upgrade request (WebSocket) on its detached socket. */
  readonly upgrade?: UpgradeRequest;
}

type Req = (Http1ServerRequest | Http2Request) & MeteredRequest;
type Res = Http1ServerResponse | Http2Response;

/** Flags with which the proxy itself reset a started response (so the close is not the downstream's). */
const LOCAL_RESET_FLAGS = ['UC', 'UT', 'UR', 'LR'];

/** True once the stream can no longer carry a response (the client reset or disconnected). */
function streamGone(req: Req, res: Res): boolean {
  if ('stream' in res) return res.stream.destroyed || res.stream.closed;
  return req.socket?.destroyed ?? true;
}

/** One request as the filters see it: a class, so that a stream costs one object and no closures. */
class HttpStream implements RoutedStream {
  readonly method: string;
  readonly authority: string;
  readonly scheme: 'http' | 'https';
  readonly downstreamHeaders: RoutedStream['downstreamHeaders'];
  readonly remoteAddress: string | undefined;
  readonly internalRequest: boolean;
  readonly edgeRequest: boolean;
  readonly responseFlags = new Set<string>();
  readonly requestId: string;
  readonly body: NodeJS.ReadableStream;
  readonly protocol: 'HTTP/1.1' | 'HTTP/2';
  readonly upgrade?: UpgradeRequest;
  readonly expectContinue?: () => void;
  upstreamCluster?: string;
  upstreamHost?: string;
  faultResponseRateKbps?: number;

  constructor(
    private readonly req: Req,
    readonly response: Res,
    readonly head: RequestHead,
    readonly decision: RouteDecision,
    readonly path: string,
    readonly upstreamHeaders: HeaderMap,
    readonly responseHeaders: HeaderMap,
    forwarded: Forwarded,
    readonly startedAt: number,
    isH2: boolean,
    upgrade: UpgradeRequest | undefined,
    expectContinue: (() => void) | undefined,
  ) {
    this.method = head.method;
    this.authority = head.authority;
    this.scheme = head.scheme;
    this.downstreamHeaders = req.headers;
    this.remoteAddress = req.socket?.remoteAddress;
    this.internalRequest = forwarded.internal;
    this.edgeRequest = forwarded.edge;
    this.requestId = forwarded.requestId;
    this.body = req as NodeJS.ReadableStream;
    this.protocol = isH2 ? 'HTTP/2' : 'HTTP/1.1';
    if (upgrade) this.upgrade = upgrade;
    if (expectContinue) this.expectContinue = expectContinue;
  }

  get responded(): boolean {
    return this.response.headersSent;
  }

  perFilterConfig(name: string): { type_url: string; value: Uint8Array } | undefined {
    return this.decision.kind === 'forward' ? this.decision.perFilterConfig.get(name) : undefined;
  }

  sendLocalReply(status: number, body: string, flag?: string): void {
    const res = this.response;
    if (flag) this.responseFlags.add(flag);
    if (res.headersSent || streamGone(this.req, res)) {
      res.destroy();
      return;
    }
    const payload = Buffer.from(body);
    res.writeHead(status, { ...this.responseHeaders, 'content-type': 'text/plain', 'content-length': String(payload.length) });
    res.end(payload);
  }
}

export class HttpConnectionManager implements NetworkFilter {
  private readonly h1: Http1ServerCodec;
  private readonly h2: http2.Http2Server;
  private readonly random: () => number;
  private readonly drainer: ConnectionDrain;
  private readonly limits: RequestLimits;
  private readonly settings: HcmSettings;
  private readonly pathOptions: PathOptions | undefined;
  /** HTTP/1.1 connections that close after the response in flight (max_connection_duration, max_requests_per_connection). */
  private readonly closing = new WeakSet<net.Socket>();
  private readonly requestsOn = new WeakMap<object, number>();
  private readonly lastResponses = new WeakSet<object>();

  constructor(private readonly options: ConnectionManagerOptions) {
    this.random = options.random ?? Math.random;
    this.settings = options.settings ?? DEFAULT_HCM_SETTINGS;
    this.limits = this.settings.requestLimits;
    this.pathOptions = pathHandlingIsNoop(this.settings.pathOptions) ? undefined : this.settings.pathOptions;
    this.drainer = new ConnectionDrain({
      settings: options.drain ?? DEFAULT_DRAIN,
      drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      random: this.random,
      ...(options.onDrainClose ? { onDrainClose: options.onDrainClose } : {}),
      closeIdleHttp1: () => this.h1.closeIdleConnections(),
      // Stops the codec's timeout sweep, so a drained manager can be collected (a new connection starts it again).
      onHttp1Gone: () => this.h1.close(),
    });
    const run = (req: Req, res: Res & MeteredResponse) => {
      this.handle(req, res).catch((e: unknown) => options.logger.error({ err: e }, 'HTTP stream failed'));
    };
    // The codec hands over one request of a connection at a time, pipelined or not.
    const h1Handler = (req: Http1ServerRequest, res: Http1ServerResponse) => {
      const max = this.settings.maxRequestsPerConnection;
      if (max > 0) {
        const n = (this.requestsOn.get(req.socket) ?? 0) + 1;
        this.requestsOn.set(req.socket, n);
        // The response to the max-th request closes the connection (the ones after it go unanswered).
        if (n >= max) this.lastResponses.add(res);
      }
      run(req, res);
    };
    // Upgrade requests and CONNECT (authority-form) come here with their socket out of the codec.
    // CONNECT reaches the router like any request; without a connect_matcher no route matches it and
    // it is answered 404 NR, logged, and the connection closed (Envoy's default). An upgrade is
    // routed; one that the route or else the connection manager enables (upgradeEnabled) is
    // tunnelled, another is refused 403 (Envoy's upgrade_failed), except h2c, which Envoy ignores: it
    // is answered as a plain HTTP/1.1 request, then the connection closes (the codec let it go).
    const onUpgrade = (req: Http1ServerRequest, socket: net.Socket, head: Buffer) => {
      const res = Http1ServerResponse.detached(socket, req);
      socket.once('error', () => socket.destroy());
      const type = req.method === 'CONNECT' ? '' : String(req.headers.upgrade ?? '').toLowerCase();
      if (req.method !== 'CONNECT' && type !== 'h2c') (req as Http1ServerRequest & { weftUpgrade?: UpgradeRequest }).weftUpgrade = { socket, head, type };
      run(req, res);
    };
    const headersTimeout = options.requestHeadersTimeoutMs > 0 ? options.requestHeadersTimeoutMs : DEFAULT_HEADERS_TIMEOUT_MS;
    this.h1 = new Http1ServerCodec({
      maxHeaderSize: options.maxRequestHeadersKb * 1024,
      headersTimeoutMs: headersTimeout,
      // common_http_protocol_options.idle_timeout: a keep-alive connection without a request closes.
      idleTimeoutMs: this.settings.idleTimeoutMs,
      // proxy_100_continue: the request is routed as any other and the 100 comes from the upstream
      // (StreamContext.expectContinue); without it the codec answers `Expect: 100-continue` itself.
      autoContinue: !this.settings.proxy100Continue,
      onRequest: h1Handler,
      onUpgrade,
    });
    const h2 = options.http2 ?? {};
    this.h2 = http2.createServer({
      // Node counts pseudo-headers too; the header count itself is checked per stream (431).
      maxHeaderListPairs: Math.max(256, this.limits.maxHeadersCount + 16),
      maxSessionInvalidFrames: 100,
      maxSessionRejectedStreams: 100,
      settings: {
        maxConcurrentStreams: Math.min(h2.maxConcurrentStreams ?? H2_MAX_CONCURRENT_STREAMS, H2_MAX_CONCURRENT_STREAMS),
        maxHeaderListSize: options.maxRequestHeadersKb * 1024,
        ...(h2.initialStreamWindowSize ? { initialWindowSize: Math.min(h2.initialStreamWindowSize, 2 ** 31 - 1) } : {}),
      },
    });
    // The core stream API, not the compatibility layer (no 'request' listener, so Node builds no
    // Http2ServerRequest/Response). `Expect: 100-continue` is answered here unless proxy_100_continue
    // relays the upstream's.
    this.h2.on('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders, _flags: number, rawHeaders: string[]) => {
      const req = new Http2Request(stream, headers, rawHeaders);
      const res = new Http2Response(stream, req);
      const expect = headers['expect'];
      if (!this.settings.proxy100Continue && typeof expect === 'string' && expect.toLowerCase() === '100-continue') res.writeContinue();
      run(req, res);
    });
    this.h2.on('sessionError', () => undefined);
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      this.drainer.trackHttp2(session);
      this.limitHttp2Session(session);
      const connectionWindow = h2.initialConnectionWindowSize;
      if (connectionWindow) session.once('connect', () => session.setLocalWindowSize(Math.min(connectionWindow, 2 ** 31 - 1)));
      guardHttp2Session(session, {
        idleProbeMs: h2.keepalive?.intervalMs ?? H2_IDLE_PROBE_MS,
        probeTimeoutMs: h2.keepalive?.timeoutMs ?? H2_PROBE_TIMEOUT_MS,
        periodic: h2.keepalive !== undefined,
        onClose: (reason) => options.logger.debug({ reason }, 'HTTP/2 connection closed by the guard'),
      });
    });
  }

  onConnection(socket: net.Socket): void {
    // A draining manager still serves what arrives (a graceful /drain_listeners keeps accepting):
    // its responses ask the connection to close.
    tagDownstreamConnection(socket);
    if (this.options.codec === 'HTTP1') return this.toHttp1(socket);
    if (this.options.codec === 'HTTP2') return void this.h2.emit('connection', socket);
    // AUTO on terminated TLS: the protocol the handshake negotiated by ALPN decides the codec.
    const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol;
    if (alpn === 'h2') return void this.h2.emit('connection', socket);
    if (alpn === 'http/1.1') return this.toHttp1(socket);
    // AUTO: HTTP/2 with prior knowledge starts with the connection preface; anything else is HTTP/1.1.
    // Until a codec owns the socket, a reset or a silent client must close it, not crash or linger.
    const onError = () => socket.destroy();
    const onTimeout = () => socket.destroy();
    socket.on('error', onError);
    socket.on('timeout', onTimeout);
    socket.setTimeout(FIRST_BYTE_TIMEOUT_MS);
    const decided = this.drainer.trackUndecided(socket);
    socket.once('data', (chunk: Buffer) => {
      decided();
      socket.removeListener('error', onError);
      socket.removeListener('timeout', onTimeout);
      socket.setTimeout(0);
      socket.pause();
      socket.unshift(chunk);
      const isH2 = chunk.length >= 3 && chunk.subarray(0, Math.min(chunk.length, H2_PREFACE.length)).equals(H2_PREFACE.subarray(0, Math.min(chunk.length, H2_PREFACE.length)));
      if (isH2) {
        // The HTTP/2 session reads what is buffered (the unshifted preface) on the next tick and then
        // consumes the socket itself; resuming here would emit that chunk to nobody (bad client magic).
        this.h2.emit('connection', socket);
        return;
      }
      this.toHttp1(socket);
      socket.resume();
    });
  }

  drain(): void {
    this.drainer.start();
  }

  /** idle_timeout, max_connection_duration and max_requests_per_connection for one HTTP/2 connection (GOAWAY). */
  private limitHttp2Session(session: http2.ServerHttp2Session): void {
    const s = this.settings;
    if (s.idleTimeoutMs > 0) {
      // Idle = no open stream for the whole timeout (session.setTimeout belongs to the dead-peer guard).
      let open = 0;
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        idle = setTimeout(() => session.closed || session.close(), s.idleTimeoutMs);
        idle.unref();
      };
      arm();
      session.on('stream', (stream: http2.ServerHttp2Stream) => {
        open++;
        clearTimeout(idle);
        stream.once('close', () => {
          if (--open === 0 && !session.closed) arm();
        });
      });
      session.once('close', () => clearTimeout(idle));
    }
    if (s.maxConnectionDurationMs > 0) {
      const timer = setTimeout(() => session.closed || session.close(), s.maxConnectionDurationMs);
      timer.unref();
      session.once('close', () => clearTimeout(timer));
    }
    if (s.maxRequestsPerConnection > 0) {
      let n = 0;
      session.on('stream', () => {
        if (++n >= s.maxRequestsPerConnection && !session.closed) session.close();
      });
    }
  }

  /** max_connection_duration for one HTTP/1.1 connection: `connection: close` on the next response, or closed now when idle. */
  private limitHttp1Connection(socket: net.Socket): void {
    const ms = this.settings.maxConnectionDurationMs;
    if (ms <= 0) return;
    const timer = setTimeout(() => {
      this.closing.add(socket);
      if (this.h1.isIdle(socket)) socket.end();
    }, ms);
    timer.unref();
    socket.once('close', () => clearTimeout(timer));
  }

  private toHttp1(socket: net.Socket): void {
    this.limitHttp1Connection(socket);
    this.drainer.trackHttp1(socket);
    this.h1.attach(socket);
  }

  private async handle(req: Req, res: Res & MeteredResponse): Promise<void> {
    const startedAt = Date.now();
    // A client that reset the stream before it was handled (HTTP/2 rapid reset) costs nothing more.
    if (streamGone(req, res)) return;
    // The codec decides, not the request line: `GET / HTTP/2.0` on an HTTP/1 connection is HTTP/1 (and refused).
    const isH2 = 'stream' in res;
    this.discourage(req, res);
    const verdict = validateRequest(
      { method: req.method ?? 'GET', target: req.url ?? '', versionMajor: req.httpVersionMajor, versionMinor: req.httpVersionMinor, rawHeaders: req.rawHeaders, http2: isH2 },
      this.limits,
    );
    const authority = verdict.ok ? strippedAuthority(verdict.authority, this.settings, req.socket?.localPort) : String((isH2 ? req.headers[':authority'] : req.headers.host) ?? '');
    // normalize_path, merge_slashes, path_with_escaped_slashes_action: routing and the upstream see the result.
    const normalized = verdict.ok && this.pathOptions ? normalizeRequestPath(verdict.path, this.pathOptions) : undefined;
    const path = normalized?.kind === 'ok' || normalized?.kind === 'redirect' ? normalized.path : verdict.ok ? verdict.path : (req.url ?? '');
    // Connections terminated by a TLS filter chain arrive as TLSSockets (encrypted === true).
    const scheme: 'http' | 'https' = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
    const upstreamHeaders: HeaderMap = upstreamRequestHeaders(req.headers as Record<string, string | string[] | undefined>);
    const underscored = this.settings.headersWithUnderscores === 'ALLOW' ? false : dropUnderscored(upstreamHeaders, this.settings.headersWithUnderscores === 'REJECT_REQUEST');
    // `Expect: 100-continue`: without proxy_100_continue weft-proxy has answered it (Node's server does) and the
    // upstream never sees it; with it, the header goes upstream and the upstream's 100 is relayed.
    const expectsContinue = upstreamHeaders['expect'] !== undefined && String(upstreamHeaders['expect']).toLowerCase() === '100-continue';
    if (expectsContinue && !this.settings.proxy100Continue) delete upstreamHeaders['expect'];
    let continued = false;
    const expectContinue = expectsContinue && this.settings.proxy100Continue
      ? () => {
          if (continued || res.headersSent) return;
          continued = true;
          res.writeContinue();
        }
      : undefined;
    // Envoy mutates the request headers before it picks the route: matchers see the sanitized request.
    const forwarded = sanitizeRequestHeaders(upstreamHeaders, req.socket?.remoteAddress, scheme, this.settings.forwarding);
    applyXfcc(upstreamHeaders, req.socket ?? undefined, this.settings.xfcc);
    const requestId = forwarded.requestId;
    // Matchers, hash policies and retriable_request_headers read the request's headers as they are then (Envoy's live header map).
    const head = requestHeadOver(req.method ?? 'GET', authority, path, scheme, upstreamHeaders, req.socket?.remoteAddress);
    const table = verdict.ok && !underscored && normalized?.kind !== 'reject' && normalized?.kind !== 'redirect' ? this.options.routes.table() : undefined;
    const decision: RouteDecision = table ? table.route(head, this.random) : { kind: 'no-route' };
    const responseHeaders: HeaderMap = {};
    if (this.settings.serverHeader !== undefined) responseHeaders['server'] = this.settings.serverHeader;
    if (this.settings.alwaysSetRequestId && requestId) responseHeaders['x-request-id'] = requestId;
    const upgrade = (req as Http1ServerRequest & { weftUpgrade?: UpgradeRequest }).weftUpgrade;
    const ctx = new HttpStream(req, res, head, decision, path, upstreamHeaders, responseHeaders, forwarded, startedAt, isH2, upgrade, expectContinue);
    const connection = downstreamConnectionOf(req.socket);
    let finished = false;
    let completed = false;
    const complete = () => {
      if (completed) return;
      completed = true;
      // Closed before the response ended, and not by the router resetting it: the downstream left.
      if (!finished && !LOCAL_RESET_FLAGS.some((f) => ctx.responseFlags.has(f))) ctx.responseFlags.add('DC');
      this.options.onComplete?.({
        ctx,
        status: res.headersSent || (upgrade && res.statusCode === 101) ? res.statusCode : 0,
        durationMs: Date.now() - startedAt,
        bytesReceived: req.bytesReceived,
        bytesSent: res.bytesSent,
        responseStartMs: res.headersSentAt === undefined ? undefined : res.headersSentAt - startedAt,
        response: res,
        connection,
      });
    };
    // `on`, not `once`: each fires once on these responses, and once() costs a wrapper per listener.
    res.on('finish', () => {
      finished = true;
      complete();
      if (!isH2) this.drainer.onHttp1ResponseDone();
    });
    res.on('close', complete);
    if (!verdict.ok) {
      // A protocol error of the request itself: answered locally (DPE), before any filter runs.
      if (verdict.close && !isH2) (res as Http1ServerResponse).shouldKeepAlive = false;
      ctx.sendLocalReply(verdict.status, '', 'DPE');
      return;
    }
    if (underscored) {
      ctx.sendLocalReply(400, '', 'DPE');
      return;
    }
    if (normalized?.kind === 'reject') {
      ctx.sendLocalReply(400, '', 'DPE');
      return;
    }
    if (normalized?.kind === 'redirect') {
      // UNESCAPE_AND_REDIRECT: the client asks again with the unescaped path.
      responseHeaders['location'] = path;
      ctx.sendLocalReply(307, '');
      return;
    }
    const timers = this.streamTimers(req, res, ctx);
    if (timers) {
      res.once('close', timers);
      res.once('finish', timers);
    }
    if (upgrade && !upgradeEnabled(upgrade.type, this.settings.upgrades, decision)) {
      ctx.sendLocalReply(403, '', undefined);
      return;
    }
    try {
      // An upgrade runs the same filters; the router tunnels it (ctx.upgrade).
      const filters = this.options.filters;
      for (let i = 0; i < filters.length; i++) {
        // A filter that answers at once costs no promise turn.
        const status = filters[i]!.decode(ctx);
        if ((typeof status === 'string' ? status : await status) === 'stop') return;
        if (res.headersSent || res.writableEnded || streamGone(req, res)) return;
      }
      // No terminal filter answered: Envoy needs a router as the last filter.
      ctx.sendLocalReply(500, 'no terminal filter', undefined);
    } catch (e) {
      this.options.logger.error({ err: e, path }, 'HTTP filter failed');
      ctx.sendLocalReply(500, 'internal error');
    }
  }

  /**
   * stream_idle_timeout (no bytes either way: 408 before the response starts, else reset), request_timeout
   * (the whole request not received: 408) and max_stream_duration (408 or reset, DT). Returns the clean-up,
   * or undefined when none is configured (most requests pay nothing).
   */
  private streamTimers(req: Req, res: Res & MeteredResponse, ctx: RoutedStream): (() => void) | undefined {
    const s = this.settings;
    if (s.streamIdleTimeoutMs <= 0 && s.requestTimeoutMs <= 0 && s.maxStreamDurationMs <= 0) return undefined;
    const expire = (status: number, body: string, flag: string | undefined) => {
      if (res.headersSent) {
        if (flag) ctx.responseFlags.add(flag);
        res.destroy();
        return;
      }
      ctx.sendLocalReply(status, body, flag);
    };
    let idle: NodeJS.Timeout | undefined;
    if (s.streamIdleTimeoutMs > 0) {
      idle = setTimeout(() => expire(408, 'stream timeout', 'SI'), s.streamIdleTimeoutMs);
      const touch = () => idle?.refresh();
      (req as Req & ActivityHook).onActivity = touch;
      (res as Res & ActivityHook).onActivity = touch;
    }
    let whole: NodeJS.Timeout | undefined;
    if (s.requestTimeoutMs > 0 && !req.complete) {
      whole = setTimeout(() => req.complete || expire(408, 'request timeout', undefined), s.requestTimeoutMs);
      req.once('end', () => clearTimeout(whole));
    }
    const duration = s.maxStreamDurationMs > 0 ? setTimeout(() => expire(408, 'downstream duration timeout', 'DT'), s.maxStreamDurationMs) : undefined;
    return () => {
      clearTimeout(idle);
      clearTimeout(whole);
      clearTimeout(duration);
    };
  }

  /** On a draining listener: HTTP/1.1 answers `connection: close`; an HTTP/2 stream may pick its connection for GOAWAY. */
  private discourage(req: Req, res: Res): void {
    if ('stream' in res) {
      if (this.drainer.draining) this.drainer.onHttp2Stream(res.stream.session as http2.ServerHttp2Session | undefined);
      return;
    }
    const h1 = res as Http1ServerResponse;
    const socket = h1.socket;
    // Decided when the head is written, so a request in flight when the drain starts is answered `connection: close` too.
    h1.beforeHead = () => {
      if (h1.shouldKeepAlive && (this.lastResponses.has(h1) || this.closing.has(socket) || this.drainer.closeHttp1Response(socket))) h1.shouldKeepAlive = false;
    };
  }
}

export { type RequestHead };
