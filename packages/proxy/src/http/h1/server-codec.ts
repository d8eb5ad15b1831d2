// The downstream HTTP/1.1 codec on raw sockets: Node's llhttp parser (llhttp.ts) reading each
// socket's handle in C++, a request object that is the body's Readable, and a response that writes
// its head with the first body bytes in one syscall. It replaces node:http's Server, IncomingMessage
// and ServerResponse on the proxy's request path; the connection manager drives it.
//
// What it guarantees, as node:http did (and Envoy's codec does):
// - strict parsing: smuggling shapes (Content-Length with Transfer-Encoding, two Content-Lengths),
//   invalid request lines, header names and values and chunk sizes are refused 400 and the
//   connection closed; a header block above max_request_headers_kb is refused 431;
// - a request whose head does not arrive within the headers timeout is answered 408 and closed;
//   a keep-alive connection idle for idle_timeout is closed;
// - pipelining one request at a time: requests after the one being answered wait, and the socket is
//   not read while they do, so one connection never buffers more than one read;
// - request bodies stream with backpressure (the socket stops being read while the body's consumer
//   is full); responses are framed by their Content-Length, else chunked (HTTP/1.1) or by the close
//   (HTTP/1.0); HEAD, 204 and 304 responses carry no body;
// - upgrades (an Upgrade header) and CONNECT leave the codec with their socket and the bytes after
//   their head.
import { EventEmitter } from 'node:events';
import { STATUS_CODES } from 'node:http';
import type net from 'node:net';
import { Readable } from 'node:stream';
import { appendHeaderLines, headersFromRaw, type HeaderObject } from './header-block.js';
import { consumeSocket, createParser, handleOf, isParseError, setReading, kOnBody, kOnExecute, kOnHeaders, kOnHeadersComplete, kOnMessageBegin, kOnMessageComplete, METHODS, type ParseError, type Parser } from './llhttp.js';

export interface Http1CodecOptions {
  /** max_request_headers_kb in bytes. */
  readonly maxHeaderSize: number;
  /** From a request's first byte (or a new connection) to its complete head; 0 = none. */
  readonly headersTimeoutMs: number;
  /** A keep-alive connection with no request for this long closes; 0 = never. */
  readonly idleTimeoutMs: number;
  /** Answer `Expect: 100-continue` here (true), or leave it to the request's handler (proxy_100_continue). */
  readonly autoContinue: boolean;
  /** A request to answer; called for one request of a connection at a time, in order. */
  readonly onRequest: (req: Http1ServerRequest, res: Http1ServerResponse) => void;
  /** An upgrade request or CONNECT: the socket is the handler's, with the bytes read after the head. */
  readonly onUpgrade: (req: Http1ServerRequest, socket: net.Socket, head: Buffer) => void;
}

/** The date header's value, made once a second. */
let dateText = '';
let dateSecond = 0;
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** Node's canned answers to a connection it cannot parse, sent only when nothing was answered on it yet. */
function cannedError(code: string): string {
  if (code === 'HPE_HEADER_OVERFLOW') return 'HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n';
  if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') return 'HTTP/1.1 413 Payload Too Large\r\nConnection: close\r\n\r\n';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'HTTP/1.1 408 Request Timeout\r\nConnection: close\r\n\r\n';
  return 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n';
}

const EMPTY: Buffer = Buffer.alloc(0);
/** Below this, a response's head and its first body chunk are copied into one buffer for one write. */
const COALESCE_LIMIT = 16 * 1024;

export class Http1ServerCodec {
  private readonly connections = new Set<Http1Connection>();
  private sweeper: NodeJS.Timeout | undefined;

  constructor(readonly options: Http1CodecOptions) {}

  /** Serves HTTP/1.1 on `socket` from now on (bytes already buffered on it included). */
  attach(socket: net.Socket): void {
    const c = new Http1Connection(this, socket);
    this.connections.add(c);
    socket.once('close', () => {
      this.connections.delete(c);
      c.closed();
    });
    this.startSweeper();
  }

  /** The connection on `socket` is answering or reading no request. */
  isIdle(socket: net.Socket): boolean {
    const c = connectionOf(socket);
    return c === undefined || c.idle;
  }

