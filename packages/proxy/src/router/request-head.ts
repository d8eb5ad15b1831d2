// The request as the route table sees it: pseudo-headers as fields, other headers by lower-case name.

/** A read-only header lookup; names are lower-case, several values come back joined with ','. */
export interface HeaderSource {
  header(name: string): string | undefined;
}

/**
 * What route matching reads. `path` is the `:path` as sent, query string included;
 * `scheme` is the `:scheme` the connection manager settled on.
 */
export interface RequestHead extends HeaderSource {
  readonly method: string;
  readonly authority: string;
  readonly path: string;
  readonly scheme: 'http' | 'https';
  readonly sourceAddress?: string;
  /** The downstream TLS peer, for RouteMatch.tls_context; absent on plaintext connections. */
  readonly tls?: { readonly presented: boolean; readonly validated: boolean };
}

export interface RequestHeadInit {
  method?: string;
  authority: string;
  path: string;
  scheme?: 'http' | 'https';
  headers?: Readonly<Record<string, string | readonly string[] | undefined>>;
  sourceAddress?: string;
  tls?: { presented: boolean; validated: boolean };
}

/**
 * Builds a RequestHead from plain values (tests, `@weft/proxy/simulate`). Header names are
 * lower-cased once here; a repeated header is joined with ',' as Envoy's header matchers see it.
 */
export function createRequestHead(init: RequestHeadInit): RequestHead {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(init.headers ?? {})) {
    if (value === undefined) continue;
    const joined = typeof value === 'string' ? value : value.join(',');
    const key = name.toLowerCase();
    const prior = headers.get(key);
    headers.set(key, prior === undefined ? joined : `${prior},${joined}`);
  }
  const head: RequestHead = {
    method: init.method ?? 'GET',
    authority: init.authority,
    path: init.path,
    scheme: init.scheme ?? 'http',
    header: (name) => headers.get(name),
    ...(init.sourceAddress !== undefined ? { sourceAddress: init.sourceAddress } : {}),
    ...(init.tls !== undefined ? { tls: init.tls } : {}),
  };
  return head;
}

/**
 * A RequestHead over a header map whose names are lower-case already (the connection manager's
 * upstream headers), read where it stands: no copy, and later changes to the map are seen.
 */
export function requestHeadOver(method: string, authority: string, path: string, scheme: 'http' | 'https', headers: Readonly<Record<string, string | readonly string[] | undefined>>, sourceAddress: string | undefined): RequestHead {
  return new LiveRequestHead(method, authority, path, scheme, headers, sourceAddress);
}

class LiveRequestHead implements RequestHead {
  readonly sourceAddress?: string;

  constructor(
    readonly method: string,
    readonly authority: string,
    readonly path: string,
    readonly scheme: 'http' | 'https',
    private readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>,
    sourceAddress: string | undefined,
  ) {
    if (sourceAddress !== undefined) this.sourceAddress = sourceAddress;
  }

  header(name: string): string | undefined {
    const v = this.headers[name];
    return v === undefined || typeof v === 'string' ? v : v.join(',');
  }
}

/** Where the path portion of a `:path` ends: at the first '?' or '#' (Envoy's removeQueryAndFragment). */
export function pathEnd(path: string): number {
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x3f /* ? */ || c === 0x23 /* # */) return i;
  }
  return path.length;
}

/** The `:path` without its query string and fragment. */
export function pathWithoutQuery(path: string): string {
  const end = pathEnd(path);
  return end === path.length ? path : path.slice(0, end);
}

/** Reads a pseudo-header (`:method`, `:authority`, `:scheme`, `:path`) or a regular header. */
export function readHeader(head: HeaderSource, name: string): string | undefined {
  if (name.charCodeAt(0) === 0x3a /* : */ && isRequestHead(head)) {
    switch (name) {
      case ':method':
        return head.method;
      case ':authority':
        return head.authority;
      case ':scheme':
        return head.scheme;
      case ':path':
        return head.path;
    }
  }
  return head.header(name);
}

function isRequestHead(head: HeaderSource): head is RequestHead {
  return typeof (head as Partial<RequestHead>).path === 'string';
}
