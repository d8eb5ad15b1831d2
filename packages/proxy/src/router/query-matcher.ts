// envoy.config.route.v3.QueryParameterMatcher: the first value of a query parameter, not URL-decoded
// (Envoy's parseQueryString), must be present or satisfy a StringMatcher.
import type { IssueCollector } from '@weft/base';
import type { QueryParameterMatcherConfig } from './config-types.js';
import { compileStringMatcher, type StringMatch } from './string-matcher.js';

export interface QueryMatch {
  readonly name: string;
  /** `path` is the whole `:path`; matching scans its query string without building a map. */
  matches(path: string): boolean;
}

export function matchAllQueryParameters(matchers: readonly QueryMatch[], path: string): boolean {
  for (const m of matchers) if (!m.matches(path)) return false;
  return true;
}

export function compileQueryMatchers(configs: readonly QueryParameterMatcherConfig[], issues: IssueCollector): QueryMatch[] {
  return configs.map((c, i) => compileQueryMatcher(c, issues.at(i)));
}

export function compileQueryMatcher(config: QueryParameterMatcherConfig, issues: IssueCollector): QueryMatch {
  const name = config.name;
  if (!name) issues.at('name').error('a query parameter name is required');
  let value: StringMatch | undefined;
  if (config.query_parameter_match_specifier === 'string_match' && config.string_match) {
    value = compileStringMatcher(config.string_match, issues.at('string_match'));
  } else if (config.query_parameter_match_specifier === 'present_match' && config.present_match === false) {
    // Envoy's validation requires present_match to be true when it is the specifier.
    issues.at('present_match').error('present_match must be true');
  }
  return {
    name,
    matches(path) {
      const found = firstQueryValue(path, name);
      if (found === undefined) return false;
      return value === undefined || value.match(found);
    },
  };
}

/**
 * The first value of query parameter `name` in a `:path`, '' for `?name` or `?name=`, undefined
 * when absent. The query runs from the first '?' to a '#' or the end; parameters split on '&'.
 */
export function firstQueryValue(path: string, name: string): string | undefined {
  const q = path.indexOf('?');
  if (q < 0) return undefined;
  const hash = path.indexOf('#', q + 1);
  const end = hash < 0 ? path.length : hash;
  let start = q + 1;
  while (start <= end) {
    let amp = path.indexOf('&', start);
    if (amp < 0 || amp > end) amp = end;
    if (amp > start) {
      const eq = path.indexOf('=', start);
      const keyEnd = eq >= 0 && eq < amp ? eq : amp;
      if (keyEnd - start === name.length && path.startsWith(name, start)) {
        return keyEnd === amp ? '' : path.slice(keyEnd + 1, amp);
      }
    }
    start = amp + 1;
  }
  return undefined;
}
