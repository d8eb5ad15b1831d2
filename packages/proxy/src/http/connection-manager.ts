// http_connection_manager: HTTP/1.1 and HTTP/2 (h2c by preface) on accepted sockets, the route
// decision once per request, then the HTTP filter chain (fault → cors → router). Node's own parsers
// give header size limits (431), smuggling protection (400) and request_headers_timeout (408 and
// close); http2-session-guard.ts adds rapid-reset and dead-peer protection for HTTP/2; a draining
// listener discourages its connections through connection-drain.ts.
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { Logger } from '@weft/base';
import type { DrainSettings } from '../listener/drain-strategy.js';
import type { NetworkFilter } from '../listener/listener-manager.js';
import { createRequestHead, type RequestHead } from '../router/request-head.js';
import type { RouteDecision, RouteTable } from '../router/index.js';
import { ensureRequestId, forwardedHeaders, upstreamRequestHeaders, type HeaderMap } from './headers.js';
import type { HttpFilter, StreamContext } from './http-filter.js';
import { ConnectionDrain } from './connection-drain.js';
import { downstreamConnectionOf, tagDownstreamConnection, type DownstreamConnection } from './downstream-connection.js';
import { Http1Request, Http1Response, Http2Request, Http2Response, type MeteredRequest, type MeteredResponse } from './downstream-streams.js';
import { guardHttp2Session } from './http2-session-guard.js';
import type { Http2Settings } from './http2-settings.js';

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
  readonly useRemoteAddress: boolean;
  /** Envoy's max_request_headers_kb (default 60). */
  readonly maxRequestHeadersKb: number;
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
}

type Req = (Http1Request | Http2Request) & MeteredRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

/** Flags with which the proxy itself reset a started response (so the close is not the downstream's). */
const LOCAL_RESET_FLAGS = ['UC', 'UT', 'UR', 'LR'];

/** True once the stream can no longer carry a response (the client reset or disconnected). */
function streamGone(req: Req, res: Res): boolean {
  if ('stream' in res) return res.stream.destroyed || res.stream.closed;
  return req.socket?.destroyed ?? true;
}

export class HttpConnectionManager implements NetworkFilter {
  private readonly h1: http.Server<typeof Http1Request, typeof Http1Response>;
  private readonly h2: http2.Http2Server<typeof http.IncomingMessage, typeof http.ServerResponse, typeof Http2Request, typeof Http2Response>;
  private readonly random: () => number;
  private readonly drainer: ConnectionDrain;
  /** The HTTP/1.1 codec was closed (its timers stopped) after the drain took its last connection. */
  private h1Stopped = false;

