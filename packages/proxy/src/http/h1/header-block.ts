// Header blocks for the HTTP/1.1 codecs: the received [name, value, ...] list made into the
// lower-case header object node:http would give (the same duplicate rules, so routing, filters and
// logs see what they saw before the raw codecs), and a head serialised in one string.

export type HeaderObject = Record<string, string | string[] | undefined>;

/** Headers node:http keeps only the first of (IncomingMessage's matchKnownFields "drop" set). */
const FIRST_WINS = new Set([
  'content-type',
  'content-length',
  'user-agent',
  'referer',
  'host',
  'authorization',
  'proxy-authorization',
  'if-modified-since',
  'if-unmodified-since',
  'from',
  'location',
  'max-forwards',
  'retry-after',
  'etag',
  'last-modified',
  'server',
  'age',
  'expires',
]);

/** Common names, lower-cased without a per-header toLowerCase call. */
const LOWER = new Map<string, string>();
for (const n of ['Host', 'User-Agent', 'Accept', 'Content-Type', 'Content-Length', 'Connection', 'Transfer-Encoding', 'Date', 'Server', 'Cache-Control', 'Accept-Encoding', 'Accept-Language', 'Keep-Alive', 'Last-Modified', 'ETag', 'Accept-Ranges', 'Expires', 'Set-Cookie', 'Cookie', 'Authorization', 'Location', 'Vary', 'Content-Encoding', 'Upgrade', 'Expect', 'Origin', 'Referer']) LOWER.set(n, n.toLowerCase());

export function lowerName(name: string): string {
  return LOWER.get(name) ?? name.toLowerCase();
}

/** Adds one received header to `into` with node:http's duplicate rules. */
export function addHeader(into: HeaderObject, rawName: string, value: string): void {
  const name = lowerName(rawName);
  const prior = into[name];
  if (prior === undefined) {
    into[name] = name === 'set-cookie' ? [value] : value;
    return;
  }
  if (name === 'set-cookie') (prior as string[]).push(value);
  else if (FIRST_WINS.has(name)) return;
  else if (name === 'cookie') into[name] = `${prior as string}; ${value}`;
  else into[name] = `${prior as string}, ${value}`;
}

/** The header object for a received [name, value, ...] list. */
export function headersFromRaw(raw: readonly string[]): HeaderObject {
  const out: HeaderObject = {};
  for (let i = 0; i + 1 < raw.length; i += 2) addHeader(out, raw[i]!, raw[i + 1]!);
  return out;
}

/** True for a value a header line may carry (no CR, LF or NUL; node:http's checkInvalidHeaderChar). */
const INVALID_VALUE = /[^\t\x20-\x7e\x80-\xff]/;
const TOKEN = /^[\^_`a-zA-Z\-0-9!#$%&'*+.|~]+$/;

export class HeaderValueError extends Error {
  constructor(
    readonly header: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Appends `name: value\r\n` lines for every header in `headers` to `head` (arrays as repeated lines);
 * refuses a name that is not a token or a value with CR, LF or other control characters, so that
 * nothing a filter or an upstream put in a header can split the head.
 */
export function appendHeaderLines(head: string, headers: Readonly<HeaderObject>): string {
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    if (!TOKEN.test(name)) throw new HeaderValueError(name, `invalid header name "${name}"`);
    if (typeof v === 'string') {
      if (INVALID_VALUE.test(v)) throw new HeaderValueError(name, `invalid value for header "${name}"`);
      head += `${name}: ${v}\r\n`;
    } else if (Array.isArray(v)) {
      for (const one of v) {
        const s = String(one);
        if (INVALID_VALUE.test(s)) throw new HeaderValueError(name, `invalid value for header "${name}"`);
        head += `${name}: ${s}\r\n`;
      }
    } else {
      const s = String(v);
      if (INVALID_VALUE.test(s)) throw new HeaderValueError(name, `invalid value for header "${name}"`);
      head += `${name}: ${s}\r\n`;
    }
  }
  return head;
}