  /** Closes every connection that carries no request (a drain's sweep). */
  closeIdleConnections(): void {
    for (const c of this.connections) if (c.idle) c.socket.destroy();
  }

  /** Stops the timeout sweep (it starts again with the next connection). */
  close(): void {
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }

  /** One sweep for the headers and idle timeouts of every connection, as node:http checks them. */
  private startSweeper(): void {
    if (this.sweeper) return;
    const { headersTimeoutMs, idleTimeoutMs } = this.options;
    const shortest = Math.min(headersTimeoutMs || Infinity, idleTimeoutMs || Infinity);
    if (!Number.isFinite(shortest)) return;
    const every = Math.min(1000, Math.max(25, Math.floor(shortest / 4)));
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const c of this.connections) c.checkTimeouts(now, headersTimeoutMs, idleTimeoutMs);
    }, every);
    this.sweeper.unref();
  }
}

const CONNECTION = Symbol('weft.http1Connection');
type Tagged = net.Socket & { [CONNECTION]?: Http1Connection };

function connectionOf(socket: net.Socket): Http1Connection | undefined {
  return (socket as Tagged)[CONNECTION];
}

class Http1Connection {
  private readonly parser: Parser;
  /** The request being answered, and the ones parsed behind it. */
  private active: Http1ServerResponse | undefined;
  private readonly waiting: Http1ServerResponse[] = [];
  /** The request whose body the parser is reading (it may be a waiting one). */
  private reading: Http1ServerRequest | undefined;
  /**
   * The active request, handed to onRequest once llhttp has taken the whole read it came in (the
   * callbacks of a consumed socket may run microtasks in between): a request that arrived whole is
   * complete, bodyless or not, when it is routed.
   */
  private toStart: Http1ServerResponse | undefined;
  /** A head that came in parts (kOnHeaders). */
  private partialHeaders: string[] = [];
  private partialUrl = '';
  /** When the head being read started (headers timeout); 0 = none is being read. */
  private headStartedAt: number;
  /** When the connection went idle after a response (idle timeout); 0 = not idle. */
  private idleSince = 0;
  /** Reading paused: by pipelining (waiting requests) and/or by a body consumer that is full. */
  private pausedForPipeline = false;
  private pausedForBody = false;
  /** The parser stopped on an error or an upgrade: nothing more is parsed. */
  private stopped = false;
  /** Responses written on this connection (a parse error after one closes without the canned answer). */
  private answered = 0;
  private upgrade: Http1ServerRequest | undefined;
  /** The client half-closed or sent bytes that do not parse: close once what came before is answered. */
  private endAfterResponses = false;
  private readonly consumed: boolean;

  constructor(
    private readonly codec: Http1ServerCodec,
    readonly socket: net.Socket,
  ) {
    (socket as Tagged)[CONNECTION] = this;
    this.headStartedAt = Date.now();
    const p = (this.parser = createParser('request', codec.options.maxHeaderSize));
    p[kOnMessageBegin] = () => {
      if (this.headStartedAt === 0) this.headStartedAt = Date.now();
      this.idleSince = 0;
    };
    p[kOnHeaders] = (headers: string[], url: string) => {
      for (const h of headers) this.partialHeaders.push(h);
      this.partialUrl += url;
    };
    p[kOnHeadersComplete] = (major: number, minor: number, headers: string[] | undefined, method: number, url: string | undefined, _s: unknown, _m: unknown, upgrade: boolean, keepAlive: boolean) =>
      this.onHead(major, minor, headers, method, url, upgrade, keepAlive);
    p[kOnBody] = (chunk: Buffer) => this.onBody(chunk);
    p[kOnMessageComplete] = () => this.onMessageComplete();
    p[kOnExecute] = (ret: number | ParseError) => this.afterExecute(ret, undefined);
    socket.setNoDelay(true);
    socket.on('error', noop);
    socket.on('drain', () => this.active?.emit('drain'));
    // Bytes the socket already holds in JS (an AUTO connection's first read, put back) come as
    // 'data'; everything after is read by the parser from the handle itself, without JS buffers.
    socket.on('data', (d: Buffer) => this.afterExecute(this.parser.execute(d), d));
    socket.on('end', () => this.onEnd());
    this.consumed = consumeSocket(p, socket);
    socket.resume();
  }

