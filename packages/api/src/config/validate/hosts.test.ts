import { describe, expect, it } from 'vitest';
import { Ctx } from './context.js';
import { checkFQDN, checkGatewayReference, checkNamespacedHost, checkWildcardDomain, hostSubsetOf, hostsMatch, isDNS1123Label } from './hosts.js';

describe('host names', () => {
  it.each(['reviews', 'reviews.default.svc.cluster.local', 'istio.io.', 'a-b.c-d.example', 'xn--bcher-kva.example'])('accepts FQDN/short name %s', (host) => {
    expect(checkFQDN(host)).toBeUndefined();
    expect(checkWildcardDomain(host)).toBeUndefined();
  });

  it.each(['*', '*.example.com', '*-prod.example.com', '*foo.example.com'])('accepts wildcard domain %s', (host) => {
    expect(checkWildcardDomain(host)).toBeUndefined();
    expect(checkFQDN(host)).toBeDefined();
  });

  it.each([
    ['', 'empty domain name'],
    ['foo.*.com', 'only allowed as the leftmost label'],
    ['*.*.com', 'only allowed as the leftmost label'],
    ['f*o.com', 'only allowed as the leftmost label'],
    ['-bad.com', 'label "-bad" is not valid'],
    ['bad_.com', 'label "bad_" is not valid'],
    ['1.2.3.4', 'top-level domain "4" cannot be all numeric'],
    ['a..b', 'label "" is not a DNS-1123 label'],
    [`${'a'.repeat(64)}.com`, 'is not valid'],
    [`${'a.'.repeat(128)}com`, 'too long (max 255)'],
  ])('rejects %j', (host, why) => {
    expect(checkWildcardDomain(host)).toContain(why);
  });

  it('limits DNS-1123 labels to 63 characters', () => {
    expect(isDNS1123Label('a'.repeat(63))).toBe(true);
    expect(isDNS1123Label('a'.repeat(64))).toBe(false);
  });
});

describe('wildcard relations', () => {
  it.each([
    ['*.foo.com', 'bar.foo.com', true],
    ['*.foo.com', '*.com', true],
    ['*.foo.com', '*.bar.com', false],
    ['foo.com', 'foo.com', true],
    ['foo.com', 'bar.com', false],
    ['*', 'anything.example', true],
  ])('hostsMatch(%s, %s) = %s', (a, b, expected) => {
    expect(hostsMatch(a, b)).toBe(expected);
    expect(hostsMatch(b, a)).toBe(expected);
  });

  it.each([
    ['bar.foo.com', '*.foo.com', true],
    ['*.bar.foo.com', '*.foo.com', true],
    ['*.foo.com', '*.bar.foo.com', false],
    ['*.foo.com', 'bar.foo.com', false],
    ['foo.com', 'foo.com', true],
  ])('hostSubsetOf(%s, %s) = %s', (a, b, expected) => {
    expect(hostSubsetOf(a, b)).toBe(expected);
  });
});

describe('namespaced hosts and gateway references', () => {
  const errors = (fn: (ctx: Ctx) => void): string[] => {
    const ctx = Ctx.root();
    fn(ctx);
    return ctx.result().errors.map((e) => e.message);
  };

  it.each(['*/*', './*', '~/*', 'prod/*.example.com', 'istio-system/istio-telemetry.istio-system.svc.cluster.local'])('sidecar accepts %s', (h) => {
    expect(errors((ctx) => checkNamespacedHost(h, false, ctx))).toEqual([]);
  });

  it('gateways accept bare dnsName and IPs but not "~"', () => {
    expect(errors((ctx) => checkNamespacedHost('bookinfo.example.com', true, ctx))).toEqual([]);
    expect(errors((ctx) => checkNamespacedHost('ns/10.0.0.1', true, ctx))).toEqual([]);
    expect(errors((ctx) => checkNamespacedHost('~/foo.com', true, ctx))).toEqual([expect.stringContaining('invalid namespace "~"')]);
  });

  it('sidecars reject short names, empty parts and a missing namespace', () => {
    expect(errors((ctx) => checkNamespacedHost('ns/reviews', false, ctx))).toEqual([expect.stringContaining('short names')]);
    expect(errors((ctx) => checkNamespacedHost('/foo.com', false, ctx))).toEqual([expect.stringContaining('cannot be empty')]);
    expect(errors((ctx) => checkNamespacedHost('foo.com', false, ctx))).toEqual([expect.stringContaining('namespace/dnsName')]);
  });

  it.each([
    ['mesh', []],
    ['bookinfo-gateway', []],
    ['istio-system/ingressgateway', []],
    ['my.gateway.legacy', []],
    ['ns/gw.name', ['name "gw.name" is not a DNS-1123 label']],
    ['/gw', ['namespace "" is not a DNS-1123 label']],
    ['gw_1', ['invalid gateway reference "gw_1"']],
  ])('gateway reference %j', (ref, expected) => {
    expect(errors((ctx) => checkGatewayReference(ref, ctx))).toEqual(expected.map((m) => expect.stringContaining(m)));
  });
});
