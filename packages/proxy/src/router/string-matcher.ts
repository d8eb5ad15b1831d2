// envoy.type.matcher.v3.StringMatcher, compiled once: exact, prefix, suffix, contains (each optionally
// ASCII case-insensitive) and safe_regex (RE2 full match; ignore_case does not apply to it).
import type { IssueCollector } from '@weft/base';
import type { RegexMatcherConfig, StringMatcherConfig } from './config-types.js';
import { backtrackingRisk, compileFullMatchRegex } from './re2-regex.js';

export interface StringMatch {
  match(value: string): boolean;
}

/** Compiles a StringMatcher; problems go to `issues` and the result is a matcher that never matches. */
export function compileStringMatcher(config: StringMatcherConfig, issues: IssueCollector): StringMatch {
  const ignoreCase = config.ignore_case;
  switch (config.match_pattern) {
    case 'exact':
      return exactMatcher(config.exact ?? '', ignoreCase);
    case 'prefix':
      return prefixMatcher(config.prefix ?? '', ignoreCase);
    case 'suffix':
      return suffixMatcher(config.suffix ?? '', ignoreCase);
    case 'contains':
      return containsMatcher(config.contains ?? '', ignoreCase);
    case 'safe_regex':
      return regexMatcher(config.safe_regex ?? null, issues.at('safe_regex'));
    case 'custom':
      issues.at('custom').error('custom string matchers are not supported');
      return NEVER;
    default:
      issues.error('one of exact, prefix, suffix, contains or safe_regex is required');
      return NEVER;
  }
}

/** Compiles a RegexMatcher for a whole-value match. */
export function regexMatcher(config: RegexMatcherConfig | null, issues: IssueCollector): StringMatch {
  const pattern = config?.regex ?? '';
  const compiled = compileFullMatchRegex(pattern);
  if (!compiled.ok) {
    issues.at('regex').error(compiled.error);
    return NEVER;
  }
  const risk = backtrackingRisk(pattern);
  if (risk) issues.at('regex').warn(risk);
  const regex = compiled.value;
  return { match: (value) => regex.test(value) };
}

export function exactMatcher(expected: string, ignoreCase: boolean): StringMatch {
  if (!ignoreCase) return { match: (value) => value === expected };
  const lower = asciiLower(expected);
  return { match: (value) => value.length === lower.length && regionEqualsIgnoreCase(value, 0, lower) };
}

export function prefixMatcher(prefix: string, ignoreCase: boolean): StringMatch {
  if (!ignoreCase) return { match: (value) => value.startsWith(prefix) };
  const lower = asciiLower(prefix);
  return { match: (value) => value.length >= lower.length && regionEqualsIgnoreCase(value, 0, lower) };
}

export function suffixMatcher(suffix: string, ignoreCase: boolean): StringMatch {
  if (!ignoreCase) return { match: (value) => value.endsWith(suffix) };
  const lower = asciiLower(suffix);
  return {
    match: (value) => value.length >= lower.length && regionEqualsIgnoreCase(value, value.length - lower.length, lower),
  };
}

export function containsMatcher(needle: string, ignoreCase: boolean): StringMatch {
  if (!ignoreCase) return { match: (value) => value.includes(needle) };
  const lower = asciiLower(needle);
  return { match: (value) => asciiLower(value).includes(lower) };
}

export const NEVER: StringMatch = { match: () => false };

/** Lower-cases ASCII letters only, as absl::AsciiStrToLower does. */
export function asciiLower(value: string): string {
  return /[A-Z]/.test(value) ? value.replace(/[A-Z]+/g, (s) => s.toLowerCase()) : value;
}

/** True when `value` holds `lower` (already lower-case) at `offset`, ignoring ASCII case; no allocation. */
export function regionEqualsIgnoreCase(value: string, offset: number, lower: string): boolean {
  for (let i = 0; i < lower.length; i++) {
    let c = value.charCodeAt(offset + i);
    if (c >= 0x41 && c <= 0x5a) c += 0x20;
    if (c !== lower.charCodeAt(i)) return false;
  }
  return true;
}