  /** Nothing is being answered or read on this connection. */
  get idle(): boolean {
    return this.active === undefined && this.headStartedAt === 0 && this.upgrade === undefined;
  }

  checkTimeouts(now: number, headersTimeoutMs: number, idleTimeoutMs: number): void {
    if (headersTimeoutMs > 0 && this.headStartedAt !== 0 && this.active === undefined && now - this.headStartedAt >= headersTimeoutMs) {
      this.fail('ERR_HTTP_REQUEST_TIMEOUT');
      return;
    }
    if (idleTimeoutMs > 0 && this.idleSince !== 0 && now - this.idleSince >= idleTimeoutMs) this.socket.destroy();
  }

  private onHead(major: number, minor: number, rawHeaders: string[] | undefined, method: number, url: string | undefined, upgrade: boolean, keepAlive: boolean): 0 | 2 {
    let headers = rawHeaders;
    let target = url;
    if (headers === undefined) {
      headers = this.partialHeaders;
      target = this.partialUrl + (url ?? '');
      this.partialHeaders = [];
      this.partialUrl = '';
    }
    this.headStartedAt = 0;
    const req = new Http1ServerRequest(this, this.socket, METHODS[method] ?? 'GET', target ?? '', major, minor, headers);
    if (upgrade) {
      // An upgrade or CONNECT: the parser stops here; afterExecute hands the socket over.
      this.upgrade = req;
      this.stopped = true;
      return 2;
    }
    this.reading = req;
    const res = new Http1ServerResponse(this, this.socket, req, keepAlive);
    if (this.active === undefined) {
      this.active = res;
      this.idleSince = 0;
      this.toStart = res;
    } else {
      this.waiting.push(res);
      this.pauseFor('pipeline');
    }
    return 0;
  }

  private onBody(chunk: Buffer): void {
    const req = this.reading;
    if (!req) return;
    req.bytesReceived += chunk.length;
    req.onActivity?.();
    if (!req.push(chunk)) this.pauseFor('body');
  }

  private onMessageComplete(): void {
    const req = this.reading;
    if (!req) return;
    this.reading = undefined;
    // Trailers of a chunked body arrive as a header block after it.
    if (this.partialHeaders.length > 0) {
      req.trailers = headersFromRaw(this.partialHeaders);
      this.partialHeaders = [];
    }
    req.complete = true;
    req.push(null);
  }

  /** After the parser ran over a read: a parse error closes; an upgrade leaves with the socket. */
  private afterExecute(ret: number | ParseError, data: Buffer | undefined): void {
    const start = this.toStart;
    if (start) {
      this.toStart = undefined;
      if (!this.socket.destroyed) this.dispatch(start);
    }
    if (isParseError(ret)) {
      this.fail(ret.code);
      return;
    }
    const up = this.upgrade;
    if (up && this.stopped) {
      const buffer = data ?? this.parser.getCurrentBuffer();
      const head = buffer && ret < buffer.length ? buffer.subarray(ret) : EMPTY;
      this.detach();
      this.codec.options.onUpgrade(up, this.socket, head);
    }
  }

  /** The socket leaves the codec (an upgrade): the parser lets go of its handle and its listeners. */
  private detach(): void {
    if (this.consumed) {
      this.parser.unconsume();
      const handle = handleOf(this.socket);
      if (handle) handle._consumed = false;
    }
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('end');
    this.socket.removeAllListeners('drain');
    this.socket.pause();
  }

  private onEnd(): void {
    if (this.stopped) return;
    const r = this.parser.finish();
    if (isParseError(r)) return this.fail(r.code);
    // The client half-closed: answer what it sent, then close (as node:http does without allowHalfOpen).
    if (this.active === undefined) this.socket.end();
    else this.endAfterResponses = true;
  }

