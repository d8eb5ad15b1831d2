// RedirectAction → status and Location, built as Envoy's Http::Utility::newUri does: scheme, host and
// port from the action or the request, then path_redirect, or the path after prefix_rewrite /
// regex_rewrite; the query string is kept unless strip_query (a query in path_redirect always wins).
import type { IssueCollector } from '@weft/base';
import type { RedirectActionConfig } from './config-types.js';
import { compilePathRewrite } from './path-rewrite.js';
import { pathEnd, type RequestHead } from './request-head.js';

export interface CompiledRedirect {
  readonly status: number;
  /** The Location for a request, given how much of `:path` the route matched. */
  location(head: RequestHead, matched: number): string;
}

const REDIRECT_STATUS: Readonly<Record<string, number>> = {
  MOVED_PERMANENTLY: 301,
  FOUND: 302,
  SEE_OTHER: 303,
  TEMPORARY_REDIRECT: 307,
  PERMANENT_REDIRECT: 308,
};

export function compileRedirect(config: RedirectActionConfig, issues: IssueCollector): CompiledRedirect {
  const status = REDIRECT_STATUS[config.response_code] ?? 301;
  const scheme = config.scheme_redirect ? config.scheme_redirect : config.https_redirect === true ? 'https' : undefined;
  const port = config.port_redirect ? `:${config.port_redirect}` : '';
  const host = config.host_redirect;
  const pathRedirect = config.path_redirect ?? '';
  const pathRedirectHasQuery = pathRedirect.includes('?');
  const stripQuery = config.strip_query && !pathRedirectHasQuery;
  const rewrite = compilePathRewrite(config.prefix_rewrite, config.regex_rewrite, issues, {
    prefix: 'prefix_rewrite',
    regex: 'regex_rewrite',
  });
  return {
    status,
    location(head, matched) {
      const finalScheme = scheme ?? head.scheme;
      const finalHost = host || requestHost(head, finalScheme, port);
      let path: string;
      if (pathRedirect) {
        const q = head.path.indexOf('?');
        path = pathRedirectHasQuery || q < 0 ? pathRedirect : pathRedirect + head.path.slice(q);
      } else {
        path = rewrite ? rewrite(head.path, matched) + head.path.slice(pathEnd(head.path)) : head.path;
      }
      if (!path.startsWith('/')) path = `/${path}`;
      if (stripQuery) {
        const q = path.indexOf('?');
        if (q >= 0) path = path.slice(0, q);
      }
      return `${finalScheme}://${finalHost}${port}${path}`;
    },
  };
}

/**
 * The request's host for the Location: the port is dropped when the redirect names a port, or when
 * the scheme changes and the port was the old scheme's default (`:80` for http, `:443` for https).
 * The old scheme is x-forwarded-proto, as set by the connection manager.
 */
export function requestHost(head: RequestHead, newScheme: string, newPort: string): string {
  const host = head.authority;
  if (!host) return host;
  let portStart: number;
  if (host.startsWith('[')) {
    const end = host.lastIndexOf(']:');
    portStart = end < 0 ? -1 : end + 1;
  } else {
    portStart = host.lastIndexOf(':');
  }
  if (portStart < 0) return host;
  const requestPort = host.slice(portStart);
  const requestScheme = (head.header('x-forwarded-proto') ?? head.scheme).toLowerCase();
  let removePort = newPort !== '';
  if (newScheme !== requestScheme) {
    removePort ||= (requestScheme === 'https' && requestPort === ':443') || (requestScheme === 'http' && requestPort === ':80');
  }
  return removePort ? host.slice(0, portStart) : host;
}

/** The redirect a virtual host's require_tls answers plain-text requests with (SslRedirector). */
export function tlsRedirectLocation(head: RequestHead): string {
  return `https://${head.authority}${head.path}`;
}
