// The request and response classes the HTTP/2 codec creates (Node's compatibility-layer
// `Http2ServerRequest`/`Http2ServerResponse` option): they count body bytes as they pass and remember
// when, and with which headers, the response started, for %BYTES_RECEIVED%, %BYTES_SENT%,
// %RESPONSE_DURATION% and %RESP(...)%. Defined once, so no request pays for patching. The HTTP/1.1
// codec's own request and response (h1/server-codec.ts) do the same.
import http from 'node:http';
import http2 from 'node:http2';


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
