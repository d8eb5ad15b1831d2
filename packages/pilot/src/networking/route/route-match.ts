// HTTPMatchRequest → Envoy RouteMatch (Istio 1.3 translateRouteMatch), expressed with v3 matchers:
// uri → path / prefix / safe_regex, headers and :method/:authority/:scheme → header matchers,
// queryParams → query parameter matchers, ignoreUriCase → case_sensitive false.
import type { HTTPMatchRequest, Route, StringMatch } from '@weft/api';

export type RouteMatch = NonNullable<Route['match']>;
export type HeaderMatcher = NonNullable<RouteMatch['headers']>[number];
export type QueryParameterMatcher = NonNullable<RouteMatch['query_parameters']>[number];
type StringMatcher = NonNullable<HeaderMatcher['string_match']>;

export const HEADER_METHOD = ':method';
export const HEADER_AUTHORITY = ':authority';
export const HEADER_SCHEME = ':scheme';

/** A v3 RE2 regex matcher (RE2 is Envoy's only engine, so `google_re2` is left to its default). */
export function regexMatcher(regex: string): { regex: string } {
  return { regex };
}

/** StringMatch → StringMatcher; an empty StringMatch matches nothing specific (undefined). */
export function stringMatcher(m: StringMatch): StringMatcher | undefined {
  if (m.exact !== undefined) return { exact: m.exact };
  if (m.prefix !== undefined) return { prefix: m.prefix };
  if (m.regex !== undefined) return { safe_regex: regexMatcher(m.regex) };
  return undefined;
}

/** One header condition; a StringMatch with no kind set means "the header is present" (Envoy's empty matcher). */
export function headerMatcher(name: string, m: StringMatch): HeaderMatcher {
  const sm = stringMatcher(m);
  return sm ? { name, string_match: sm } : { name, present_match: true };
}

/**
 * One query parameter condition. Istio 1.3 sets only the value: `exact` compares it, `regex` matches
 * it, and anything else (including `exact: ""`) leaves it empty, which Envoy treats as "present".
 */
export function queryParameterMatcher(name: string, m: StringMatch): QueryParameterMatcher {
  if (m.exact !== undefined && m.exact !== '') return { name, string_match: { exact: m.exact } };
  if (m.regex !== undefined) return { name, string_match: { safe_regex: regexMatcher(m.regex) } };
  return { name, present_match: true };
}

const byName = <T extends { name?: string }>(a: T, b: T): number => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0);

/**
 * The Envoy match for one HTTPMatchRequest (undefined = match everything: prefix `/`). Header
 * matchers are sorted by name, then `:method`, `:authority`, `:scheme` follow, as in Istio.
 */
export function translateRouteMatch(match: HTTPMatchRequest | undefined): RouteMatch {
  const out: RouteMatch = { prefix: '/' };
  if (!match) return out;
  const uri = match.uri;
  if (uri?.exact !== undefined) return withConditions({ path: uri.exact }, match);
  if (uri?.prefix !== undefined) return withConditions({ prefix: uri.prefix }, match);
  if (uri?.regex !== undefined) return withConditions({ safe_regex: regexMatcher(uri.regex) }, match);
  return withConditions(out, match);
}

function withConditions(out: RouteMatch, match: HTTPMatchRequest): RouteMatch {
  const headers = Object.entries(match.headers ?? {})
    .map(([name, m]) => headerMatcher(name, m))
    .sort(byName);
  if (match.method) headers.push(headerMatcher(HEADER_METHOD, match.method));
  if (match.authority) headers.push(headerMatcher(HEADER_AUTHORITY, match.authority));
  if (match.scheme) headers.push(headerMatcher(HEADER_SCHEME, match.scheme));
  const query = Object.entries(match.queryParams ?? {})
    .map(([name, m]) => queryParameterMatcher(name, m))
    .sort(byName);
  return {
    ...out,
    ...(match.ignoreUriCase ? { case_sensitive: { value: false } } : {}),
    ...(headers.length > 0 ? { headers } : {}),
    ...(query.length > 0 ? { query_parameters: query } : {}),
  };
}

/**
 * Istio's isCatchAllMatch: a uri prefix `/` (or regex `*`) with no header or query conditions;
 * routes after it can never match, so translation stops there.
 */
export function isCatchAllMatch(m: HTTPMatchRequest): boolean {
  const catchAll = m.uri?.prefix === '/' || m.uri?.regex === '*';
  return catchAll && Object.keys(m.headers ?? {}).length === 0 && Object.keys(m.queryParams ?? {}).length === 0;
}

/** Istio's isCatchAllRoute: the Envoy-side test used when merging routes of two VirtualServices. */
export function isCatchAllRoute(r: Route): boolean {
  const m = r.match;
  if (!m) return true;
  const catchAll = m.prefix === '/' || m.safe_regex?.regex === '*';
  return catchAll && (m.headers?.length ?? 0) === 0 && (m.query_parameters?.length ?? 0) === 0;
}
