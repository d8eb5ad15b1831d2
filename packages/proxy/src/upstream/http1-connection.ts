// One HTTP/1.1 connection of an upstream pool, on a raw net/tls socket with Node's own llhttp
// parser (http/h1/llhttp.ts): it writes a request head and body, parses the response, and hands the
// body on as a light Readable. One exchange at a time; everything an exchange needs lives on the
// connection (no per-request objects beyond the promise and the response body), the socket's
// listeners are installed once, and the pool (http1-pool.ts) decides what happens between exchanges.
import type net from 'node:net';
import { Readable } from 'node:stream';
import { headersFromRaw, type HeaderObject } from '../http/h1/header-block.js';
import { consumeSocket, createParser, HTTPParser, isParseError, kOnBody, kOnExecute, kOnHeaders, kOnHeadersComplete, kOnMessageComplete, setReading, type ParseError, type Parser } from '../http/h1/llhttp.js';
import { classify, UpstreamError, type UpstreamFailure, type UpstreamResponse } from './pool-types.js';
import type { CancelSignal } from './cancellation.js';

/** How a request body goes up: none, as is (the request has a content-length), or chunked. */
export const enum BodyFraming {
  None,
  Length,
  Chunked,
}

/** What the pool learns from its connections. */
export interface ConnectionOwner {
  /** The exchange is over; the connection is reusable (or must close) and `holdsUnit` says whether a `connections` unit goes back. */
  exchangeDone(conn: Http1Connection, holdsUnit: boolean, reusable: boolean): void;
  /** The socket closed (the connection is gone from the pool). */
  closed(conn: Http1Connection): void;
}

/** What one exchange sends besides its head. */
export interface Outgoing {
  readonly body: NodeJS.ReadableStream | undefined;
  readonly framing: BodyFraming;
  /** The request's content-length (Length framing): the body must be exactly this long. */
  readonly length: number;
  /** A response to it has no body (HEAD). */
  readonly noResponseBody: boolean;
  /** The request said `connection: close`: no reuse after it. */
  readonly close: boolean;
  readonly onContinue: (() => void) | undefined;
}

/**
 * The response body. Slices from llhttp are pushed as they come (Node's IncomingMessage keeps the
 * same slices); when the consumer is behind, the socket stops reading until `_read` asks for more.
 * Chunked trailers are on `trailers` (lower-case names) before 'end'.
 */
export class ResponseBody extends Readable {
  trailers: HeaderObject | undefined;
  /** The whole body has arrived (it may still be buffered here). */
  arrived = false;

  constructor(
    /** The connection while the body is still arriving; undefined once it is complete or cut. */
    public conn: Http1Connection | undefined,
  ) {
    // Not destroyed after its end (no 'close' turn per response): the router reads readableEnded.
    super({ autoDestroy: false });
  }

  override _read(): void {
    this.conn?.resumeReading();
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    const conn = this.conn;
    this.conn = undefined;
    // Destroyed before its end (the router resets the stream): the connection closes.
    conn?.bodyDestroyed();
    // As IncomingMessage: the error is emitted only to a listener (a mirror's body has none).
    cb(err && this.listenerCount('error') > 0 ? err : null);
  }
}

type OwnedParser = Parser & { conn: Http1Connection };

const LAST_CHUNK = '0\r\n\r\n';
const CRLF = '\r\n';

/** A chunk as bytes (a body stream may yield strings). */
const bytes = (c: Buffer | string): Buffer => (typeof c === 'string' ? Buffer.from(c) : c);

export class Http1Connection {
  /** The socket is up (TCP, and the TLS handshake for a TLS one). */
  connected = false;
  closed = false;
  /** Requests sent on it, for max_requests_per_connection. */
  uses = 0;
  /** Draining (max_connection_duration, max_requests_per_connection): closes after the exchange in flight. */
  retiring = false;
  /** The pool's: when it last went idle (idle_timeout), and its max_connection_duration timer. */
  idleSince = 0;
  durationTimer: NodeJS.Timeout | undefined;
  private connectTimer: NodeJS.Timeout | undefined;
  private readonly parser: OwnedParser;
  /** The error the socket reported, for the failure its close causes. */
  private socketError: Error | undefined;

