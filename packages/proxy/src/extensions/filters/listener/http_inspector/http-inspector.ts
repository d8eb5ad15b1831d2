// envoy.filters.listener.http_inspector: sniffs the first bytes of a plaintext connection, without
// consuming them, to tell HTTP/1.0, HTTP/1.1 and HTTP/2 with prior knowledge (h2c) apart, so filter
// chains can match `application_protocols: [http/1.0, http/1.1, h2c]` as Istio's inbound chains do.
//
// Envoy's semantics: only raw_buffer connections are inspected (TLS ones carry ALPN already); the
// HTTP/2 connection preface (RFC 9113 §3.4) means "h2c"; otherwise the request line (RFC 9112 §3)
// must parse as `method SP request-target SP HTTP/1.x CRLF`. Anything else is "not HTTP" and the
// connection continues with no application protocol. The peek is bounded (Envoy's 8 KiB).
import type net from 'node:net';
import { peekSocket, type PeekDecision } from '../../../../listener/socket-peek.js';

/** Envoy's http_inspector MAX_INSPECT_SIZE. */
export const MAX_HTTP_INSPECT_BYTES = 8 * 1024;

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
const CR = 0x0d;
const LF = 0x0a;
const SP = 0x20;

export type HttpProtocol = 'http/1.0' | 'http/1.1' | 'h2c';

export type HttpSniff = { readonly state: 'need-more' } | { readonly state: 'not-http' } | { readonly state: 'http'; readonly protocol: HttpProtocol };

/** RFC 9110 §5.6.2 tchar. */
function isTokenChar(b: number): boolean {
  if (b >= 0x30 && b <= 0x39) return true; // DIGIT
  if ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a) return true; // ALPHA
  return "!#$%&'*+-.^_`|~".includes(String.fromCharCode(b));
}

/** A visible, non-space byte a request-target may hold (obs-text allowed, as lenient parsers do). */
function isTargetChar(b: number): boolean {
  return b > SP && b !== 0x7f;
}

/**
 * Decides from the bytes seen so far. `need-more` means they are a valid prefix of an HTTP/1.x
 * request line or of the h2c preface. Pure and never throws.
 */
export function sniffHttp(data: Uint8Array, maxBytes = MAX_HTTP_INSPECT_BYTES): HttpSniff {
  const n = Math.min(data.length, H2_PREFACE.length);
  if (n > 0 && Buffer.from(data.buffer, data.byteOffset, n).equals(H2_PREFACE.subarray(0, n))) {
    return data.length >= H2_PREFACE.length ? { state: 'http', protocol: 'h2c' } : { state: 'need-more' };
  }
  const r = requestLine(data);
  if (r.state === 'need-more' && data.length >= maxBytes) return { state: 'not-http' };
  return r;
}

/** Walks `method SP target SP HTTP/1.x CRLF`, stopping at the first byte that cannot belong. */
function requestLine(data: Uint8Array): HttpSniff {
  const NOT: HttpSniff = { state: 'not-http' };
  const MORE: HttpSniff = { state: 'need-more' };
  let i = 0;
  while (i < data.length && isTokenChar(data[i] ?? 0)) i++;
  if (i === data.length) return MORE;
  if (i === 0 || data[i] !== SP) return NOT;
  const targetStart = ++i;
  while (i < data.length && isTargetChar(data[i] ?? 0)) i++;
  if (i === data.length) return MORE;
  if (i === targetStart || data[i] !== SP) return NOT;
  i++;
  const version = 'HTTP/1.';
  for (let k = 0; k < version.length; k++, i++) {
    if (i === data.length) return MORE;
    if (data[i] !== version.charCodeAt(k)) return NOT;
  }
  if (i === data.length) return MORE;
  const minor = data[i++];
  if (minor !== 0x30 && minor !== 0x31) return NOT;
  if (i === data.length) return MORE;
  // CRLF, or a bare LF as Envoy's parser also accepts.
  if (data[i] === CR) {
    i++;
    if (i === data.length) return MORE;
  }
  if (data[i] !== LF) return NOT;
  return { state: 'http', protocol: minor === 0x30 ? 'http/1.0' : 'http/1.1' };
}

/** What the inspector learnt, or why it stopped. */
export type HttpInspection =
  | { readonly kind: 'done'; readonly protocol: HttpProtocol | undefined }
  | { readonly kind: 'timeout' | 'closed' };

export interface HttpInspectorOptions {
  readonly maxBytes?: number;
  /** Time left for the listener filters; 0 = none. */
  readonly timeoutMs: number;
}

/** Reads from `socket` until the first bytes decide (socket-peek.ts puts them back). */
export function inspectHttp(socket: net.Socket, options: HttpInspectorOptions, done: (result: HttpInspection) => void): void {
  const maxBytes = options.maxBytes ?? MAX_HTTP_INSPECT_BYTES;
  // The first maxBytes, copied once into a fixed buffer (the chunks themselves are put back).
  let head: Buffer | undefined;
  let size = 0;
  const decide = (chunk: Buffer): PeekDecision<HttpInspection> | undefined => {
    head ??= Buffer.allocUnsafe(maxBytes);
    if (size < maxBytes) chunk.copy(head, size, 0, Math.min(chunk.length, maxBytes - size));
    size += chunk.length;
    const r = sniffHttp(head.subarray(0, Math.min(size, maxBytes)), maxBytes);
    if (r.state === 'need-more') return undefined;
    return { result: { kind: 'done', protocol: r.state === 'http' ? r.protocol : undefined }, carriesOn: true };
  };
  peekSocket<HttpInspection>(socket, options.timeoutMs, decide, done);
}
