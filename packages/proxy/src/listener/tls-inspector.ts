// envoy.filters.listener.tls_inspector: reads the first bytes of an accepted connection, without
// consuming them, to tell TLS from plaintext and to learn the SNI and ALPN a TLS client offers, so
// filter chains can be selected by server_names, transport_protocol and application_protocols.
//
// The parser is pure and defensive: every length is checked against what is left, anything that
// is not a well-formed ClientHello is "not TLS" (Envoy's tls_not_found: the connection continues as
// raw_buffer), and a hello still incomplete after MAX_CLIENT_HELLO bytes is refused (Envoy's
// client_hello_too_large). RFC 8446 §4.1.2 (ClientHello), §5.1 (records), RFC 6066 §3 (server_name),
// RFC 7301 §3.1 (ALPN).
import type net from 'node:net';
import { peekSocket, type PeekDecision } from './socket-peek.js';

/** Envoy's limit on the bytes the inspector reads (max_client_hello_size, 64 KiB). */
export const MAX_CLIENT_HELLO = 64 * 1024;
/** Envoy's default listener_filters_timeout. */
export const DEFAULT_INSPECT_TIMEOUT_MS = 15_000;

const CONTENT_HANDSHAKE = 0x16;
const HANDSHAKE_CLIENT_HELLO = 0x01;
/** TLSPlaintext.length must not exceed 2^14 (RFC 8446 §5.1). */
const MAX_RECORD = 1 << 14;
const EXT_SERVER_NAME = 0x0000;
const EXT_ALPN = 0x0010;
const SNI_HOST_NAME = 0x00;

export type ClientHelloParse =
  | { readonly state: 'need-more' }
  | { readonly state: 'too-large' }
  | { readonly state: 'not-tls'; readonly reason: string }
  | { readonly state: 'tls'; readonly serverName?: string; readonly applicationProtocols: readonly string[] };

/** Bounds-checked reads; `undefined` as soon as a read would run past the end. */
class Cursor {
  constructor(
    private readonly buf: Uint8Array,
    public pos = 0,
    private readonly end = buf.length,
  ) {}
  get left(): number {
    return this.end - this.pos;
  }
  u8(): number | undefined {
    return this.left >= 1 ? this.buf[this.pos++] : undefined;
  }
  u16(): number | undefined {
    if (this.left < 2) return undefined;
    const v = ((this.buf[this.pos] ?? 0) << 8) | (this.buf[this.pos + 1] ?? 0);
    this.pos += 2;
    return v;
  }
  /** A sub-cursor over the next `n` bytes, which this cursor skips. */
  take(n: number | undefined): Cursor | undefined {
    if (n === undefined || n > this.left) return undefined;
    const sub = new Cursor(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return sub;
  }
  /** A length-prefixed block (`prefix` bytes of big-endian length). */
  vector(prefix: 1 | 2): Cursor | undefined {
    return this.take(prefix === 1 ? this.u8() : this.u16());
  }
  bytes(): Uint8Array {
    return this.buf.subarray(this.pos, this.end);
  }
}

const notTls = (reason: string): ClientHelloParse => ({ state: 'not-tls', reason });

/** An append-only byte buffer that grows by doubling, so feeding n bytes costs O(n) in total. */
class ByteBuffer {
  private data = new Uint8Array(512);
  length = 0;
  append(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.data.length) {
      const grown = new Uint8Array(Math.max(this.data.length * 2, this.length + bytes.length));
      grown.set(this.data.subarray(0, this.length));
      this.data = grown;
    }
    this.data.set(bytes, this.length);
    this.length += bytes.length;
  }
  at(i: number): number {
    return this.data[i] ?? 0;
  }
  view(start = 0, end = this.length): Uint8Array {
    return this.data.subarray(start, end);
  }
}

/**
 * Incremental ClientHello reader: feed it the connection's bytes as they arrive. Each complete
 * record is walked once, so a hello sent a byte at a time costs no more than one sent whole.
 * `need-more` means the bytes so far are a valid prefix of a TLS ClientHello.
 */
export class ClientHelloReader {
  private readonly wire = new ByteBuffer();
  private readonly handshake = new ByteBuffer();
  /** Start of the first record not yet walked. */
  private next = 0;
  /** Length of the whole handshake message (header included), once its header is in. */
  private needed = -1;
  private result: ClientHelloParse | undefined;

  constructor(private readonly maxBytes = MAX_CLIENT_HELLO) {}

  /** Bytes fed so far. */
  get size(): number {
    return this.wire.length;
  }

  push(chunk: Uint8Array): ClientHelloParse {
    if (this.result) return this.result;
    this.wire.append(chunk.subarray(0, Math.max(0, this.maxBytes + 1 - this.wire.length)));
    const r = this.walk();
    if (r.state !== 'need-more') this.result = r;
    return r;
  }

  private walk(): ClientHelloParse {
    const w = this.wire;
    for (;;) {
      const left = w.length - this.next;
      if (left >= 1 && w.at(this.next) !== CONTENT_HANDSHAKE) return notTls(this.next === 0 ? 'not a TLS handshake record' : 'non-handshake record inside the ClientHello');
      if (left >= 2 && w.at(this.next + 1) !== 3) return notTls('unknown record version');
      if (left < 5) return this.incomplete();
      const length = (w.at(this.next + 3) << 8) | w.at(this.next + 4);
      if (length === 0 || length > MAX_RECORD) return notTls(`bad record length ${length}`);
      if (left < 5 + length) return this.incomplete();
      this.handshake.append(w.view(this.next + 5, this.next + 5 + length));
      this.next += 5 + length;
      const hs = this.handshake;
      if (this.needed < 0 && hs.length >= 4) {
        if (hs.at(0) !== HANDSHAKE_CLIENT_HELLO) return notTls('first handshake message is not a ClientHello');
        this.needed = 4 + ((hs.at(1) << 16) | (hs.at(2) << 8) | hs.at(3));
        if (this.needed > this.maxBytes) return { state: 'too-large' };
      }
      if (this.needed >= 0 && hs.length >= this.needed) return parseBody(hs.view(4, this.needed));
    }
  }