  // The exchange in flight (busy), reset when it ends.
  busy = false;
  private resolve: ((r: UpstreamResponse) => void) | undefined;
  /**
   * A response head parsed but not handed over yet: it goes to the router once llhttp has taken the
   * whole read (the callbacks of a consumed socket may run microtasks in between), so that a small
   * response is whole by the time the router looks at its body.
   */
  private headReady: UpstreamResponse | undefined;
  private deliver: ((r: UpstreamResponse) => void) | undefined;
  private reject: ((e: Error) => void) | undefined;
  private signal: CancelSignal | undefined;
  private holdsUnit = false;
  private out: Outgoing | undefined;
  /** Request body bytes still to send (Length framing). */
  private remaining = 0;
  private requestDone = false;
  /** The request body is paused until the socket drains. */
  private bodyPaused = false;
  /** The head is corked until the first body chunk (or the next turn of the event loop). */
  private corked = false;
  private response: ResponseBody | undefined;
  private responseDone = false;
  private keepAlive = false;
  /** Inside a 1xx response, whose completion is not the exchange's. */
  private informational = false;
  /** Header lines llhttp handed over in parts (a large head, or trailers). */
  private parts: string[] | undefined;
  /** Why response bytes came that no request asked for: the connection is unusable. */
  private stray: string | undefined;
  /** The socket is paused because the response body's consumer is behind. */
  private readPaused = false;
  /** llhttp reads the socket's handle itself (no JS Buffer, 'data' or stream turn per read). */
  private consumed = false;

