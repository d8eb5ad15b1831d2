// The request and response classes the HTTP/2 codec creates (Node's compatibility-layer
// `Http2ServerRequest`/`Http2ServerResponse` option): they count body bytes as they pass and remember
// when, and with which headers, the response started, for %BYTES_RECEIVED%, %BYTES_SENT%,
// %RESPONSE_DURATION% and %RESP(...)%. Defined once, so no request pays for patching. The HTTP/1.1
// codec's own request and response (h1/server-codec.ts) do the same.
import { EventEmitter } from 'node:events';
import type http2 from 'node:http2';
import type net from 'node:net';
import { Readable } from 'node:stream';
import type tls from 'node:tls';


function byteLength(chunk: unknown, encoding: unknown): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
}

/** What the access log reads from any downstream response. */
export interface MeteredResponse {
  readonly bytesSent: number;
  /** Epoch ms when the response headers were written; undefined before. */
  readonly headersSentAt: number | undefined;
  /** A response header as sent (lower-case name). */
  sentHeader(name: string): string | undefined;
}

export interface MeteredRequest {
  readonly bytesReceived: number;
}

function headerValue(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v.join(',') : String(v);
}

/** The header object and raw list the core API gives, as the request's `headers`/`rawHeaders`. */
type StreamHeaders = http2.IncomingHttpHeaders;

/**
 * An HTTP/2 request on node:http2's core stream API (no compatibility layer): its head, and its
 * body as a Readable fed by the stream's DATA (the stream itself stays readable for observers such
 * as gRPC stats, which read it alongside).
 */
