import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { compilePeerValidator, parseSubjectAltNames } from './peer-validator.js';

const exact = (value: string) => ({ match_pattern: 'exact' as const, exact: value, ignore_case: false });

describe('parseSubjectAltNames', () => {
  it.each([
    ['DNS:a.example.com, DNS:b.example.com', [{ kind: 'DNS', value: 'a.example.com' }, { kind: 'DNS', value: 'b.example.com' }]],
    ['URI:spiffe://cluster.local/ns/default/sa/web, IP Address:10.0.0.1', [{ kind: 'URI', value: 'spiffe://cluster.local/ns/default/sa/web' }, { kind: 'IP_ADDRESS', value: '10.0.0.1' }]],
    ['email:ops@example.com', [{ kind: 'EMAIL', value: 'ops@example.com' }]],
    // Node JSON-quotes values that hold separators, so a comma cannot split a name in two.
    ['DNS:"evil.com, DNS:good.example.com", DNS:x.test', [{ kind: 'DNS', value: 'evil.com, DNS:good.example.com' }, { kind: 'DNS', value: 'x.test' }]],
    ['', []],
  ])('%s', (text, expected) => {
    expect(parseSubjectAltNames(text)).toEqual(expected);
  });
});

describe('compilePeerValidator', () => {
  const cert = (subjectaltname: string) => ({ raw: Buffer.from('not checked here'), subjectaltname });

  it('has nothing to check without SAN matchers or pins', () => {
    expect(compilePeerValidator({}, new IssueCollector())).toBeUndefined();
  });

  it.each<[string, object, string, boolean]>([
    ['untyped exact on a DNS SAN', { match_subject_alt_names: [exact('a.example.com')] }, 'DNS:a.example.com', true],
    ['untyped exact on a URI SAN', { match_subject_alt_names: [exact('spiffe://td/ns/a/sa/b')] }, 'URI:spiffe://td/ns/a/sa/b', true],
    ['untyped exact, no SAN matches', { match_subject_alt_names: [exact('a.example.com')] }, 'DNS:b.example.com', false],
    ['a wildcard certificate covers one label', { match_subject_alt_names: [exact('a.example.com')] }, 'DNS:*.example.com', true],
    ['a wildcard certificate does not cover two labels', { match_subject_alt_names: [exact('a.b.example.com')] }, 'DNS:*.example.com', false],
    ['typed URI prefix', { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { match_pattern: 'prefix', prefix: 'spiffe://td/', ignore_case: false } }] }, 'URI:spiffe://td/ns/x', true],
    ['typed URI does not look at DNS names', { match_typed_subject_alt_names: [{ san_type: 'URI', matcher: exact('a.example.com') }] }, 'DNS:a.example.com', false],
    ['the quoted trick does not smuggle a name', { match_subject_alt_names: [exact('good.example.com')] }, 'DNS:"evil.com, DNS:good.example.com"', false],
  ])('%s', (_name, config, sans, ok) => {
    const v = compilePeerValidator(config, new IssueCollector());
    expect(v?.verify(cert(sans))).toBe(ok ? undefined : 'no subject alt name matches');
  });

  it('refuses a missing certificate', () => {
    expect(compilePeerValidator({ match_subject_alt_names: [exact('a')] }, new IssueCollector())?.verify(undefined)).toBe('no peer certificate');
  });

  it('reports bad pins and unsupported SAN types with their paths', () => {
    const issues = new IssueCollector('validation_context');
    compilePeerValidator({ verify_certificate_hash: ['abc'], verify_certificate_spki: ['nope'], match_typed_subject_alt_names: [{ san_type: 'OTHER_NAME', matcher: exact('x') }] }, issues);
    expect(issues.errors.map((e) => e.path)).toEqual(['validation_context.match_typed_subject_alt_names[0].san_type', 'validation_context.verify_certificate_hash[0]', 'validation_context.verify_certificate_spki[0]']);
  });
});