  constructor(private readonly options: ConnectionManagerOptions) {
    this.random = options.random ?? Math.random;
    this.drainer = new ConnectionDrain({
      settings: options.drain ?? DEFAULT_DRAIN,
      drainTimeoutMs: options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS,
      random: this.random,
      ...(options.onDrainClose ? { onDrainClose: options.onDrainClose } : {}),
      closeIdleHttp1: () => this.h1.closeIdleConnections(),
      onHttp1Gone: () => {
        // server.close() stops the headers-timeout check, so a drained manager can be collected.
        this.h1.close();
        this.h1Stopped = true;
      },
    });
    const handler = (req: Req, res: Res & MeteredResponse) => {
      this.handle(req, res).catch((e: unknown) => options.logger.error({ err: e }, 'HTTP stream failed'));
    };
    const headersTimeout = options.requestHeadersTimeoutMs > 0 ? options.requestHeadersTimeoutMs : DEFAULT_HEADERS_TIMEOUT_MS;
    this.h1 = http.createServer<typeof Http1Request, typeof Http1Response>(
      {
        IncomingMessage: Http1Request,
        ServerResponse: Http1Response,
        maxHeaderSize: options.maxRequestHeadersKb * 1024,
        requestTimeout: 0,
        headersTimeout,
        keepAliveTimeout: 300_000,
        connectionsCheckingInterval: Math.min(1000, Math.max(25, Math.floor(headersTimeout / 4))),
      },
      handler,
    );
    // Node enforces headersTimeout from a periodic check that it starts when a server begins to listen.
    // This server never listens (the listener hands it sockets), so the check is started here; a
    // slow client is then answered 408 and closed. drain() (server.close) stops it.
    this.h1.emit('listening');
    const h2 = options.http2 ?? {};
    this.h2 = http2.createServer(
      {
        Http2ServerRequest: Http2Request,
        Http2ServerResponse: Http2Response,
        maxHeaderListPairs: 256,
        maxSessionInvalidFrames: 100,
        maxSessionRejectedStreams: 100,
        settings: {
          maxConcurrentStreams: Math.min(h2.maxConcurrentStreams ?? H2_MAX_CONCURRENT_STREAMS, H2_MAX_CONCURRENT_STREAMS),
          maxHeaderListSize: options.maxRequestHeadersKb * 1024,
          ...(h2.initialStreamWindowSize ? { initialWindowSize: Math.min(h2.initialStreamWindowSize, 2 ** 31 - 1) } : {}),
        },
      },
      handler,
    );
    this.h2.on('sessionError', () => undefined);
    this.h2.on('session', (session: http2.ServerHttp2Session) => {
      this.drainer.trackHttp2(session);
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

  private toHttp1(socket: net.Socket): void {
    if (this.h1Stopped) {
      // A connection after the drain closed the codec: restart its headers-timeout check.
      this.h1Stopped = false;
      this.h1.emit('listening');
    }
    this.drainer.trackHttp1(socket);
    this.h1.emit('connection', socket);
  }

  private async handle(req: Req, res: Res & MeteredResponse): Promise<void> {
    const startedAt = Date.now();
    // A client that reset the stream before it was handled (HTTP/2 rapid reset) costs nothing more.
    if (streamGone(req, res)) return;
    const isH2 = req.httpVersionMajor === 2;
    this.discourage(req, res);
    const authority = String((isH2 ? req.headers[':authority'] : req.headers.host) ?? '');
    const path = req.url ?? '/';
    // Connections terminated by a TLS filter chain arrive as TLSSockets (encrypted === true).
    const scheme: 'http' | 'https' = (req.socket as { encrypted?: boolean } | undefined)?.encrypted ? 'https' : 'http';
    const head = createRequestHead({
      method: req.method ?? 'GET',
      authority,
      path,
      scheme,
      headers: req.headers as Record<string, string | string[] | undefined>,
      ...(req.socket?.remoteAddress ? { sourceAddress: req.socket.remoteAddress } : {}),
    });
    const upstreamHeaders: HeaderMap = upstreamRequestHeaders(req.headers as Record<string, string | string[] | undefined>);
    const requestId = ensureRequestId(upstreamHeaders);
    forwardedHeaders(upstreamHeaders, req.socket?.remoteAddress, scheme, this.options.useRemoteAddress);
    const table = this.options.routes.table();
    const decision: RouteDecision = table ? table.route(head, this.random) : { kind: 'no-route' };
    const responseHeaders: HeaderMap = {};
    const ctx: RoutedStream = {
      method: head.method,
      authority,
      path,
      scheme,
      downstreamHeaders: req.headers,
      remoteAddress: req.socket?.remoteAddress,
      upstreamHeaders,
      responseHeaders,
      responseFlags: new Set(),
      requestId,
      startedAt,
      body: req as NodeJS.ReadableStream,
      head,
      decision,
      protocol: isH2 ? 'HTTP/2' : 'HTTP/1.1',
      response: res,
      get responded() {
        return res.headersSent;
      },
      perFilterConfig: (name) => (decision.kind === 'forward' ? decision.perFilterConfig.get(name) : undefined),
      sendLocalReply: (status, body, flag) => {
        if (flag) ctx.responseFlags.add(flag);
        if (res.headersSent || streamGone(req, res)) {
          res.destroy();
          return;
        }
        const payload = Buffer.from(body);
        res.writeHead(status, { ...responseHeaders, 'content-type': 'text/plain', 'content-length': String(payload.length) });
        res.end(payload);
      },
    };
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
        status: res.headersSent ? res.statusCode : 0,
        durationMs: Date.now() - startedAt,
        bytesReceived: req.bytesReceived,
        bytesSent: res.bytesSent,
        responseStartMs: res.headersSentAt === undefined ? undefined : res.headersSentAt - startedAt,
        response: res,
        connection,
      });
    };
    res.once('finish', () => {
      finished = true;
      complete();
      if (!isH2) this.drainer.onHttp1ResponseDone();
    });
    res.once('close', complete);
    try {
      for (const filter of this.options.filters) {
        if ((await filter.decode(ctx)) === 'stop') return;
        if (res.headersSent || res.writableEnded || streamGone(req, res)) return;
      }
      // No terminal filter answered: Envoy needs a router as the last filter.
      ctx.sendLocalReply(500, 'no terminal filter', undefined);
    } catch (e) {
      this.options.logger.error({ err: e, path }, 'HTTP filter failed');
      ctx.sendLocalReply(500, 'internal error');
    }
  }

  /** On a draining listener: HTTP/1.1 answers `connection: close`; an HTTP/2 stream may pick its connection for GOAWAY. */
  private discourage(req: Req, res: Res): void {
    if ('stream' in res) {
      if (this.drainer.draining) this.drainer.onHttp2Stream(res.stream.session as http2.ServerHttp2Session | undefined);
      return;
    }
    const h1 = res as Http1Response;
    // Decided when the head is written, so a request in flight when the drain starts is answered `connection: close` too.
    h1.beforeHead = () => {
      if (h1.shouldKeepAlive && this.drainer.closeHttp1Response(req.socket)) h1.shouldKeepAlive = false;
    };
  }
}

export { type RequestHead };
