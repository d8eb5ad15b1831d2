import { loadProtoRegistry } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { StringMatcherConfig } from './config-types.js';
import { compileStringMatcher } from './string-matcher.js';

const registry = loadProtoRegistry();
const TYPE = 'envoy.type.matcher.v3.StringMatcher';

function matcher(json: object) {
  const read = registry.readJson(TYPE, json);
  if (!read.value) throw new Error(JSON.stringify(read.issues));
  const config = registry.decode<StringMatcherConfig>(TYPE, registry.encode(TYPE, read.value));
  const issues = new IssueCollector();
  const m = compileStringMatcher(config, issues);
  expect(issues.errors).toEqual([]);
  return m;
}

describe('StringMatcher', () => {
  it.each([
    [{ exact: 'abc' }, 'abc', true],
    [{ exact: 'abc' }, 'ABC', false],
    [{ exact: 'abc', ignoreCase: true }, 'ABC', true],
    [{ exact: 'abc', ignoreCase: true }, 'abcd', false],
    [{ prefix: '/api' }, '/api/v1', true],
    [{ prefix: '/api' }, '/API/v1', false],
    [{ prefix: '/api', ignoreCase: true }, '/API/v1', true],
    [{ suffix: '.js' }, 'app.js', true],
    [{ suffix: '.JS', ignoreCase: true }, 'app.js', true],
    [{ suffix: '.js' }, 'js', false],
    [{ contains: 'Chrome' }, 'Mozilla Chrome/77', true],
    [{ contains: 'chrome', ignoreCase: true }, 'Mozilla CHROME/77', true],
    [{ contains: 'chrome' }, 'Mozilla CHROME/77', false],
    [{ safeRegex: { regex: 'v[0-9]+' } }, 'v12', true],
    [{ safeRegex: { regex: 'v[0-9]+' } }, 'xv12', false],
  ])('%j on %j → %s', (json, value, expected) => {
    expect(matcher(json).match(value)).toBe(expected);
  });

  it('reports an invalid RE2 regex with its path and never matches', () => {
    const issues = new IssueCollector('match');
    const m = compileStringMatcher({ safe_regex: { regex: '(?=x)', google_re2: null }, ignore_case: false, match_pattern: 'safe_regex' }, issues);
    expect(issues.errors.map((e) => e.path)).toEqual(['match.safe_regex.regex']);
    expect(m.match('x')).toBe(false);
  });
});
