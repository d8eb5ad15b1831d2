// envoy.config.route.v3.HeaderMatcher as Envoy's HeaderUtility::matchHeaders evaluates it: the header's
// values joined with ',', pseudo-headers read from the request head, invert_match applied last.
import type { IssueCollector } from '@weft/base';
import type { HeaderMatcherConfig } from './config-types.js';
import { readHeader, type HeaderSource } from './request-head.js';
import {
  compileStringMatcher,
  containsMatcher,
  NEVER,
  prefixMatcher,
  regexMatcher,
  suffixMatcher,
  type StringMatch,
} from './string-matcher.js';

export interface HeaderMatch {
  readonly name: string;
  matches(head: HeaderSource): boolean;
}

/** True when every matcher matches; an empty list matches everything. */
export function matchAllHeaders(matchers: readonly HeaderMatch[], head: HeaderSource): boolean {
  for (const m of matchers) if (!m.matches(head)) return false;
  return true;
}

export function compileHeaderMatchers(configs: readonly HeaderMatcherConfig[], issues: IssueCollector): HeaderMatch[] {
  return configs.map((c, i) => compileHeaderMatcher(c, issues.at(i)));
}

export function compileHeaderMatcher(config: HeaderMatcherConfig, issues: IssueCollector): HeaderMatch {
  const name = config.name.toLowerCase();
  if (!name) issues.at('name').error('a header name is required');
  const invert = config.invert_match;
  const treatMissingAsEmpty = config.treat_missing_header_as_empty;
  const spec = valueTest(config, issues);
  return {
    name,
    matches(head) {
      let value = readHeader(head, name);
      if (value === undefined) {
        if (!treatMissingAsEmpty) {
          // An absent header matches only `present_match: false` (or its inversion, `present_match: true`).
          return spec.presence !== undefined && spec.presence === invert;
        }
        value = '';
      }
      return spec.test(value) !== invert;
    },
  };
}

interface ValueTest {
  /** Set for present_match (and an unset specifier, which means "present"). */
  presence?: boolean;
  test(value: string): boolean;
}

function valueTest(config: HeaderMatcherConfig, issues: IssueCollector): ValueTest {
  switch (config.header_match_specifier) {
    case 'exact_match': {
      const expected = config.exact_match ?? '';
      // An empty exact_match accepts any value, as Envoy's HeaderData did.
      return { test: (value) => expected === '' || value === expected };
    }
    case 'safe_regex_match':
      return stringTest(regexMatcher(config.safe_regex_match ?? null, issues.at('safe_regex_match')));
    case 'range_match':
      return rangeTest(config, issues);
    case 'present_match': {
      const presence = config.present_match ?? false;
      return { presence, test: () => presence };
    }
    case 'prefix_match':
      return stringTest(prefixMatcher(config.prefix_match ?? '', false));
    case 'suffix_match':
      return stringTest(suffixMatcher(config.suffix_match ?? '', false));
    case 'contains_match':
      return stringTest(containsMatcher(config.contains_match ?? '', false));
    case 'string_match':
      return config.string_match
        ? stringTest(compileStringMatcher(config.string_match, issues.at('string_match')))
        : stringTest(NEVER);
    default:
      return { presence: true, test: () => true };
  }
}

function stringTest(m: StringMatch): ValueTest {
  return { test: (value) => m.match(value) };
}

const INTEGER = /^\s*[+-]?\d+\s*$/;

/** range_match: the value parses as an int64 and lies in [start, end). */
function rangeTest(config: HeaderMatcherConfig, issues: IssueCollector): ValueTest {
  const range = config.range_match;
  if (!range) {
    issues.at('range_match').error('a range is required');
    return { test: () => false };
  }
  const start = BigInt(range.start);
  const end = BigInt(range.end);
  return {
    test(value) {
      if (!INTEGER.test(value)) return false;
      const n = BigInt(value.trim());
      return n >= start && n < end;
    },
  };
}
