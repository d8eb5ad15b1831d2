import { describe, expect, it } from 'vitest';
import { HashPolicy, formatSetCookie, type HashInput, type HashPolicyConfig } from './hash-policy.js';
import { hex64, xxHash64 } from './xxhash64.js';

const M = (1n << 64n) - 1n;
const rotl1 = (h: bigint): bigint => ((h << 1n) | (h >> 63n)) & M;

function input(parts: {
  headers?: Record<string, string>;
  cookies?: Record<string, string>;
  query?: Record<string, string>;
  sourceIp?: string;
  remote?: string;
  local?: string;
  filterState?: Record<string, bigint>;
}): HashInput {
  return {
    header: (n) => parts.headers?.[n],
    cookie: (n) => parts.cookies?.[n],
    query: (n) => parts.query?.[n],
    ...(parts.sourceIp ? { sourceIp: parts.sourceIp } : {}),
    ...(parts.remote ? { downstreamRemoteAddress: parts.remote } : {}),
    ...(parts.local ? { downstreamLocalAddress: parts.local } : {}),
    filterStateHash: (k) => parts.filterState?.[k],
  };
}

function compile(policies: HashPolicyConfig[]): HashPolicy {
  const r = HashPolicy.compile(policies);
  expect(r.errors).toEqual([]);
  return r.value!;
}

const header = (name: string, terminal = false): HashPolicyConfig => ({ policy_specifier: 'header', header: { header_name: name }, terminal });

describe('HashPolicy', () => {
  it.each([
    ['header', [header('X-User')], { headers: { 'x-user': 'alice' } }, xxHash64('alice')],
    ['cookie', [{ cookie: { name: 'session' } }], { cookies: { session: 's1' } }, xxHash64('s1')],
    ['source IP', [{ connection_properties: { source_ip: true } }], { sourceIp: '10.1.2.3' }, xxHash64('10.1.2.3')],
    ['query parameter', [{ query_parameter: { name: 'u' } }], { query: { u: '42' } }, xxHash64('42')],
    ['filter state', [{ filter_state: { key: 'k' } }], { filterState: { k: 99n } }, 99n],
  ] as const)('hashes the %s value with XXH64', (_kind, policies, req, expected) => {
    expect(compile([...policies]).generate(input(req)).hash).toBe(expected);
  });

  it.each([
    ['a missing header', [header('x-user')], {}],
    ['a missing cookie without ttl', [{ cookie: { name: 'session' } }], {}],
    ['no source IP', [{ connection_properties: { source_ip: true } }], {}],
    ['source_ip false', [{ connection_properties: { source_ip: false } }], { sourceIp: '10.1.2.3' }],
    ['a missing query parameter', [{ query_parameter: { name: 'u' } }], {}],
    ['no policies', [], { headers: { a: '1' } }],
  ] as const)('yields no hash for %s', (_what, policies, req) => {
    expect(compile([...policies]).generate(input(req))).toEqual({});
  });

  it('combines policies as rotl(hash, 1) XOR next', () => {
    const req = input({ headers: { a: '1', b: '2', c: '3' } });
    const expected = rotl1(rotl1(xxHash64('1')) ^ xxHash64('2')) ^ xxHash64('3');
    expect(compile([header('a'), header('b'), header('c')]).generate(req).hash).toBe(expected);
  });

  it('does not let a duplicated policy cancel itself out', () => {
    const h = xxHash64('1');
    expect(compile([header('a'), header('a')]).generate(input({ headers: { a: '1' } })).hash).toBe(rotl1(h) ^ h);
  });

  it('skips policies that produce nothing', () => {
    const req = input({ headers: { b: '2' } });
    expect(compile([header('a'), header('b')]).generate(req).hash).toBe(xxHash64('2'));
  });

  it.each([
    ['stops at a terminal policy that hashed', [header('a', true), header('b')], { a: '1', b: '2' }, xxHash64('1')],
    ['goes past a terminal policy that did not hash', [header('x', true), header('b')], { b: '2' }, xxHash64('2')],
    // Envoy checks the hash so far, so a terminal miss still stops once an earlier policy hashed.
    ['stops at a terminal miss after an earlier hash', [header('a'), header('x', true), header('b')], { a: '1', b: '2' }, xxHash64('1')],
  ])('%s', (_what, policies, headers, expected) => {
    expect(compile(policies).generate(input({ headers })).hash).toBe(expected);
  });

  describe('cookie with ttl', () => {
    const policy: HashPolicyConfig = { cookie: { name: 'sticky', ttl: { seconds: '3600' }, path: '/app' } };

    it('hashes the request cookie when present and sets none', () => {
      expect(compile([policy]).generate(input({ cookies: { sticky: 'abc' } }))).toEqual({ hash: xxHash64('abc') });
    });

    it('generates the value from the downstream addresses and hashes it', () => {
      const r = compile([policy]).generate(input({ remote: '10.0.0.7:51234', local: '10.0.0.1:8080', sourceIp: '10.0.0.7' }));
      const value = hex64(xxHash64('10.0.0.7:5123410.0.0.1:8080'));
      expect(r).toEqual({ hash: xxHash64(value), setCookie: { name: 'sticky', value, ttlSeconds: 3600, path: '/app' } });
      expect(value).toMatch(/^[0-9a-f]{16}$/);
    });

    it('gives every request on one connection the same cookie', () => {
      const hp = compile([policy]);
      const req = input({ remote: '10.0.0.7:51234', local: '10.0.0.1:8080' });
      expect(hp.generate(req)).toEqual(hp.generate(req));
    });

    it('treats an empty cookie as absent', () => {
      expect(compile([policy]).generate(input({ cookies: { sticky: '' }, remote: '1.1.1.1:1', local: '2.2.2.2:2' })).setCookie).toBeDefined();
    });

    it('formats Set-Cookie as Envoy does', () => {
      expect(formatSetCookie({ name: 'sticky', value: 'v', ttlSeconds: 3600, path: '/app' })).toBe('sticky="v"; Max-Age=3600; Path=/app; HttpOnly');
      expect(formatSetCookie({ name: 'sticky', value: 'v', ttlSeconds: 0 })).toBe('sticky="v"; HttpOnly');
    });
  });

  it.each([
    [[{ policy_specifier: 'header', header: { header_name: '' } }], '[0].header.header_name'],
    [[header('ok'), { cookie: { name: '' } }], '[1].cookie.name'],
    [[{ query_parameter: { name: '' } }], '[0].query_parameter.name'],
    [[{ terminal: true }], '[0]'],
    [[{ policy_specifier: 'bogus' }], '[0]'],
  ] as [HashPolicyConfig[], string][])('reports a bad policy at its path %#', (policies, path) => {
    const r = HashPolicy.compile(policies);
    expect(r.value).toBeUndefined();
    expect(r.errors.map((e) => e.path)).toEqual([path]);
  });
});