export class Http2Request extends Readable implements MeteredRequest {
  bytesReceived = 0;
  onActivity: (() => void) | undefined;
  readonly method: string;
  readonly url: string;
  readonly httpVersionMajor = 2;
  readonly httpVersionMinor = 0;
  complete: boolean;
  trailers: Record<string, string | string[] | undefined> = {};
  readonly socket: net.Socket | tls.TLSSocket | undefined;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    readonly headers: StreamHeaders,
    readonly rawHeaders: string[],
  ) {
    super();
    this.method = String(headers[':method'] ?? 'GET');
    this.url = String(headers[':path'] ?? '');
    this.socket = stream.session?.socket as net.Socket | tls.TLSSocket | undefined;
    // A HEADERS frame with END_STREAM: the request has no body (most GETs pay for no stream plumbing).
    this.complete = stream.endAfterHeaders;
    if (this.complete) return;
    stream.on('data', (chunk: Buffer) => {
      this.onActivity?.();
      this.bytesReceived += chunk.length;
      if (!this.push(chunk)) stream.pause();
    });
    stream.once('end', () => {
      this.complete = true;
      this.push(null);
    });
    stream.once('trailers', (t: StreamHeaders) => (this.trailers = t));
    stream.once('close', () => {
      if (!this.complete) this.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  }

  /** No body at all, and none to come. */
  get bodyless(): boolean {
    return this.complete && this.bytesReceived === 0;
  }

  override _read(): void {
    if (this.stream.endAfterHeaders) {
      this.push(null);
      return;
    }
    this.stream.resume();
  }
}

type OutgoingHeaders = Record<string, string | string[] | number | undefined>;

/**
 * An HTTP/2 response on the core stream API, with the writeHead/write/end surface the router and
 * local replies use. The HEADERS frame goes out with the first body bytes, or alone with END_STREAM
 * for a response without body or trailers; trailers added before the end are sent as a trailing
 * HEADERS frame.
 */
export class Http2Response extends EventEmitter implements MeteredResponse {
  statusCode = 200;
  bytesSent = 0;
  onActivity: (() => void) | undefined;
  headersSentAt: number | undefined;
  writableEnded = false;
  private given: OutgoingHeaders | undefined;
  private headWritten = false;
  private responded = false;
  private trailers: OutgoingHeaders | undefined;
  private finished = false;

  constructor(
    readonly stream: http2.ServerHttp2Stream,
    readonly req: Http2Request,
  ) {
    super();
    stream.once('close', () => this.emit('close'));
    stream.on('drain', () => this.emit('drain'));
    stream.on('error', () => undefined);
  }

  get headersSent(): boolean {
    return this.headWritten || this.stream.headersSent;
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  get writable(): boolean {
    return !this.writableEnded && !this.stream.destroyed;
  }

  get socket(): net.Socket | tls.TLSSocket | undefined {
    return this.req.socket;
  }

  writeHead(statusCode: number, a?: string | OutgoingHeaders, b?: OutgoingHeaders): this {
    if (this.headersSent) throw Object.assign(new Error('Cannot write headers after they are sent to the client'), { code: 'ERR_HTTP2_HEADERS_SENT' });
    this.statusCode = statusCode;
    this.given = (typeof a === 'string' ? b : a) ?? {};
    this.headWritten = true;
    this.headersSentAt = Date.now();
    return this;
  }

  sentHeader(name: string): string | undefined {
    return headerValue(this.given?.[name]);
  }

  getHeader(name: string): string | string[] | number | undefined {
    return this.given?.[name];
  }

  writeContinue(): void {
    if (!this.stream.destroyed && !this.stream.headersSent) this.stream.additionalHeaders({ ':status': 100 });
  }

  addTrailers(trailers: OutgoingHeaders): void {
    this.trailers = trailers;
  }

  write(chunk: unknown, encoding?: BufferEncoding | ((err?: Error | null) => void), callback?: (err?: Error | null) => void): boolean {
    if (this.writableEnded || this.stream.destroyed) return false;
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.onActivity?.();
    this.bytesSent += byteLength(chunk, encoding);
    // More may follow, and trailers with it: the stream waits for them after its last DATA.
    if (!this.responded) this.respond(false, true);
    return this.stream.write(chunk as Buffer, encoding as BufferEncoding, callback);
  }

  end(chunk?: unknown, encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    if (this.writableEnded) return this;
    const cb = typeof chunk === 'function' ? (chunk as () => void) : typeof encoding === 'function' ? encoding : callback;
    const data = typeof chunk === 'function' || chunk === null ? undefined : chunk;
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.writableEnded = true;
    if (this.stream.destroyed) return this;
    if (data !== undefined) {
      this.onActivity?.();
      this.bytesSent += byteLength(data, encoding);
    }
    const empty = data === undefined || byteLength(data, encoding) === 0;
    if (!this.responded) {
      // The whole response is known: HEADERS with END_STREAM when it has no body and no trailers.
      if (empty && !this.trailers) {
        this.respond(true, false);
        this.done(cb);
        return this;
      }
      this.respond(false, this.trailers !== undefined);
    }
    this.stream.end(empty ? undefined : (data as Buffer), () => this.done(cb));
    return this;
  }

  destroy(error?: Error): this {
    this.stream.destroy(error);
    return this;
  }

  private respond(endStream: boolean, waitForTrailers: boolean): void {
    this.responded = true;
    if (this.stream.headersSent) return; // a trailers-only response sent on the stream directly
    // Copied without HTTP/1.1's connection headers (no delete: it would make the object a slow dictionary for node:http2).
    const headers: OutgoingHeaders = { ':status': this.statusCode };
    const given = this.given;
    for (const k in given) if (k !== 'connection' && k !== 'transfer-encoding' && k !== 'keep-alive') headers[k] = given[k];
    if (waitForTrailers) this.stream.once('wantTrailers', () => this.stream.sendTrailers((this.trailers ?? {}) as http2.OutgoingHttpHeaders));
    this.stream.respond(headers as http2.OutgoingHttpHeaders, { endStream, waitForTrailers });
  }

  private done(cb: (() => void) | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.emit('finish');
    cb?.();
  }
}
