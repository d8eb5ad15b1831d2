// The ADS calls' transport: gRPC over HTTP/2 (grpc/doc/PROTOCOL-HTTP2.md) on node:http2, for the two
// bidirectional streaming methods of AggregatedDiscoveryService, and the same call shape over a
// grpc-js server (addTo). Served here directly so that one encoded response, framed once, is written
// to every stream that shares it: grpc-js copies each message into a new buffer per stream, and a
// 600 KB RouteConfiguration pushed to 2,000 sidecars made 1.2 GB of short-lived buffers whose garbage
// collection cost as much as the push.
import type { AddressInfo } from 'node:net';
import * as http2 from 'node:http2';
import { gunzipSync, inflateSync } from 'node:zlib';
import type * as grpc from '@grpc/grpc-js';
import { ADS_SERVICE } from '@weft/api';
import type { Logger } from '@weft/base';

/** gRPC status codes used here (grpc/doc/statuscodes.md). */
export const GrpcStatus = {
  OK: 0,
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  RESOURCE_EXHAUSTED: 8,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

export type AdsMethod = 'StreamAggregatedResources' | 'DeltaAggregatedResources';

/** One ADS call as the server's streams see it, whichever transport carries it. */
export interface AdsCall<Res> {
  /** `address:port` of the client. */
  readonly peer: string;
  /** True once the call takes no more messages (ended, failed, cancelled). */
  readonly done: boolean;
  /** Writes one response; `flushed` is called once it was handed to the socket, or dropped. */
  write(response: Res, flushed: () => void): void;
  /** Ends the call with a status other than OK. */
  fail(code: number, details: string): void;
  /** Ends the call with OK (after the client half-closed). */
  finish(): void;
  /** Ends the call at once, dropping what is still buffered for it (the client is not reading). */
  abort(details: string): void;
}

/** What a transport tells the server about an opened call. */
export interface CallSink<Req> {
  request(request: Req): void;
  /** The call is over: the client half-closed (no error), cancelled, or the transport failed. */
  end(error?: Error): void;
}

/** The server side: opens a stream for a call, or refuses the method (UNIMPLEMENTED). */
export interface AdsHandler {
  open(method: AdsMethod, call: AdsCall<object>): CallSink<object> | undefined;
  /** Decodes a request message of `method` (throws on bad bytes). */
  decode(method: AdsMethod, bytes: Buffer): object;
  /** A response, gRPC-framed (5-byte prefix and message): shared responses are framed once for every stream. */
  frame(method: AdsMethod, response: object): Buffer;
}

export interface Http2TransportOptions {
  readonly logger: Logger;
  /** Largest request message accepted (default 4 MiB, as gRPC's default and Istio's); larger: RESOURCE_EXHAUSTED. */
  readonly maxReceiveMessageBytes?: number;
  /** Largest response message sent (default unlimited); larger fails the call with RESOURCE_EXHAUSTED. */
  readonly maxSendMessageBytes?: number;
}

export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 4 * 1024 * 1024;

const METHODS: ReadonlyMap<string, AdsMethod> = new Map([
  [`/${ADS_SERVICE}/StreamAggregatedResources`, 'StreamAggregatedResources'],
  [`/${ADS_SERVICE}/DeltaAggregatedResources`, 'DeltaAggregatedResources'],
]);

const ACCEPT_ENCODING = 'identity,deflate,gzip';

/** grpc-message is percent-encoded: everything outside printable ASCII, and '%' itself. */
export function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of Buffer.from(message, 'utf8')) {
    out += byte >= 0x20 && byte <= 0x7e && byte !== 0x25 ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const TIMEOUT_UNITS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout (`1S`, `500m`...) in milliseconds; undefined when absent, NaN when malformed. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value);
  if (!m) return Number.NaN;
  return Number(m[1]) * (TIMEOUT_UNITS[m[2] as string] as number);
}