  constructor(
    readonly socket: net.Socket,
    private readonly owner: ConnectionOwner,
    private readonly secure: boolean,
    connectTimeoutMs: number,
    maxHeaderSize: number,
  ) {
    this.parser = createParser('response', maxHeaderSize) as OwnedParser;
    this.parser.conn = this;
    this.parser[HTTPParser.kOnMessageBegin] = onMessageBegin;
    this.parser[kOnHeaders] = onHeaders;
    this.parser[kOnHeadersComplete] = onHeadersComplete;
    this.parser[kOnBody] = onBody;
    this.parser[kOnMessageComplete] = onMessageComplete;
    this.parser[kOnExecute] = onExecute;
    this.connectTimer = setTimeout(onConnectTimeout, connectTimeoutMs, this);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      this.connected = true;
      clearTimeout(this.connectTimer);
      // From the first response byte on, the parser reads the handle; 'end', errors and close still
      // come through the socket. (A TLS socket's handle may not allow it: then 'data' feeds the parser.)
      this.consumed = consumeSocket(this.parser, socket);
    });
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('end', () => this.onEnd());
    socket.on('error', (e: Error) => (this.socketError ??= e));
    socket.on('drain', () => this.onDrain());
    socket.on('close', () => this.onClose());
  }

  /** Open and not being closed: it may take a request. */
  get usable(): boolean {
    return !this.closed && !this.socket.destroyed;
  }

  /** Sends one request (its head already serialised); resolves on the response head. */
  send(head: string, out: Outgoing, signal: CancelSignal, holdsUnit: boolean): Promise<UpstreamResponse> {
    const socket = this.socket;
    this.busy = true;
    this.out = out;
    this.signal = signal;
    this.holdsUnit = holdsUnit;
    this.remaining = out.length;
    this.requestDone = out.body === undefined || (out.framing === BodyFraming.Length && out.length === 0);
    this.responseDone = false;
    this.uses++;
    socket.ref();
    const p = new Promise<UpstreamResponse>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // The connection itself is the abort listener (handleEvent): no closure per request.
    signal.addEventListener('abort', this);
    const body = out.body;
    if (!body) {
      socket.write(head, 'latin1');
      return p;
    }
    // Head and a small first body chunk go out in one write; a body slow to start is not waited for.
    socket.cork();
    this.corked = true;
    socket.write(head, 'latin1');
    setImmediate(uncorkLater, this);
    body.on('data', this.onBodyData);
    body.on('end', this.onBodyEnd);
    body.on('error', this.onBodyError);
    return p;
  }

  /** The exchange's signal fired (route or per-try timeout, or the downstream left). */
  handleEvent(): void {
    this.fail('timeout', new Error('upstream request timeout'));
  }

  uncork(): void {
    if (!this.corked) return;
    this.corked = false;
    this.socket.uncork();
  }

  private readonly onBodyData = (chunk: Buffer | string): void => {
    const out = this.out;
    if (!out) return;
    const data = bytes(chunk);
    const socket = this.socket;
    let ok: boolean;
    if (out.framing === BodyFraming.Chunked) {
      // An empty chunk would be the last one.
      if (data.length === 0) return;
      socket.cork();
      socket.write(`${data.length.toString(16)}\r\n`, 'latin1');
      socket.write(data);
      ok = socket.write(CRLF, 'latin1');
      socket.uncork();
    } else {
      this.remaining -= data.length;
      // More than the content-length said: the next request would be read from the excess.
      if (this.remaining < 0) return this.fail('reset', new Error('request body longer than its content-length'));
      ok = socket.write(data);
      // All the content-length said: the upstream may answer before the stream's 'end'.
      if (this.remaining === 0) this.requestDone = true;
    }
    this.uncork();
    if (!ok) {
      this.bodyPaused = true;
      out.body?.pause();
    }
  };

  private readonly onBodyEnd = (): void => {
    const out = this.out;
    if (!out) return;
    if (out.framing === BodyFraming.Chunked) this.socket.write(LAST_CHUNK, 'latin1');
    else if (this.remaining !== 0) return this.fail('reset', new Error('request body shorter than its content-length'));
    this.uncork();
    this.detachBody();
    this.requestDone = true;
  };

  private readonly onBodyError = (e: Error): void => this.fail('reset', e);

  private onDrain(): void {
    if (!this.bodyPaused) return;
    this.bodyPaused = false;
    this.out?.body?.resume();
  }

  private detachBody(): void {
    const body = this.out?.body;
    if (!body) return;
    body.removeListener('data', this.onBodyData);
    body.removeListener('end', this.onBodyEnd);
    body.removeListener('error', this.onBodyError);
    this.bodyPaused = false;
  }

  private onData(d: Buffer): void {
    // Bytes on an idle connection answer nothing that was asked: it cannot be trusted any more.
    if (!this.busy || this.closed) {
      this.socket.destroy();
      return;
    }
    this.parsed(this.parser.execute(d));
  }

  /** After llhttp ran over a read, from 'data' or from the handle it consumes. */
  parsed(r: number | ParseError): void {
    if (!this.busy || this.closed) {
      this.socket.destroy();
      return;
    }
    if (isParseError(r)) this.fail('reset', parseFailure(r));
    else this.afterParse();
  }

  /** After llhttp has taken a buffer: an exchange whose response is complete ends. */
  private afterParse(): void {
    this.deliverHead();
    if (this.stray) return this.fail('reset', new Error(this.stray));
    if (!this.responseDone) return;
    // Reused only when llhttp says keep-alive and the request went out whole (a response that came
    // before the end of its request leaves the upstream in the middle of reading it).
    this.endExchange(this.keepAlive && this.requestDone && this.out?.close === false);
  }

  private onEnd(): void {
    if (!this.busy) {
      this.socket.destroy();
      return;
    }
    // The upstream closed: a body delimited by the close is complete now, anything else is cut.
    const r = this.parser.finish();
    if (isParseError(r)) return this.fail('reset', parseFailure(r));
    this.keepAlive = false;
    this.afterParse();
    if (this.busy) this.fail('reset', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
  }

  private onClose(): void {
    this.closed = true;
    clearTimeout(this.connectTimer);
    if (this.busy) {
      const e = this.socketError ?? Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      this.fail(this.connected ? 'reset' : this.secure ? 'connect-failure' : classify(e as NodeJS.ErrnoException), e);
    }
    this.parser.close();
    this.owner.closed(this);
  }

  /**
   * Ends the exchange in flight with `failure`: before the head its promise rejects, after it the
   * body emits the error; the connection closes. `failure` is the reason before the head: an
   * aborted signal makes it a timeout.
   */
  fail(failure: UpstreamFailure, e: Error): void {
    if (!this.busy) return;
    const reject = this.reject;
    if (reject) {
      this.resolve = this.reject = undefined;
      const why = this.signal?.aborted ? 'timeout' : failure;
      reject(new UpstreamError(why, why === 'timeout' ? 'upstream request timeout' : e.message));
    } else {
      const body = this.response;
      if (body && !this.responseDone) {
        body.conn = undefined;
        // Not now: the consumer that got the head a few promise turns ago may not listen yet.
        setImmediate(cutBody, body, e);
      }
    }
    this.endExchange(false);
  }

  private deliverHead(): void {
    const head = this.headReady;
    const deliver = this.deliver;
    if (!head || !deliver) return;
    this.headReady = undefined;
    this.deliver = undefined;
    deliver(head);
  }

  /** The router destroyed the body before its end (Envoy resets the stream): the connection closes. */
  bodyDestroyed(): void {
    this.fail('reset', new Error('response body destroyed'));
  }

  resumeReading(): void {
    if (!this.readPaused) return;
    this.readPaused = false;
    setReading(this.socket, this.consumed, true);
  }

  private endExchange(reusable: boolean): void {
    // A head already parsed is the router's (a failure after it reaches the router as the body's error).
    this.deliverHead();
    this.detachBody();
    this.uncork();
    this.signal?.removeEventListener('abort', this);
    const holdsUnit = this.holdsUnit;
    this.busy = false;
    this.out = undefined;
    this.signal = undefined;
    this.resolve = this.reject = undefined;
    this.response = undefined;
    this.parts = undefined;
    this.informational = false;
    this.holdsUnit = false;
    // An idle connection reads (and so sees the upstream close it) whatever its last body did.
    this.resumeReading();
    if (!reusable) this.socket.destroy();
    this.owner.exchangeDone(this, holdsUnit, reusable && !this.closed);
  }

  // llhttp's callbacks, through the parser's `conn`.

  messageBegin(): void {
    if (!this.busy || this.responseDone) this.stray = 'upstream sent a response no request asked for';
  }

  addParts(raw: string[]): void {
    if (this.parts) for (const h of raw) this.parts.push(h);
    else this.parts = raw;
  }

  head(raw: string[] | undefined, status: number, upgrade: boolean, shouldKeepAlive: boolean): 0 | 1 {
    const headers = raw ?? this.parts ?? [];
    this.parts = undefined;
    const resolve = this.resolve;
    // A second response, or one after a failure: nothing asked for it.
    if (!resolve || this.stray) {
      this.stray ??= 'upstream sent a response no request asked for';
      return 1;
    }
    if (upgrade) {
      // No request through the pool asks for a protocol switch (upgrades have their own connection).
      this.stray = 'upstream switched protocols unasked';
      return 1;
    }
    if (status < 200) {
      // 100 Continue tells the downstream to send its body; other 1xx are dropped, as Envoy does.
      this.informational = true;
      if (status === 100) this.out?.onContinue?.();
      return 1;
    }
    this.keepAlive = shouldKeepAlive;
    const body = new ResponseBody(this);
    this.response = body;
    this.resolve = this.reject = undefined;
    this.headReady = { status, headers: headersFromRaw(headers), body };
    this.deliver = resolve;
    return this.out?.noResponseBody ? 1 : 0;
  }

  bodySlice(b: Buffer): void {
    const body = this.response;
    if (body?.conn === this && !body.push(b) && !this.readPaused) {
      this.readPaused = true;
      setReading(this.socket, this.consumed, false);
    }
  }

  messageComplete(): void {
    if (this.informational) {
      this.informational = false;
      return;
    }
    const body = this.response;
    if (!body || this.responseDone) return;
    this.responseDone = true;
    if (this.parts) {
      body.trailers = headersFromRaw(this.parts);
      this.parts = undefined;
    }
    body.conn = undefined;
    body.arrived = true;
    body.push(null);
  }
}

