// Envoy's encodeHeaders / encodeData for filters written against the decode-only HttpFilter seam:
// a filter that must read or edit the response (peer metadata exchange, gRPC stats) hooks the
// downstream response of its own stream, once, when it decides to. Only streams that need it pay.
// When the HttpFilter interface grows an encode side, these call sites move there unchanged.
import type { RoutedStream } from '../../../http/connection-manager.js';

export type ResponseHeaders = Record<string, unknown>;

interface HookableResponse {
  writeHead: (status: number, ...rest: unknown[]) => unknown;
  write: (chunk: unknown, ...rest: unknown[]) => boolean;
  end: (...args: unknown[]) => unknown;
  stream?: { respond: (headers: ResponseHeaders, options?: unknown) => unknown };
}

/**
 * Calls `edit` with the response headers just before the head is written — by writeHead (the router,
 * local replies) or, on HTTP/2, by a direct stream.respond (gRPC trailers-only responses) — so it may
 * read, add or delete headers. Called at most once per stream.
 */
export function beforeResponseHeaders(ctx: RoutedStream, edit: (headers: ResponseHeaders) => void): void {
  const res = ctx.response as unknown as HookableResponse;
  let done = false;
  const run = (h: unknown): void => {
    if (done) return;
    done = true;
    if (h && typeof h === 'object' && !Array.isArray(h)) edit(h as ResponseHeaders);
  };
  const writeHead = res.writeHead;
  res.writeHead = function (this: unknown, status: number, ...rest: unknown[]) {
    run(typeof rest[0] === 'string' ? rest[1] : rest[0]);
    return writeHead.call(this, status, ...rest);
  };
  const stream = res.stream;
  if (stream) {
    const respond = stream.respond;
    stream.respond = function (this: unknown, headers: ResponseHeaders, options?: unknown) {
      run(headers);
      return respond.call(this, headers, options);
    };
  }
}

/** Calls `onData` with every response body chunk as it is written downstream. */
export function onResponseData(ctx: RoutedStream, onData: (chunk: Uint8Array) => void): void {
  const res = ctx.response as unknown as HookableResponse;
  const write = res.write;
  res.write = function (this: unknown, chunk: unknown, ...rest: unknown[]) {
    if (chunk instanceof Uint8Array) onData(chunk);
    return write.call(this, chunk, ...rest);
  };
  const end = res.end;
  res.end = function (this: unknown, ...args: unknown[]) {
    if (args[0] instanceof Uint8Array) onData(args[0]);
    return end.apply(this, args);
  };
}
