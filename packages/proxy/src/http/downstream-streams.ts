// The request and response classes the connection manager's codecs create (Node's
// `IncomingMessage`/`ServerResponse` option): they count body bytes as they pass and remember
// when, and with which headers, the response started, for %BYTES_RECEIVED%, %BYTES_SENT%,
// %RESPONSE_DURATION% and %RESP(...)%. Defined once, so no request pays for patching.
import http from 'node:http';
import http2 from 'node:http2';

type WriteCallback = (error?: Error | null) => void;
type Headers = http.OutgoingHttpHeaders;

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

export class Http1Request extends http.IncomingMessage implements MeteredRequest {
  bytesReceived = 0;
  /** Bytes moved on the stream (stream_idle_timeout); set only when that timeout is on. */
  onActivity: (() => void) | undefined;

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    this.onActivity?.();
    this.bytesReceived += byteLength(chunk, encoding);
    return super.push(chunk, encoding);
  }
}

export class Http1Response extends http.ServerResponse<Http1Request> implements MeteredResponse {
  bytesSent = 0;
  onActivity: (() => void) | undefined;
  headersSentAt: number | undefined;
  /**
   * Called once, just before the response head is written (also for Node's implicit head): the
   * connection manager's last chance to answer `connection: close` on a draining listener.
   */
  beforeHead: (() => void) | undefined;
  /** writeHead's headers object: Node writes it out without keeping it when none were set before. */
  private headersGiven: Headers | undefined;

  override writeHead(statusCode: number, a?: string | Headers | http.OutgoingHttpHeader[], b?: Headers | http.OutgoingHttpHeader[]): this {
    const headers = typeof a === 'string' ? b : a;
    if (headers && !Array.isArray(headers)) this.headersGiven = headers as Headers;
    if (this.headersSentAt === undefined) this.beforeHead?.();
    this.headersSentAt ??= Date.now();
    if (typeof a === 'string') return super.writeHead(statusCode, a, b);
    return super.writeHead(statusCode, a);
  }

  override write(chunk: unknown, encoding?: BufferEncoding | WriteCallback, callback?: WriteCallback): boolean {
    this.onActivity?.();
    this.bytesSent += byteLength(chunk, encoding);
    return super.write(chunk, encoding as BufferEncoding, callback);
  }

  override end(chunk?: unknown, encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    if (typeof chunk !== 'function') this.bytesSent += byteLength(chunk, encoding);
    return super.end(chunk as string, encoding as BufferEncoding, callback);
  }

  sentHeader(name: string): string | undefined {
    return headerValue(this.headersGiven?.[name] ?? this.getHeader(name));
  }
}

export class Http2Request extends http2.Http2ServerRequest implements MeteredRequest {
  bytesReceived = 0;
  onActivity: (() => void) | undefined;

  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    this.onActivity?.();
    this.bytesReceived += byteLength(chunk, encoding);
    return super.push(chunk, encoding);
  }
}

export class Http2Response extends http2.Http2ServerResponse<Http2Request> implements MeteredResponse {
  bytesSent = 0;
  onActivity: (() => void) | undefined;
  headersSentAt: number | undefined;

  override writeHead(statusCode: number, a?: string | http.OutgoingHttpHeaders, b?: http.OutgoingHttpHeaders): this {
    this.headersSentAt ??= Date.now();
    if (typeof a === 'string') return super.writeHead(statusCode, a, b);
    return super.writeHead(statusCode, a);
  }

  override write(chunk: string | Uint8Array, encoding?: BufferEncoding | ((err: Error) => void), callback?: (err: Error) => void): boolean {
    this.onActivity?.();
    this.bytesSent += byteLength(chunk, encoding);
    return super.write(chunk, encoding as BufferEncoding, callback);
  }

  override end(chunk?: unknown, encoding?: BufferEncoding | (() => void), callback?: () => void): this {
    if (typeof chunk !== 'function') this.bytesSent += byteLength(chunk, encoding);
    return super.end(chunk as string, encoding as BufferEncoding, callback);
  }

  sentHeader(name: string): string | undefined {
    // The compatibility layer keeps every header it sends.
    return headerValue(this.getHeader(name));
  }
}
