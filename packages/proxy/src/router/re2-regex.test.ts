import { describe, expect, it } from 'vitest';
import { backtrackingRisk, compileFullMatchRegex, compileSearchRegex, compileSubstitution, replaceAll } from './re2-regex.js';

function full(pattern: string): RegExp {
  const r = compileFullMatchRegex(pattern);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('compileFullMatchRegex', () => {
  it.each([
    ['/api/v[0-9]+', '/api/v12', true],
    ['/api/v[0-9]+', '/api/v12/extra', false],
    ['/api/v[0-9]+', 'x/api/v1', false],
    ['a|b', 'a', true],
    ['a|b', 'ab', false],
    ['(?i)/Foo', '/fOO', true],
    ['(?P<ver>v[0-9])/x', 'v1/x', true],
    ['\\A/a\\z', '/a', true],
    ['[[:digit:]]+', '123', true],
    ['[[:alpha:]]+', 'ab1', false],
    ['\\Q.*\\E', '.*', true],
    ['\\Q.*\\E', 'ab', false],
    ['a\\-b', 'a-b', true],
    ['[]a]+', ']a]', true],
    ['\\pL+', 'héllo', true],
    ['[(?=]+', '(?=', true],
    ['[\\1]', '\x01', true],
    ['a{2}', 'aa', true],
    ['x{foo}', 'x{foo}', true],
    ['a}+', 'a}}', true],
    ['a+?b', 'aab', true],
    ['.*(Chrome/([\\d.]+)).*', 'Mozilla Chrome/77.0.3865 Safari', true],
    ['^(.*?;)?(user=tester)(;.*)?$', 'a=b;user=tester', true],
  ])('%s full-matches %j: %s', (pattern, input, expected) => {
    expect(full(pattern).test(input)).toBe(expected);
  });

  it.each([
    ['foo(?=bar)', 'lookahead'],
    ['foo(?!bar)', 'lookahead'],
    ['(?<=a)b', 'lookbehind'],
    ['(?<!a)b', 'lookbehind'],
    ['(?>a)', 'atomic'],
    ['(a)\\1', 'backreference'],
    ['(?<n>a)\\k<n>', 'named backreference'],
    ['a++', 'possessive'],
    ['a{2}+', 'possessive'],
    ['(', 'not a valid RE2'],
    ['a\\', 'trailing backslash'],
    ['a\\Z', '\\Z'],
    ['(?U)a+', 'ungreedy'],
    ['a(?i)b', 'inline flags'],
  ])('rejects %s, which RE2 (or our translation) does not accept', (pattern, reason) => {
    const r = compileFullMatchRegex(pattern);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(reason);
    if (!r.ok) expect(r.error).toContain('is not a valid RE2 regular expression');
  });

  it('compiles many thousands of patterns without exhausting anything (no re2-wasm heap)', () => {
    for (let i = 0; i < 10_000; i++) expect(compileFullMatchRegex(`^(.*?;)?(user=tester${i})(;.*)?$`).ok).toBe(true);
  });
});

describe('RE2 substitutions', () => {
  function rewrite(pattern: string, substitution: string, input: string): string {
    const regex = compileSearchRegex(pattern);
    if (!regex.ok) throw new Error(regex.error);
    const sub = compileSubstitution(substitution, regex.value);
    if (!sub.ok) throw new Error(sub.error);
    return replaceAll(regex.value, input, sub.value);
  }

  it.each([
    ['^/service/([^/]+)(/.*)$', '\\2/instance/\\1', '/service/foo/v1/api', '/v1/api/instance/foo'],
    ['one', 'two', '/xxx/one/yyy/one/zzz', '/xxx/two/yyy/two/zzz'],
    ['^(.*?)one(.*)$', '\\1two\\2', '/xxx/one/yyy/one/zzz', '/xxx/two/yyy/one/zzz'],
    ['(?i)/aaa/', '/', '/AAA/bbb', '/bbb'],
    ['x', '\\0\\\\', 'axb', 'ax\\b'],
  ])('%s → %s rewrites %s to %s', (pattern, substitution, input, expected) => {
    expect(rewrite(pattern, substitution, input)).toBe(expected);
  });

  it.each([
    ['(a)', '\\2', 'names group \\2'],
    ['(a)', '\\x', 'invalid escape'],
  ])('rejects substitution %s / %s', (pattern, substitution, message) => {
    const regex = compileSearchRegex(pattern);
    if (!regex.ok) throw new Error(regex.error);
    const sub = compileSubstitution(substitution, regex.value);
    expect(sub.ok).toBe(false);
    if (!sub.ok) expect(sub.error).toContain(message);
  });
});

describe('backtrackingRisk', () => {
  it.each([
    ['(a+)+$', true],
    ['(x*y)*', true],
    ['((ab)*c)+', true],
    ['(a|b{2,})*', true],
    ['^(.*?;)?(user=tester)(;.*)?$', false],
    ['.*(Chrome/([\\d.]+)).*', false],
    ['(a+)?', false],
    ['([a+]+)', false],
    ['(\\+)+', false],
  ])('%s → %s', (pattern, risky) => {
    expect(backtrackingRisk(pattern) !== undefined).toBe(risky);
  });
});