function peerOf(stream: http2.ServerHttp2Stream): string {
  const socket = stream.session?.socket;
  const address = socket?.remoteAddress;
  if (!address) return 'unknown';
  const host = address.includes(':') ? `[${address}]` : address;
  return socket.remotePort ? `${host}:${socket.remotePort}` : host;
}

/** Splits the request body into gRPC messages (1-byte flag, 4-byte length, message), bounded. */
export class MessageReader {
  private header = Buffer.alloc(5);
  private headerHave = 0;
  private body: Buffer | undefined;
  private bodyHave = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly onMessage: (compressed: boolean, bytes: Buffer) => void,
    private readonly onError: (code: number, details: string) => void,
  ) {}

  /** Feeds one chunk; stops at the first error (reported once). */
  push(chunk: Buffer): boolean {
    let pos = 0;
    while (pos < chunk.length) {
      if (this.body === undefined) {
        const take = Math.min(5 - this.headerHave, chunk.length - pos);
        chunk.copy(this.header, this.headerHave, pos, pos + take);
        this.headerHave += take;
        pos += take;
        if (this.headerHave < 5) return true;
        const flag = this.header[0] as number;
        const length = this.header.readUInt32BE(1);
        if (flag > 1) {
          this.onError(GrpcStatus.INTERNAL, `invalid gRPC message flag ${flag}`);
          return false;
        }
        if (length > this.maxBytes) {
          this.onError(GrpcStatus.RESOURCE_EXHAUSTED, `Received message larger than max (${length} vs. ${this.maxBytes})`);
          return false;
        }
        this.headerHave = 0;
        // A message wholly inside this chunk is decoded in place; one split across chunks is gathered.
        if (chunk.length - pos >= length) {
          const message = chunk.subarray(pos, pos + length);
          pos += length;
          this.onMessage(flag === 1, message);
          continue;
        }
        this.body = Buffer.allocUnsafe(length);
        this.bodyHave = 0;
      }
      const take = Math.min(this.body.length - this.bodyHave, chunk.length - pos);
      chunk.copy(this.body, this.bodyHave, pos, pos + take);
      this.bodyHave += take;
      pos += take;
      if (this.bodyHave === this.body.length) {
        const message = this.body;
        this.body = undefined;
        this.onMessage(this.header[0] === 1, message);
      }
    }
    return true;
  }

  /** True when a message was cut off by the end of the stream. */
  get partial(): boolean {
    return this.headerHave > 0 || this.body !== undefined;
  }
}

class Http2AdsCall implements AdsCall<object> {
  readonly peer: string;
  private headersSent = false;
  private ended = false;
  private trailers: http2.OutgoingHttpHeaders | undefined;

  constructor(
    private readonly stream: http2.ServerHttp2Stream,
    private readonly method: AdsMethod,
    private readonly handler: AdsHandler,
    private readonly maxSendBytes: number,
  ) {
    this.peer = peerOf(stream);
    stream.on('wantTrailers', () => {
      // Set by end() before it ends the stream; node:http2 waits for one or the other.
      if (this.trailers) stream.sendTrailers(this.trailers);
      else stream.close();
    });
  }

  get done(): boolean {
    return this.ended || this.stream.destroyed || this.stream.closed;
  }

  write(response: object, flushed: () => void): void {
    if (this.done) return flushed();
    const bytes = this.handler.frame(this.method, response);
    if (bytes.length - 5 > this.maxSendBytes) {
      this.fail(GrpcStatus.RESOURCE_EXHAUSTED, `Sent message larger than max (${bytes.length - 5} vs. ${this.maxSendBytes})`);
      return flushed();
    }
    if (!this.headersSent) {
      this.headersSent = true;
      this.stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-accept-encoding': ACCEPT_ENCODING }, { waitForTrailers: true });
    }
    // The buffer may be shared with other streams: node:http2 sends from it without copying or changing it.
    this.stream.write(bytes, () => flushed());
  }

  fail(code: number, details: string): void {
    this.end(code, details);
  }

  finish(): void {
    this.end(GrpcStatus.OK, '');
  }

