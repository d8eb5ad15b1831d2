import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { QueryParameterMatcherConfig } from './config-types.js';
import { compileQueryMatcher, firstQueryValue } from './query-matcher.js';

describe('firstQueryValue', () => {
  it.each([
    ['/p?a=1&b=2', 'a', '1'],
    ['/p?a=1&b=2', 'b', '2'],
    ['/p?a=1&a=2', 'a', '1'],
    ['/p?debug', 'debug', ''],
    ['/p?debug=&x=1', 'debug', ''],
    ['/p?ab=1', 'a', undefined],
    ['/p?x=1#a=2', 'a', undefined],
    ['/p', 'a', undefined],
    ['/p?a=x%20y', 'a', 'x%20y'],
    ['/p?&&a=3', 'a', '3'],
    ['/p?a=1=2', 'a', '1=2'],
  ])('%s, %s → %j', (path, name, expected) => {
    expect(firstQueryValue(path, name)).toBe(expected);
  });
});

describe('QueryParameterMatcher', () => {
  const base = { name: 'user', string_match: null } as const;
  const cases: Array<[string, QueryParameterMatcherConfig, string, boolean]> = [
    ['present', { ...base, present_match: true, query_parameter_match_specifier: 'present_match' }, '/?user=', true],
    ['present, absent', { ...base, present_match: true, query_parameter_match_specifier: 'present_match' }, '/?other=1', false],
    [
      'string_match exact',
      { name: 'user', string_match: { exact: 'jason', ignore_case: false, match_pattern: 'exact' }, query_parameter_match_specifier: 'string_match' },
      '/?user=jason',
      true,
    ],
    [
      'string_match exact, other value',
      { name: 'user', string_match: { exact: 'jason', ignore_case: false, match_pattern: 'exact' }, query_parameter_match_specifier: 'string_match' },
      '/?user=bob',
      false,
    ],
    [
      'string_match regex',
      {
        name: 'user',
        string_match: { safe_regex: { regex: 'j.*', google_re2: null }, ignore_case: false, match_pattern: 'safe_regex' },
        query_parameter_match_specifier: 'string_match',
      },
      '/?user=jason',
      true,
    ],
    ['no specifier: present', { name: 'user', string_match: null }, '/?user=x', true],
  ];
  it.each(cases)('%s', (_n, config, path, expected) => {
    const issues = new IssueCollector();
    expect(compileQueryMatcher(config, issues).matches(path)).toBe(expected);
    expect(issues.errors).toEqual([]);
  });
});
