// RouteAction prefix_rewrite and regex_rewrite (RouteEntryImplBase::currentUrlPathAfterRewrite):
// prefix_rewrite replaces the part of :path the route matched; regex_rewrite rewrites the path
// without its query string. Either way the query string is untouched: the result here is the new
// path portion only, and whoever builds the upstream :path appends the original query.
import type { IssueCollector } from '@weft/base';
import type { RegexMatchAndSubstituteConfig } from './config-types.js';
import { compileRegexRewrite } from './regex-substitution.js';
import { pathEnd, pathWithoutQuery } from './request-head.js';

/** The rewritten path (no query), given the request's `:path` and how much of it the route matched. */
export type PathRewrite = (path: string, matched: number) => string;

export function compilePathRewrite(
  prefixRewrite: string | undefined,
  regexRewrite: RegexMatchAndSubstituteConfig | null | undefined,
  issues: IssueCollector,
  fields: { prefix: string; regex: string },
): PathRewrite | undefined {
  if (prefixRewrite && regexRewrite) {
    issues.error(`only one of ${fields.prefix} and ${fields.regex} may be set`);
    return undefined;
  }
  if (prefixRewrite) return (path, matched) => prefixRewrite + path.slice(matched, Math.max(matched, pathEnd(path)));
  if (regexRewrite) {
    const rewrite = compileRegexRewrite(regexRewrite, issues.at(fields.regex));
    if (!rewrite) return undefined;
    return (path) => rewrite(pathWithoutQuery(path));
  }
  return undefined;
}