  abort(): void {
    if (this.done) return;
    this.ended = true;
    // RST_STREAM: trailers would only queue behind the data the client does not read.
    this.stream.close(http2.constants.NGHTTP2_CANCEL);
  }

  private end(code: number, details: string): void {
    if (this.done) return;
    this.ended = true;
    const status = statusFields(code, details);
    if (!this.headersSent) {
      this.headersSent = true;
      trailersOnly(this.stream, status);
      return;
    }
    this.trailers = status;
    this.stream.end();
  }
}

/** grpc-status and, when there is one, grpc-message: the trailers of a call, or its Trailers-Only answer. */
function statusFields(code: number, details: string): http2.OutgoingHttpHeaders {
  return { 'grpc-status': String(code), ...(details ? { 'grpc-message': encodeGrpcMessage(details) } : {}) };
}

/** Trailers-Only: one HEADERS frame with the status, ending the stream. */
function trailersOnly(stream: http2.ServerHttp2Stream, status: http2.OutgoingHttpHeaders): void {
  stream.respond({ ':status': 200, 'content-type': 'application/grpc', ...status }, { endStream: true });
}

/** A Trailers-Only answer for a call that is refused before it starts. */
function refuse(stream: http2.ServerHttp2Stream, code: number, details: string, extra: http2.OutgoingHttpHeaders = {}): void {
  if (stream.destroyed || stream.headersSent) return;
  trailersOnly(stream, { ...statusFields(code, details), ...extra });
}

/** An HTTP/2 (h2c) server for the ADS methods only. */
export class Http2AdsTransport {
  private readonly server: http2.Http2Server;
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  private readonly maxReceive: number;
  private readonly maxSend: number;

  constructor(
    private readonly handler: AdsHandler,
    private readonly options: Http2TransportOptions,
  ) {
    this.maxReceive = options.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
    this.maxSend = options.maxSendMessageBytes ?? Number.POSITIVE_INFINITY;
    // No per-session memory cap (grpc-js does the same): node:http2 otherwise refuses new streams on a
    // session whose queued responses pass 10 MB, which a push of large RDS to a busy connection does.
    this.server = http2.createServer({ maxSessionMemory: Number.MAX_SAFE_INTEGER, maxSendHeaderBlockLength: Number.MAX_SAFE_INTEGER });
    this.server.on('session', (session) => {
      this.sessions.add(session);
      session.on('close', () => this.sessions.delete(session));
      session.on('error', (e) => options.logger.debug({ err: e }, 'ADS HTTP/2 session error'));
    });
    this.server.on('stream', (stream, headers) => this.onStream(stream, headers));
    this.server.on('sessionError', (e) => options.logger.debug({ err: e }, 'ADS HTTP/2 session error'));
  }

  /** Listens on host:port (port 0: any); resolves to the port. */
  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => reject(e);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /**
   * Stops accepting connections and closes every session once its streams are done (after closeAll);
   * a session whose client does not finish its streams within `graceMs` is dropped.
   */
  close(graceMs = 2000): Promise<void> {
    return new Promise((resolve) => {
      for (const session of this.sessions) session.close();
      const timer = setTimeout(() => {
        for (const session of this.sessions) session.destroy();
      }, graceMs);
      timer.unref();
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      if (!this.server.listening) return done();
      this.server.close(() => done());
    });
  }

