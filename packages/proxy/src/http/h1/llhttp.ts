// Node's own HTTP/1.1 parser (llhttp, in C++), the one node:http uses, reached through the public
// legacy module `_http_common`. weft-proxy's HTTP/1.1 codecs (downstream connections and upstream
// pools) drive it directly on raw sockets: the parsing, its limits and its smuggling checks are
// exactly node:http's, without the IncomingMessage/ServerResponse/ClientRequest/Agent machinery.
//
// The parser calls back through numbered slots: kOnHeaders (a header block too large for one
// callback, in parts), kOnHeadersComplete (the head), kOnBody (a body slice), kOnMessageComplete,
// and kOnExecute (bytes parsed or an Error, when it reads a socket's handle itself with consume()).
import { createRequire } from 'node:module';
import type net from 'node:net';

/** What kOnHeadersComplete's return value tells llhttp: 0 = go on, 1 = the message has no body (HEAD), 2 = upgrade. */
export type HeadersCompleteResult = 0 | 1 | 2;

export type OnHeadersComplete = (
  versionMajor: number,
  versionMinor: number,
  /** [name, value, name, value, ...] as received; undefined when they came through kOnHeaders. */
  headers: string[] | undefined,
  /** Index into METHODS (requests). */
  method: number | undefined,
  url: string | undefined,
  statusCode: number | undefined,
  statusMessage: string | undefined,
  upgrade: boolean,
  shouldKeepAlive: boolean,
) => HeadersCompleteResult | void;

/** A parse failure: llhttp's error code (HPE_*) and reason, and where it stopped. */
export interface ParseError extends Error {
  readonly code: string;
  readonly reason?: string;
  readonly bytesParsed?: number;
}

export interface Parser {
  initialize(type: number, resource: object, maxHeaderSize: number, lenient: number): void;
  /** Bytes parsed, or the parse error. */
  execute(data: Buffer): number | ParseError;
  /** The peer closed: completes a body delimited by the close, or fails. */
  finish(): number | ParseError | undefined;
  /** Reads `handle` (a socket's StreamBase) in C++, reporting through kOnExecute. */
  consume(handle: object): void;
  unconsume(): void;
  /** The buffer being parsed when called from a callback (the bytes of an upgrade after its head). */
  getCurrentBuffer(): Buffer;
  pause(): void;
  resume(): void;
  remove(): void;
  free(): void;
  close(): void;
  [slot: number]: unknown;
}

interface ParserClass {
  new (): Parser;
  readonly REQUEST: number;
  readonly RESPONSE: number;
  readonly kOnMessageBegin: number;
  readonly kOnHeaders: number;
  readonly kOnHeadersComplete: number;
  readonly kOnBody: number;
  readonly kOnMessageComplete: number;
  readonly kOnExecute: number;
  readonly kOnTimeout: number;
  readonly kLenientNone: number;
}

const common = createRequire(import.meta.url)('_http_common') as { HTTPParser: ParserClass; methods: string[] };

export const HTTPParser: ParserClass = common.HTTPParser;
/** llhttp's method table: kOnHeadersComplete's `method` indexes it. */
export const METHODS: readonly string[] = common.methods;

export const kOnMessageBegin = HTTPParser.kOnMessageBegin;
export const kOnHeaders = HTTPParser.kOnHeaders;
export const kOnHeadersComplete = HTTPParser.kOnHeadersComplete;
export const kOnBody = HTTPParser.kOnBody;
export const kOnMessageComplete = HTTPParser.kOnMessageComplete;
export const kOnExecute = HTTPParser.kOnExecute;

/** The resource object async_hooks would see; one for every parser (weft-proxy uses none). */
const RESOURCE = Object.freeze({});

/** A parser for one connection, strict (no lenient flags), refusing header blocks above `maxHeaderSize` bytes. */
export function createParser(type: 'request' | 'response', maxHeaderSize: number): Parser {
  const p = new HTTPParser();
  p.initialize(type === 'request' ? HTTPParser.REQUEST : HTTPParser.RESPONSE, RESOURCE, maxHeaderSize, HTTPParser.kLenientNone);
  return p;
}

export function isParseError(r: unknown): r is ParseError {
  return r instanceof Error;
}

/** The parts of a socket's libuv stream handle the codecs use. */
export interface StreamHandle {
  isStreamBase?: boolean;
  _consumed?: boolean;
  reading?: boolean;
  readStart?: () => number;
  readStop?: () => number;
}

export function handleOf(socket: net.Socket): StreamHandle | undefined {
  return (socket as net.Socket & { _handle?: StreamHandle | null })._handle ?? undefined;
}

/** Has `parser` read `socket`'s handle itself, when the handle allows; false: feed it 'data' instead. */
export function consumeSocket(parser: Parser, socket: net.Socket): boolean {
  const handle = handleOf(socket);
  if (!handle?.isStreamBase || handle._consumed) return false;
  handle._consumed = true;
  parser.consume(handle);
  return true;
}

/**
 * Stops or starts reading a socket. When the parser reads the handle itself, pausing the socket's
 * stream would not stop it (as node:http does, the handle's reading is switched directly); the rest
 * of a read already taken is still parsed, which bounds what one connection buffers to one read.
 */
export function setReading(socket: net.Socket, consumed: boolean, on: boolean): void {
  const handle = handleOf(socket);
  if (!consumed || !handle) {
    if (on) socket.resume();
    else socket.pause();
    return;
  }
  if (on === !!handle.reading || (on && socket.destroyed)) return;
  handle.reading = on;
  if (on) handle.readStart?.();
  else handle.readStop?.();
}