/**
 * The whole of an HTTP/1.1 response body that has arrived and that nothing reads yet, taken off the
 * stream (null: it is empty); undefined when it is not such a body (still arriving, read by someone
 * else, or another kind of stream).
 */
export function wholeBody(body: unknown): Buffer | null | undefined {
  if (!(body instanceof ResponseBody) || !body.arrived || body.destroyed || body.readableFlowing !== null || body.listenerCount('data') > 0) return undefined;
  return body.read() as Buffer | null;
}

function onMessageBegin(this: OwnedParser): void {
  this.conn.messageBegin();
}

function onHeaders(this: OwnedParser, raw: string[]): void {
  this.conn.addParts(raw);
}

function onHeadersComplete(this: OwnedParser, _major: number, _minor: number, raw: string[] | undefined, _method: unknown, _url: unknown, status: number, _message: unknown, upgrade: boolean, shouldKeepAlive: boolean): 0 | 1 {
  return this.conn.head(raw, status, upgrade, shouldKeepAlive);
}

function onBody(this: OwnedParser, b: Buffer): void {
  this.conn.bodySlice(b);
}

function onMessageComplete(this: OwnedParser): void {
  this.conn.messageComplete();
}

function onExecute(this: OwnedParser, r: number | ParseError): void {
  this.conn.parsed(r);
}

function onConnectTimeout(conn: Http1Connection): void {
  if (!conn.connected) conn.socket.destroy(Object.assign(new Error('connect timeout'), { code: 'ECONNECT_TIMEOUT' }));
}

function cutBody(body: ResponseBody, e: Error): void {
  body.destroy(e);
}

/** llhttp's error with its reason and code in the message (logged as the upstream failure). */
function parseFailure(e: ParseError): Error {
  return Object.assign(new Error(`upstream response parse error: ${e.reason ?? e.message} (${e.code})`), { code: e.code });
}

function uncorkLater(conn: Http1Connection): void {
  conn.uncork();
}
