// The HCM's path handling before routing, in Envoy's order: path_with_escaped_slashes_action
// (%2F, %5C: keep, reject with 400, unescape and redirect with 307, or unescape and forward), then
// normalize_path (RFC 3986 §6 normalization: backslashes become slashes, percent-escapes of
// unreserved characters are decoded and the others upper-cased, characters a path may not hold are
// escaped, and dot segments are removed — `/fault/../w` routes as `/w`), then merge_slashes. The
// query string is never touched. The path that routing sees is the one the upstream gets.

export type EscapedSlashesAction = 'KEEP_UNCHANGED' | 'REJECT_REQUEST' | 'UNESCAPE_AND_REDIRECT' | 'UNESCAPE_AND_FORWARD';

export interface PathOptions {
  readonly normalize: boolean;
  readonly mergeSlashes: boolean;
  readonly escapedSlashes: EscapedSlashesAction;
}

export type PathVerdict = { readonly kind: 'ok'; readonly path: string } | { readonly kind: 'reject' } | { readonly kind: 'redirect'; readonly path: string };

/** True when the options change nothing, so a request pays for nothing. */
export function pathHandlingIsNoop(o: PathOptions): boolean {
  return !o.normalize && !o.mergeSlashes && o.escapedSlashes === 'KEEP_UNCHANGED';
}

const UNRESERVED = /[A-Za-z0-9\-._~]/;
const ESCAPED_SLASH = /%(2f|5c)/i;

function isHex(c: number): boolean {
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
}

/** Characters that may stand unescaped in a normalized path (RFC 3986 pchar plus '/'). */
const ALLOWED_IN_PATH = /[A-Za-z0-9\-._~!$&'()*+,;=:@/%]/;
/** A path normalization leaves as it is but for its dot segments: only pchars, no escapes, no backslash. */
const PLAIN_PATH = /^\/[A-Za-z0-9\-._~!$&'()*+,;=:@/]*$/;

/** RFC 3986 §5.2.4 remove_dot_segments, on a path that starts with '/'. */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  // segments[0] is '' (the leading slash).
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.') {
      if (last) out.push('');
      continue;
    }
    if (s === '..') {
      out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(s);
  }
  return '/' + out.join('/');
}

/** Envoy's canonicalPath: undefined when the path cannot be normalized (the request gets 400). */
export function canonicalPath(path: string): string | undefined {
  if (path.charCodeAt(0) !== 47) return undefined;
  // Most paths: nothing to decode or escape, and usually no dot segment to remove.
  if (PLAIN_PATH.test(path)) return path.includes('/.') ? removeDotSegments(path) : path;
  let out = '';
  for (let i = 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '%') {
      const a = path.charCodeAt(i + 1);
      const b = path.charCodeAt(i + 2);
      if (isHex(a) && isHex(b)) {
        const decoded = String.fromCharCode(parseInt(path.slice(i + 1, i + 3), 16));
        out += UNRESERVED.test(decoded) ? decoded : `%${path.slice(i + 1, i + 3).toUpperCase()}`;
        i += 2;
        continue;
      }
      out += '%25';
      continue;
    }
    if (ch === '\\') {
      out += '/';
      continue;
    }
    const code = path.charCodeAt(i);
    if (code < 0x20 || code === 0x7f) return undefined;
    out += ALLOWED_IN_PATH.test(ch) ? ch : encodeURIComponent(ch);
  }
  return removeDotSegments(out);
}

export function mergeSlashes(path: string): string {
  return path.includes('//') ? path.replace(/\/{2,}/g, '/') : path;
}

/** Applies the HCM's path options to `target` (path and query as received). */
export function normalizeRequestPath(target: string, o: PathOptions): PathVerdict {
  const q = target.indexOf('?');
  let path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  let redirect = false;
  if (o.escapedSlashes !== 'KEEP_UNCHANGED' && ESCAPED_SLASH.test(path)) {
    if (o.escapedSlashes === 'REJECT_REQUEST') return { kind: 'reject' };
    path = path.replace(/%2f/gi, '/').replace(/%5c/gi, '\\');
    redirect = o.escapedSlashes === 'UNESCAPE_AND_REDIRECT';
  }
  if (o.normalize) {
    const c = canonicalPath(path);
    if (c === undefined) return { kind: 'reject' };
    path = c;
  }
  if (o.mergeSlashes) path = mergeSlashes(path);
  return redirect ? { kind: 'redirect', path: path + query } : { kind: 'ok', path: path + query };
}
