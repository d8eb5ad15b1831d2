import { describe, expect, it } from 'vitest';
import { checkRegex, checkRegexWithoutRe2, findRe2Incompatibility, regexEngine } from './regex.js';

const VALID = ['^/api/v[0-9]+/.*$', '(?i)^/Login', '(?P<id>[0-9]+)', 'a{2,3}', '\\d+\\.\\d+', '[(?=]', '^$', '\\Aabc\\z'];
const INVALID: readonly [string, string][] = [
  ['^/api(?=/v1)', 'lookahead'],
  ['foo(?!bar)', 'lookahead'],
  ['(?<=a)b', 'lookbehind'],
  ['(a)\\1', 'backreference'],
  ['(?<x>a)\\k<x>', 'named backreference'],
  ['a++', 'possessive'],
  ['(unclosed', ''],
  ['[z-a]', ''],
];

describe('regex validity with RE2 semantics', () => {
  it('uses re2-wasm when installed (it ships with @grpc/grpc-js-xds)', () => {
    expect(['re2-wasm', 'ecmascript+scan']).toContain(regexEngine());
  });

  it.each(VALID)('accepts %j with either engine', (pattern) => {
    expect(checkRegex(pattern)).toBeUndefined();
    expect(checkRegexWithoutRe2(pattern)).toBeUndefined();
  });

  it.each(INVALID)('rejects %j with either engine', (pattern, why) => {
    expect(checkRegex(pattern)).toContain('is not a valid RE2 regular expression');
    const fallback = checkRegexWithoutRe2(pattern);
    expect(fallback).toContain('is not a valid RE2 regular expression');
    expect(fallback).toContain(why);
  });

  it('does not mistake bracketed characters for RE2-only constructs', () => {
    expect(findRe2Incompatibility('[\\1]')).toBeUndefined();
    expect(findRe2Incompatibility('[]?=]')).toBeUndefined();
    expect(findRe2Incompatibility('\\(?=x')).toBeUndefined();
  });
});
