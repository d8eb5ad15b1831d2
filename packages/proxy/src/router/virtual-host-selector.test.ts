import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { stripPort, VirtualHostSelector } from './virtual-host-selector.js';

function selector(hosts: Record<string, string[]>, ignorePortInHostMatching = false) {
  const s = new VirtualHostSelector<string>({ ignorePortInHostMatching });
  const issues = new IssueCollector();
  for (const [name, domains] of Object.entries(hosts)) s.add(domains, name, issues);
  expect(issues.errors).toEqual([]);
  return s;
}

describe('VirtualHostSelector', () => {
  const s = selector({
    exact: ['www.foo.com', 'www.foo.com:8080'],
    suffix: ['*.foo.com'],
    longerSuffix: ['*-bar.foo.com'],
    prefix: ['foo.*'],
    longerPrefix: ['foo.bar.*'],
    any: ['*'],
  });

  it.each([
    ['www.foo.com', 'exact'],
    ['WWW.Foo.COM', 'exact'],
    ['www.foo.com:8080', 'exact'],
    // The port is part of the authority, so an unlisted port falls through to the catch-all:
    // Pilot emits both `host` and `host:port` for this reason.
    ['www.foo.com:9090', 'any'],
    ['api.foo.com:80', 'any'],
    ['api.foo.com', 'suffix'],
    ['baz-bar.foo.com', 'longerSuffix'],
    ['-bar.foo.com', 'suffix'],
    // `*.foo.com` does not match `.foo.com`: the wildcard must stand for at least one character.
    ['.foo.com', 'any'],
    ['foo.org', 'prefix'],
    ['foo.bar.org', 'longerPrefix'],
    // Suffix wildcards are tried before prefix wildcards.
    ['foo.x.foo.com', 'suffix'],
    ['other.org', 'any'],
    ['', 'any'],
  ])('%j selects %s', (authority, expected) => {
    expect(s.select(authority)).toBe(expected);
  });

  it('answers undefined when nothing matches and there is no "*"', () => {
    expect(selector({ a: ['a.com'] }).select('b.com')).toBeUndefined();
  });

  it('with only "*", takes every authority without looking at it', () => {
    expect(selector({ any: ['*', ] }).select('whatever:1234')).toBe('any');
  });

  it('ignore_port_in_host_matching drops the port first', () => {
    const p = selector({ a: ['a.com'], any: ['*'] }, true);
    expect(p.select('a.com:8080')).toBe('a');
    expect(p.select('[::1]:80')).toBe('any');
  });

  it.each([
    [['a.com', 'A.com'], 'duplicate domain'],
    [['*', '*'], 'only one virtual host'],
    [['*.a.com', '*.A.COM'], 'duplicate domain'],
    [['a.*', 'a.*'], 'duplicate domain'],
  ])('rejects %j', (domains, message) => {
    const sel = new VirtualHostSelector<string>();
    const issues = new IssueCollector('virtual_hosts[0].domains');
    sel.add(domains, 'x', issues);
    expect(issues.errors).toHaveLength(1);
    expect(issues.errors[0]?.path).toBe('virtual_hosts[0].domains[1]');
    expect(issues.errors[0]?.message).toContain(message);
  });

  it.each([
    ['a.com:80', 'a.com'],
    ['a.com', 'a.com'],
    ['[::1]:80', '[::1]'],
    ['[::1]', '[::1]'],
  ])('stripPort(%s) = %s', (input, expected) => {
    expect(stripPort(input)).toBe(expected);
  });
});