  private incomplete(): ClientHelloParse {
    return this.wire.length >= this.maxBytes ? { state: 'too-large' } : { state: 'need-more' };
  }
}

/** Parses the start of a connection in one go (see ClientHelloReader). Never throws. */
export function parseClientHello(data: Uint8Array, maxBytes = MAX_CLIENT_HELLO): ClientHelloParse {
  return new ClientHelloReader(maxBytes).push(data);
}

function parseBody(body: Uint8Array): ClientHelloParse {
  const c = new Cursor(body);
  const major = c.u8();
  c.u8();
  if (major !== 3) return notTls('unknown ClientHello version');
  if (!c.take(32)) return notTls('truncated random');
  const session = c.vector(1);
  if (!session || session.left > 32) return notTls('bad session id');
  const suites = c.vector(2);
  if (!suites || suites.left < 2 || suites.left % 2 !== 0) return notTls('bad cipher suites');
  const compression = c.vector(1);
  if (!compression || compression.left < 1) return notTls('bad compression methods');
  if (c.left === 0) return { state: 'tls', applicationProtocols: [] };
  const extensions = c.vector(2);
  if (!extensions || c.left !== 0) return notTls('bad extensions block');
  let serverName: string | undefined;
  let alpn: string[] = [];
  const seen = new Set<number>();
  while (extensions.left > 0) {
    const type = extensions.u16();
    const ext = extensions.vector(2);
    if (type === undefined || !ext) return notTls('truncated extension');
    if (seen.has(type)) return notTls(`duplicate extension ${type}`);
    seen.add(type);
    if (type === EXT_SERVER_NAME) {
      const name = parseServerName(ext);
      if (typeof name === 'object') return name;
      serverName = name;
    } else if (type === EXT_ALPN) {
      const list = parseAlpn(ext);
      if (!Array.isArray(list)) return list;
      alpn = list;
    }
  }
  return { state: 'tls', ...(serverName !== undefined ? { serverName } : {}), applicationProtocols: alpn };
}

/** RFC 6066 §3: one host_name, ASCII, no trailing bytes. An empty extension (server's echo) has no name. */
function parseServerName(ext: Cursor): string | undefined | ClientHelloParse {
  if (ext.left === 0) return undefined;
  const list = ext.vector(2);
  if (!list || ext.left !== 0 || list.left === 0) return notTls('bad server_name extension');
  let name: string | undefined;
  while (list.left > 0) {
    const type = list.u8();
    const value = list.vector(2);
    if (type === undefined || !value) return notTls('truncated server_name entry');
    if (type !== SNI_HOST_NAME) continue;
    if (name !== undefined) return notTls('more than one host_name');
    const bytes = value.bytes();
    if (bytes.length === 0 || bytes.length > 255 || bytes.some((b) => b < 0x21 || b > 0x7e)) return notTls('invalid host_name');
    name = Buffer.from(bytes).toString('latin1').toLowerCase();
  }
  return name;
}

/** RFC 7301 §3.1: a non-empty list of non-empty protocol names. */
function parseAlpn(ext: Cursor): string[] | ClientHelloParse {
  const list = ext.vector(2);
  if (!list || ext.left !== 0 || list.left === 0) return notTls('bad ALPN extension');
  const out: string[] = [];
  while (list.left > 0) {
    const p = list.vector(1);
    if (!p || p.left === 0) return notTls('bad ALPN protocol name');
    out.push(Buffer.from(p.bytes()).toString('latin1'));
  }
  return out;
}

/** What the listener learns from the first bytes, or why the connection must be closed. */
export type TlsInspection =
  | { readonly kind: 'done'; readonly transportProtocol: 'tls' | 'raw_buffer'; readonly serverName?: string; readonly applicationProtocols: readonly string[]; readonly bytes: number }
  | { readonly kind: 'too-large' | 'timeout' | 'closed' };

export interface TlsInspectorOptions {
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}

/**
 * Reads from `socket` until the first bytes decide TLS or plaintext (socket-peek.ts puts them back).
 * On `timeout`, `too-large` and `closed` the caller decides whether to close (Envoy closes;
 * continue_on_listener_filters_timeout continues on timeout).
 */
export function inspectTls(socket: net.Socket, options: TlsInspectorOptions, done: (result: TlsInspection) => void): void {
  const reader = new ClientHelloReader(options.maxBytes ?? MAX_CLIENT_HELLO);
  const decide = (chunk: Buffer): PeekDecision<TlsInspection> | undefined => {
    const parsed = reader.push(chunk);
    switch (parsed.state) {
      case 'need-more':
        return undefined;
      case 'too-large':
        return { result: { kind: 'too-large' }, carriesOn: false };
      case 'not-tls':
        return { result: { kind: 'done', transportProtocol: 'raw_buffer', applicationProtocols: [], bytes: reader.size }, carriesOn: true };
      case 'tls':
        return {
          result: {
            kind: 'done',
            transportProtocol: 'tls',
            ...(parsed.serverName !== undefined ? { serverName: parsed.serverName } : {}),
            applicationProtocols: parsed.applicationProtocols,
            bytes: reader.size,
          },
          carriesOn: true,
        };
    }
  };
  peekSocket<TlsInspection>(socket, options.timeoutMs ?? DEFAULT_INSPECT_TIMEOUT_MS, decide, done);
}