  /** Drops every connection now. */
  forceClose(): void {
    for (const session of this.sessions) session.destroy();
    this.server.close();
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    stream.on('error', (e) => this.options.logger.debug({ err: e }, 'ADS HTTP/2 stream error'));
    if (headers[':method'] !== 'POST') {
      stream.respond({ ':status': 405, allow: 'POST' }, { endStream: true });
      return;
    }
    const contentType = headers['content-type'] ?? '';
    if (!/^application\/grpc(\+|;|$)/.test(contentType)) {
      stream.respond({ ':status': 415 }, { endStream: true });
      return;
    }
    const method = METHODS.get(headers[':path'] ?? '');
    if (!method) return refuse(stream, GrpcStatus.UNIMPLEMENTED, `The server does not implement the method ${headers[':path'] ?? ''}`);
    const encoding = (headers['grpc-encoding'] as string | undefined) ?? 'identity';
    if (encoding !== 'identity' && encoding !== 'gzip' && encoding !== 'deflate') {
      return refuse(stream, GrpcStatus.UNIMPLEMENTED, `Unsupported message encoding "${encoding}"`, { 'grpc-accept-encoding': ACCEPT_ENCODING });
    }
    const timeoutMs = parseGrpcTimeout(headers['grpc-timeout'] as string | undefined);
    if (Number.isNaN(timeoutMs)) return refuse(stream, GrpcStatus.INTERNAL, `Invalid grpc-timeout value "${String(headers['grpc-timeout'])}"`);

    const call = new Http2AdsCall(stream, method, this.handler, this.maxSend);
    const sink = this.handler.open(method, call);
    if (!sink) {
      call.fail(GrpcStatus.UNIMPLEMENTED, `${method} is not served by this server`);
      return;
    }
    let over = false;
    const end = (error?: Error): void => {
      if (over) return;
      over = true;
      if (deadline) clearTimeout(deadline);
      sink.end(error);
    };
    const failWith = (code: number, details: string): void => {
      call.fail(code, details);
      end(new Error(details));
    };
    const deadline =
      timeoutMs !== undefined
        ? setTimeout(() => failWith(GrpcStatus.DEADLINE_EXCEEDED, 'Deadline exceeded'), Math.max(0, Math.min(timeoutMs, 2 ** 31 - 1)))
        : undefined;
    const reader = new MessageReader(
      this.maxReceive,
      (compressed, bytes) => {
        if (over) return;
        let message: object;
        try {
          const plain = !compressed ? bytes : this.decompress(encoding, bytes);
          message = this.handler.decode(method, plain);
        } catch (e) {
          failWith(GrpcStatus.INTERNAL, `Error deserializing request: ${(e as Error).message}`);
          return;
        }
        sink.request(message);
      },
      failWith,
    );
    stream.on('data', (chunk: Buffer) => {
      if (!over) reader.push(chunk);
    });
    stream.on('end', () => {
      if (over) return;
      if (reader.partial) return failWith(GrpcStatus.INTERNAL, 'the request stream ended inside a message');
      end();
      call.finish();
    });
    stream.on('aborted', () => end(new Error('cancelled by the client')));
    stream.on('close', () => end());
  }

  private decompress(encoding: string, bytes: Buffer): Buffer {
    if (encoding === 'identity') throw new Error('a compressed message without grpc-encoding');
    const limit = { maxOutputLength: this.maxReceive };
    try {
      return encoding === 'gzip' ? gunzipSync(bytes, limit) : inflateSync(bytes, limit);
    } catch (e) {
      throw new Error(`cannot decompress a ${encoding} message: ${(e as Error).message}`);
    }
  }
}

/** The same call shape over a grpc-js server call (XdsServer.addTo). */
export function grpcJsCall(call: grpc.ServerDuplexStream<unknown, unknown>): AdsCall<object> {
  return {
    peer: call.getPeer(),
    get done() {
      return call.destroyed || call.writableEnded;
    },
    write: (response, flushed) => {
      call.write(response, () => flushed());
    },
    // grpc-js turns an 'error' on a server call into the call's final status.
    fail: (code, details) => void call.emit('error', { code, details }),
    finish: () => call.end(),
    // grpc-js sends the status after what is buffered; the call ends on our side either way.
    abort: (details) => void call.emit('error', { code: GrpcStatus.UNAVAILABLE, details }),
  };
}

/** Connects a grpc-js server call's events to a sink. */
export function pipeGrpcJsCall(call: grpc.ServerDuplexStream<unknown, unknown>, sink: CallSink<object>): void {
  call.on('data', (req: object) => sink.request(req));
  call.on('end', () => {
    sink.end();
    call.end();
  });
  call.on('error', (e: Error) => sink.end(e));
  call.on('cancelled', () => sink.end());
  call.on('close', () => sink.end());
}