  /** A request the codec cannot read: Node's canned answer when nothing was answered yet, then close. */
  private fail(code: string): void {
    if (this.stopped && this.upgrade) return;
    this.stopped = true;
    const active = this.active;
    if (active !== undefined && this.reading !== active.req) {
      // The bad bytes follow the request being answered: answer it and the complete ones behind
      // it, then close (one whose body was cut cannot be answered).
      const cut = this.waiting.findIndex((r) => !r.req.complete);
      if (cut >= 0) this.waiting.length = cut;
      this.endAfterResponses = true;
      this.pauseFor('pipeline');
      return;
    }
    // Nothing answered on the connection yet, or the body of the request being answered is
    // malformed before its response started: Node's canned answer, then the connection closes.
    const untouched = active === undefined ? this.answered === 0 : !active.headersSent;
    if (this.socket.writable && untouched && !this.socket.destroyed) this.socket.write(cannedError(code), 'latin1');
    this.socket.destroy();
  }

  private dispatch(res: Http1ServerResponse): void {
    this.active = res;
    this.idleSince = 0;
    const req = res.req;
    if (this.codec.options.autoContinue && isContinueExpected(req)) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
    this.codec.options.onRequest(req, res);
  }

  /** The active response has been written out. */
  responseDone(res: Http1ServerResponse): void {
    if (this.active !== res) return;
    this.active = undefined;
    this.answered++;
    if (!res.shouldKeepAlive || this.socket.destroyed) {
      this.waiting.length = 0;
      this.socket.end();
      return;
    }
    const next = this.waiting.shift();
    if (next) {
      // On the next turn: the finished response's own listeners run first, as with node:http.
      setImmediate(() => {
        if (!this.socket.destroyed) this.dispatch(next);
      });
      return;
    }
    if (this.endAfterResponses) {
      this.socket.end();
      return;
    }
    this.idleSince = Date.now();
    if (this.pausedForPipeline) {
      this.pausedForPipeline = false;
      if (!this.pausedForBody) this.readStart();
    }
  }

  /** A body consumer wants more: read again unless pipelining holds the socket. */
  bodyWanted(): void {
    if (!this.pausedForBody) return;
    this.pausedForBody = false;
    if (!this.pausedForPipeline && !this.stopped) this.readStart();
  }

  private pauseFor(why: 'pipeline' | 'body'): void {
    if (why === 'pipeline') this.pausedForPipeline = true;
    else this.pausedForBody = true;
    this.readStop();
  }

  private readStop(): void {
    setReading(this.socket, this.consumed, false);
  }

  private readStart(): void {
    setReading(this.socket, this.consumed, true);
  }

  /** The socket closed: requests not yet complete are aborted, responses not yet written close. */
  closed(): void {
    this.idleSince = 0;
    this.headStartedAt = 0;
    this.toStart = undefined;
    const open = this.active ? [this.active, ...this.waiting] : [...this.waiting];
    this.active = undefined;
    this.waiting.length = 0;
    for (const res of open) {
      if (!res.req.complete) res.req.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
      res.socketClosed();
    }
  }
}

function noop(): void {
  // Socket errors end in 'close', which the connection handles.
}

function isContinueExpected(req: Http1ServerRequest): boolean {
  const e = req.headers['expect'];
  return typeof e === 'string' && e.length === 12 && e.toLowerCase() === '100-continue';
}

/** A request's head as node:http's IncomingMessage showed it, and its body as the stream's data. */
export class Http1ServerRequest extends Readable {
  readonly headers: HeaderObject;
  readonly httpVersion: string;
  complete = false;
  bytesReceived = 0;
  trailers: HeaderObject = {};
  /** Bytes moved on the stream (stream_idle_timeout); set only when that timeout is on. */
  onActivity: (() => void) | undefined;

  constructor(
    private readonly connection: Http1Connection,
    readonly socket: net.Socket,
    readonly method: string,
    readonly url: string,
    readonly httpVersionMajor: number,
    readonly httpVersionMinor: number,
    readonly rawHeaders: string[],
  ) {
    // Not destroyed after its end (no 'close' turn per request); a connection that closes first destroys it.
    super({ autoDestroy: false });
    this.headers = headersFromRaw(rawHeaders);
    this.httpVersion = `${httpVersionMajor}.${httpVersionMinor}`;
  }

  /** No body at all, and none to come (a GET without Content-Length). */
  get bodyless(): boolean {
    return this.complete && this.bytesReceived === 0;
  }

  override _read(): void {
    this.connection.bodyWanted();
  }
}

type WriteCallback = (error?: Error | null) => void;

