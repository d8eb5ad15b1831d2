// What the connection manager checks on every request before routing, as Envoy's codecs and HCM do:
// the HTTP version an HTTP/1 connection may speak (426 for HTTP/1.0 and /0.9 unless accept_http_10,
// 505 for anything newer than 1.1), the header count (431 above max_headers_count), one valid Host,
// and the request target: origin-form, absolute-form (its authority replaces Host, as Envoy's
// allow_absolute_url does by default) or CONNECT's authority-form. Pure: no I/O, unit-tested.

/** http_protocol_options and common_http_protocol_options fields the checks read. */
export interface RequestLimits {
  /** common_http_protocol_options.max_headers_count (Envoy default 100). */
  readonly maxHeadersCount: number;
  /** http_protocol_options.accept_http_10. */
  readonly acceptHttp10: boolean;
  /** http_protocol_options.default_host_for_http_10: the authority of an HTTP/1.0 request without Host. */
  readonly defaultHostForHttp10: string;
  /** http_protocol_options.allow_absolute_url (default true). */
  readonly allowAbsoluteUrl: boolean;
}

export const DEFAULT_REQUEST_LIMITS: RequestLimits = { maxHeadersCount: 100, acceptHttp10: false, defaultHostForHttp10: '', allowAbsoluteUrl: true };

export interface RequestLine {
  readonly method: string;
  /** The request target as received (`req.url`). */
  readonly target: string;
  readonly versionMajor: number;
  readonly versionMinor: number;
  /** Node's rawHeaders: name, value, name, value... (HTTP/2 pseudo-headers included). */
  readonly rawHeaders: readonly string[];
  readonly http2: boolean;
}

export type Verdict =
  | { readonly ok: true; readonly authority: string; readonly path: string }
  | { readonly ok: false; readonly status: number; readonly details: string; readonly close: boolean };

/** RFC 3986 authority characters (nghttp2_check_authority's set): unreserved, pct-encoded, sub-delims, ':', '@', '[', ']'. */
const AUTHORITY = /^[A-Za-z0-9\-._~%!$&'()*+,;=:@[\]]+$/;
const ABSOLUTE = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)([^#]*)/;

function reject(status: number, details: string, close = false): Verdict {
  return { ok: false, status, details, close };
}

export function isValidAuthority(value: string): boolean {
  return value.length > 0 && AUTHORITY.test(value);
}

/** Checks one request; on success gives the authority and path that routing and the upstream use. */
export function validateRequest(line: RequestLine, limits: RequestLimits): Verdict {
  if (!line.http2) {
    if (line.versionMajor > 1 || (line.versionMajor === 1 && line.versionMinor > 1)) return reject(505, 'http1.codec_error: unsupported HTTP version', true);
    if ((line.versionMajor < 1 || line.versionMinor === 0) && !limits.acceptHttp10) return reject(426, 'low_version', true);
  }
  let count = 0;
  let host: string | undefined;
  let hosts = 0;
  const raw = line.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    if (line.http2 && name.charCodeAt(0) === 58 /* ':' */) {
      if (name === ':authority') {
        host = raw[i + 1];
        hosts++;
      }
      continue;
    }
    count++;
    if (name.length === 4 && name.toLowerCase() === 'host') {
      // HTTP/2 may carry host instead of :authority; :authority wins when both are there.
      if (!line.http2 || host === undefined) host = raw[i + 1];
      if (!line.http2) hosts++;
    }
  }
  if (count > limits.maxHeadersCount) return reject(431, 'too_many_headers', !line.http2);
  if (hosts > 1) return reject(400, 'http1.codec_error: duplicate Host header', true);
  const target = line.target;
  if (line.method === 'CONNECT') {
    // authority-form: no path; routing sees the authority (Envoy answers 404 without a connect_matcher).
    const authority = host ?? target;
    if (!isValidAuthority(target)) return reject(400, 'http1.invalid_url', true);
    return { ok: true, authority, path: '' };
  }
  let path = target;
  let authority = host;
  if (target.charCodeAt(0) !== 47 /* '/' */) {
    const m = ABSOLUTE.exec(target);
    if (m && !line.http2 && limits.allowAbsoluteUrl) {
      authority = m[2]!;
      path = m[3] || '/';
    } else if (!(target === '*' && line.method === 'OPTIONS')) {
      return reject(400, 'http1.invalid_url', true);
    }
  }
  if (authority === undefined || authority === '') {
    if (!line.http2 && line.versionMinor === 0 && limits.defaultHostForHttp10 !== '') authority = limits.defaultHostForHttp10;
    else return reject(400, 'missing_host_header', !line.http2);
  }
  if (!isValidAuthority(authority)) return reject(400, 'http1.invalid_characters: invalid Host', !line.http2);
  return { ok: true, authority, path };
}
