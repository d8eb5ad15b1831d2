// http_connection_manager: HTTP/1.1 and HTTP/2 (h2c by preface) on accepted sockets, the route
// decision once per request, then the HTTP filter chain (fault → cors → router). Node's own parsers
// give header size limits (431), smuggling protection (400) and header timeouts.
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { Logger } from '@weft/base';
import type { NetworkFilter } from '../listener/listener-manager.js';
import { createRequestHead, type RequestHead } from '../router/request-head.js';
import type { RouteDecision, RouteTable } from '../router/index.js';
import { ensureRequestId, forwardedHeaders, upstreamRequestHeaders, type HeaderMap } from './headers.js';
import type { HttpFilter, StreamContext } from './http-filter.js';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n');

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
  /** request_headers_timeout; 0 = Node's default guard. */
  readonly requestHeadersTimeoutMs: number;
  readonly logger: Logger;
  readonly random?: () => number;
  /** Called when a request completes, for stats and the access log. */
  readonly onComplete?: (ctx: CompletedStream) => void;
}

export interface CompletedStream {
  readonly ctx: RoutedStream;
  readonly status: number;
  readonly durationMs: number;
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

type Req = http.IncomingMessage | http2.Http2ServerRequest;
type Res = http.ServerResponse | http2.Http2ServerResponse;

export class HttpConnectionManager implements NetworkFilter {
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private draining = false;
  private readonly random: () => number;

  constructor(private readonly options: ConnectionManagerOptions) {
    this.random = options.random ?? Math.random;
    const handler = (req: Req, res: Res) => void this.handle(req, res);
    this.h1 = http.createServer({ maxHeaderSize: options.maxRequestHeadersKb * 1024, requestTimeout: 0, keepAliveTimeout: 300_000 }, handler);
    if (options.requestHeadersTimeoutMs > 0) this.h1.headersTimeout = options.requestHeadersTimeoutMs;
    this.h2 = http2.createServer({ maxHeaderListPairs: 256, maxSessionInvalidFrames: 100, maxSessionRejectedStreams: 100 }, handler);
    this.h2.on('sessionError', () => undefined);
  }

  onConnection(socket: net.Socket): void {
    if (this.draining) {
      socket.destroy();
      return;
    }
    if (this.options.codec === 'HTTP1') return void this.h1.emit('connection', socket);
    if (this.options.codec === 'HTTP2') return void this.h2.emit('connection', socket);
    // AUTO: HTTP/2 with prior knowledge starts with the connection preface; anything else is HTTP/1.1.
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      const isH2 = chunk.length >= 3 && chunk.subarray(0, Math.min(chunk.length, H2_PREFACE.length)).equals(H2_PREFACE.subarray(0, Math.min(chunk.length, H2_PREFACE.length)));
      (isH2 ? this.h2 : this.h1).emit('connection', socket);
      socket.resume();
    });
  }

  drain(): void {
    this.draining = true;
    this.h1.closeIdleConnections?.();
    this.h1.close();
    this.h2.close();
  }

  private async handle(req: Req, res: Res): Promise<void> {
    const startedAt = Date.now();
    const isH2 = req.httpVersionMajor === 2;
    const authority = String((isH2 ? req.headers[':authority'] : req.headers.host) ?? '');
    const path = req.url ?? '/';
    const scheme = 'http' as const;
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
        if (res.headersSent) {
          res.destroy();
          return;
        }
        const payload = Buffer.from(body);
        res.writeHead(status, { ...responseHeaders, 'content-type': 'text/plain', 'content-length': String(payload.length) });
        res.end(payload);
      },
    };
    res.on('finish', () => this.options.onComplete?.({ ctx, status: res.statusCode, durationMs: Date.now() - startedAt }));
    req.on('aborted', () => ctx.responseFlags.add('DC'));
    try {
      for (const filter of this.options.filters) {
        if ((await filter.decode(ctx)) === 'stop') return;
        if (res.headersSent || res.writableEnded) return;
      }
      // No terminal filter answered: Envoy needs a router as the last filter.
      ctx.sendLocalReply(500, 'no terminal filter', undefined);
    } catch (e) {
      this.options.logger.error({ err: e, path }, 'HTTP filter failed');
      ctx.sendLocalReply(500, 'internal error');
    }
  }
}

export { type RequestHead };