/**
 * A response on one connection: writeHead/write/end as ServerResponse's, 'finish' once its last
 * bytes are handed to the socket, 'close' after that or when the connection goes first.
 */
export class Http1ServerResponse extends EventEmitter {
  statusCode = 200;
  statusMessage: string | undefined;
  headersSent = false;
  writableEnded = false;
  finished = false;
  bytesSent = 0;
  /** Epoch ms when the head was written; undefined before. */
  headersSentAt: number | undefined;
  /** The connection stays open after this response (false: `connection: close`, then closed). */
  shouldKeepAlive: boolean;
  onActivity: (() => void) | undefined;
  /** Called once just before the head is written (a draining listener may set shouldKeepAlive). */
  beforeHead: (() => void) | undefined;
  private given: HeaderObject | undefined;
  /** The head without its framing and connection lines, until the first bytes go out. */
  private head: string | undefined;
  private hasBody = true;
  private chunked = false;
  private lengthGiven = false;
  private trailers: HeaderObject | undefined;
  private closedEmitted = false;
  private destroyedHere = false;

  constructor(
    private readonly connection: Http1Connection | undefined,
    readonly socket: net.Socket,
    readonly req: Http1ServerRequest,
    keepAlive: boolean,
  ) {
    super();
    this.shouldKeepAlive = keepAlive;
  }

  /** A response on a socket the codec gave up (an upgrade or CONNECT): it closes the socket when done. */
  static detached(socket: net.Socket, req: Http1ServerRequest): Http1ServerResponse {
    const res = new Http1ServerResponse(undefined, socket, req, false);
    socket.once('close', () => res.socketClosed());
    return res;
  }

  get destroyed(): boolean {
    return this.destroyedHere || this.socket.destroyed;
  }

  get writable(): boolean {
    return !this.writableEnded && !this.destroyed;
  }

  writeHead(statusCode: number, a?: string | HeaderObject, b?: HeaderObject): this {
    if (this.headersSent) throw Object.assign(new Error('Cannot write headers after they are sent to the client'), { code: 'ERR_HTTP_HEADERS_SENT' });
    const headers = typeof a === 'string' ? b : a;
    if (typeof a === 'string') this.statusMessage = a;
    if (this.headersSentAt === undefined) this.beforeHead?.();
    const reason = this.statusMessage ?? STATUS_CODES[statusCode] ?? 'unknown';
    // Serialised now, so that a bad header fails here (the caller can still answer 500).
    const head = appendHeaderLines(`HTTP/1.1 ${statusCode} ${reason}\r\n`, headers ?? {});
    this.statusCode = statusCode;
    this.given = headers;
    this.head = head;
    this.headersSent = true;
    this.headersSentAt = Date.now();
    const method = this.req.method;
    this.hasBody = method !== 'HEAD' && statusCode !== 204 && statusCode !== 304 && !(statusCode >= 100 && statusCode < 200);
    this.lengthGiven = headers?.['content-length'] !== undefined;
    return this;
  }

  /** A response header as sent (lower-case name). */
  sentHeader(name: string): string | undefined {
    const v = this.given?.[name];
    if (v === undefined) return undefined;
    return Array.isArray(v) ? v.join(',') : String(v);
  }

  getHeader(name: string): string | string[] | undefined {
    return this.given?.[name];
  }

  writeContinue(): void {
    if (!this.socket.destroyed) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n', 'latin1');
  }

  addTrailers(trailers: HeaderObject): void {
    this.trailers = trailers;
  }

