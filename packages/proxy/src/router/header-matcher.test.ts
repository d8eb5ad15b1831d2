import { loadProtoRegistry } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { HeaderMatcherConfig } from './config-types.js';
import { compileHeaderMatcher, matchAllHeaders } from './header-matcher.js';
import { createRequestHead } from './request-head.js';

const registry = loadProtoRegistry();
const TYPE = 'envoy.config.route.v3.HeaderMatcher';

function matcher(json: object) {
  const read = registry.readJson(TYPE, json);
  if (!read.value) throw new Error(JSON.stringify(read.issues));
  const config = registry.decode<HeaderMatcherConfig>(TYPE, registry.encode(TYPE, read.value));
  const issues = new IssueCollector();
  const m = compileHeaderMatcher(config, issues);
  expect(issues.errors).toEqual([]);
  return m;
}

const head = (headers: Record<string, string | string[]>) =>
  createRequestHead({ method: 'POST', authority: 'Example.com:8080', path: '/a?b=1', scheme: 'https', headers });

describe('HeaderMatcher', () => {
  it.each([
    ['exact', { name: 'x-user', exactMatch: 'jason' }, { 'x-user': 'jason' }, true],
    ['exact, other value', { name: 'x-user', exactMatch: 'jason' }, { 'x-user': 'json' }, false],
    ['exact, missing', { name: 'x-user', exactMatch: 'jason' }, {}, false],
    ['string_match exact (what Pilot emits)', { name: 'end-user', stringMatch: { exact: 'jason' } }, { 'end-user': 'jason' }, true],
    ['string_match prefix ignore_case', { name: 'x-v', stringMatch: { prefix: 'BETA', ignoreCase: true } }, { 'x-v': 'beta-2' }, true],
    ['safe_regex_match is a full match', { name: 'x-v', safeRegexMatch: { regex: 'v[0-9]' } }, { 'x-v': 'v12' }, false],
    ['safe_regex_match', { name: 'x-v', safeRegexMatch: { regex: 'v[0-9]+' } }, { 'x-v': 'v12' }, true],
    ['range in [start, end)', { name: 'x-n', rangeMatch: { start: '10', end: '20' } }, { 'x-n': '19' }, true],
    ['range end is exclusive', { name: 'x-n', rangeMatch: { start: '10', end: '20' } }, { 'x-n': '20' }, false],
    ['range needs an integer', { name: 'x-n', rangeMatch: { start: '10', end: '20' } }, { 'x-n': '15.5' }, false],
    ['range, negative', { name: 'x-n', rangeMatch: { start: '-10', end: '0' } }, { 'x-n': '-3' }, true],
    ['present', { name: 'x-a', presentMatch: true }, { 'x-a': '' }, true],
    ['present, missing', { name: 'x-a', presentMatch: true }, {}, false],
    ['present_match false matches a missing header', { name: 'x-a', presentMatch: false }, {}, true],
    ['present_match false, present', { name: 'x-a', presentMatch: false }, { 'x-a': '1' }, false],
    ['no specifier means present', { name: 'x-a' }, { 'x-a': 'anything' }, true],
    ['no specifier, missing', { name: 'x-a' }, {}, false],
    ['prefix', { name: 'x-a', prefixMatch: 'ab' }, { 'x-a': 'abc' }, true],
    ['suffix', { name: 'x-a', suffixMatch: 'bc' }, { 'x-a': 'abc' }, true],
    ['contains', { name: 'x-a', containsMatch: 'b' }, { 'x-a': 'abc' }, true],
    ['invert exact', { name: 'x-a', exactMatch: 'v1', invertMatch: true }, { 'x-a': 'v2' }, true],
    ['invert exact, equal', { name: 'x-a', exactMatch: 'v1', invertMatch: true }, { 'x-a': 'v1' }, false],
    ['invert exact, missing header does not match', { name: 'x-a', exactMatch: 'v1', invertMatch: true }, {}, false],
    ['invert present, missing', { name: 'x-a', presentMatch: true, invertMatch: true }, {}, true],
    ['invert present, present', { name: 'x-a', presentMatch: true, invertMatch: true }, { 'x-a': '1' }, false],
    ['treat_missing_header_as_empty', { name: 'x-a', stringMatch: { exact: '' }, treatMissingHeaderAsEmpty: true }, {}, true],
    ['treat_missing, inverted prefix', { name: 'x-a', prefixMatch: 'a', invertMatch: true, treatMissingHeaderAsEmpty: true }, {}, true],
    ['several values are joined with ","', { name: 'x-a', exactMatch: 'a,b' }, { 'x-a': ['a', 'b'] }, true],
    [':method pseudo-header', { name: ':method', exactMatch: 'POST' }, {}, true],
    [':authority is matched as sent', { name: ':authority', exactMatch: 'Example.com:8080' }, {}, true],
    [':scheme', { name: ':scheme', exactMatch: 'https' }, {}, true],
    [':path includes the query', { name: ':path', exactMatch: '/a?b=1' }, {}, true],
    ['names are case-insensitive', { name: 'X-User', exactMatch: 'jason' }, { 'x-user': 'jason' }, true],
  ])('%s', (_name, json, headers, expected) => {
    expect(matcher(json).matches(head(headers))).toBe(expected);
  });

  it('requires every matcher to match, and an empty list matches', () => {
    const ms = [matcher({ name: 'a', exactMatch: '1' }), matcher({ name: 'b', presentMatch: true })];
    expect(matchAllHeaders(ms, head({ a: '1', b: 'x' }))).toBe(true);
    expect(matchAllHeaders(ms, head({ a: '1' }))).toBe(false);
    expect(matchAllHeaders([], head({}))).toBe(true);
  });
});