  write(chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    if (this.writableEnded || this.destroyed) return false;
    const data = toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined);
    const cb = typeof encoding === 'function' ? encoding : callback;
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.onActivity?.();
    if (!this.hasBody || data.length === 0) {
      if (this.head !== undefined) this.flushHead(false, undefined);
      if (cb) process.nextTick(cb);
      return true;
    }
    this.bytesSent += data.length;
    if (this.head !== undefined) return this.flushHead(false, data, cb);
    return this.writeBody(data, cb);
  }

  end(chunk?: unknown, encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    if (this.writableEnded) return this;
    const cb = typeof chunk === 'function' ? (chunk as () => void) : typeof encoding === 'function' ? encoding : callback;
    const data = chunk === undefined || typeof chunk === 'function' || chunk === null ? EMPTY : toBuffer(chunk, typeof encoding === 'string' ? encoding : undefined);
    if (!this.headersSent) this.writeHead(this.statusCode);
    this.writableEnded = true;
    if (this.destroyed) return this;
    if (data.length > 0) this.onActivity?.();
    const body = this.hasBody ? data : EMPTY;
    this.bytesSent += body.length;
    const done = () => this.finish(cb);
    if (this.head !== undefined) {
      this.flushHead(true, body, done);
      return this;
    }
    if (this.chunked) {
      const tail = `0\r\n${appendHeaderLines('', this.trailers ?? {})}\r\n`;
      if (body.length > 0) {
        this.socket.cork();
        this.socket.write(`${body.length.toString(16)}\r\n`, 'latin1');
        this.socket.write(body);
        this.socket.write(`\r\n${tail}`, 'latin1', done);
        this.socket.uncork();
      } else this.socket.write(tail, 'latin1', done);
      return this;
    }
    if (body.length > 0) this.socket.write(body, done);
    else done();
    return this;
  }

  destroy(error?: Error): this {
    if (this.destroyedHere) return this;
    this.destroyedHere = true;
    this.socket.destroy(error);
    return this;
  }

  /** The connection went away (or this detached socket closed). */
  socketClosed(): void {
    this.emitClose();
  }

  private finish(cb: (() => void) | undefined): void {
    if (this.finished) return;
    this.finished = true;
    this.emit('finish');
    cb?.();
    if (this.connection) this.connection.responseDone(this);
    else this.socket.end();
    this.emitClose();
  }

  private emitClose(): void {
    if (this.closedEmitted) return;
    this.closedEmitted = true;
    this.emit('close');
  }

  /**
   * The head goes out with the first body bytes. Its framing is decided here: Content-Length as
   * given; else, for a response ended with all its body, that body's length; else chunked on
   * HTTP/1.1 and the connection's close on HTTP/1.0.
   */
  private flushHead(last: boolean, body: Buffer | undefined, cb?: WriteCallback): boolean {
    let head = this.head!;
    this.head = undefined;
    if (this.hasBody && !this.lengthGiven) {
      if (last) head += `content-length: ${body?.length ?? 0}\r\n`;
      else if (this.req.httpVersionMinor >= 1 && this.req.httpVersionMajor === 1) {
        head += 'transfer-encoding: chunked\r\n';
        this.chunked = true;
      } else this.shouldKeepAlive = false;
    }
    head += this.shouldKeepAlive ? 'connection: keep-alive\r\n' : 'connection: close\r\n';
    if (this.given?.['date'] === undefined) head += `date: ${httpDate()}\r\n`;
    head += '\r\n';
    const socket = this.socket;
    if (!body || body.length === 0) {
      if (last && this.chunked) head += `0\r\n\r\n`;
      return socket.write(head, 'latin1', cb);
    }
    if (this.chunked) {
      socket.cork();
      socket.write(`${head}${body.length.toString(16)}\r\n`, 'latin1');
      socket.write(body);
      const ok = socket.write(last ? `\r\n0\r\n${appendHeaderLines('', this.trailers ?? {})}\r\n` : '\r\n', 'latin1', cb);
      socket.uncork();
      return ok;
    }
    if (body.length <= COALESCE_LIMIT) {
      const headLength = head.length;
      const out = Buffer.allocUnsafe(headLength + body.length);
      out.write(head, 0, headLength, 'latin1');
      body.copy(out, headLength);
      return socket.write(out, cb);
    }
    socket.cork();
    socket.write(head, 'latin1');
    const ok = socket.write(body, cb);
    socket.uncork();
    return ok;
  }

  private writeBody(data: Buffer, cb: WriteCallback | undefined): boolean {
    const socket = this.socket;
    if (!this.chunked) return socket.write(data, cb);
    socket.cork();
    socket.write(`${data.length.toString(16)}\r\n`, 'latin1');
    socket.write(data);
    const ok = socket.write('\r\n', 'latin1', cb);
    socket.uncork();
    return ok;
  }
}

function toBuffer(chunk: unknown, encoding: BufferEncoding | undefined): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, encoding ?? 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  return EMPTY;
}
