import { describe, expect, it } from 'vitest';
import { SimpleHost, prioritySetFromHosts, type Host } from './host.js';
import type { LbContext } from './load-balancer.js';
import { mulberry32 } from './mulberry32.js';
import { RoundRobinLoadBalancer } from './round-robin.js';

const names = (hs: (Host | undefined)[]): string[] => hs.map((h) => h?.address ?? '-');

function rr(hosts: Host[], seed = 0): RoundRobinLoadBalancer {
  const lb = new RoundRobinLoadBalancer({ seed });
  lb.update(prioritySetFromHosts(hosts));
  return lb;
}

function pick(lb: RoundRobinLoadBalancer, n: number, ctx: LbContext = { random: mulberry32(1) }): (Host | undefined)[] {
  return Array.from({ length: n }, () => lb.chooseHost(ctx));
}

function counts(hs: (Host | undefined)[]): Record<string, number> {
  const c: Record<string, number> = {};
  for (const h of hs) c[h?.address ?? '-'] = (c[h?.address ?? '-'] ?? 0) + 1;
  return c;
}

describe('RoundRobinLoadBalancer', () => {
  const abc = () => ['a', 'b', 'c'].map((n) => new SimpleHost(n, 80));

  it('rotates through equally weighted hosts in order', () => {
    expect(names(pick(rr(abc()), 7))).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it.each([
    [0, ['a', 'b', 'c']],
    [1, ['b', 'c', 'a']],
    [5, ['c', 'a', 'b']],
  ])('starts at the seed offset %d', (seed, expected) => {
    expect(names(pick(rr(abc(), seed), 3))).toEqual(expected);
  });

  it.each([
    [[1, 2, 3], 600, { a: 100, b: 200, c: 300 }],
    [[1, 1, 5], 700, { a: 100, b: 100, c: 500 }],
    [[128, 1, 1], 1300, { a: 1280, b: 10, c: 10 }],
  ])('with weights %j gives exact shares over %d picks', (weights, n, expected) => {
    const hosts = ['a', 'b', 'c'].map((name, i) => new SimpleHost(name, 80, { weight: weights[i]! }));
    expect(counts(pick(rr(hosts, 3), n))).toEqual(expected);
  });

  it('interleaves weighted picks rather than bursting', () => {
    const hosts = [new SimpleHost('a', 80, { weight: 1 }), new SimpleHost('b', 80, { weight: 2 })];
    expect(names(pick(rr(hosts), 6))).toEqual(['b', 'a', 'b', 'b', 'a', 'b']);
  });

  it('skips unhealthy hosts', () => {
    const hosts = abc();
    hosts[1]!.healthy = false;
    expect(names(pick(rr(hosts), 4))).toEqual(['a', 'c', 'a', 'c']);
  });

  it('uses every host in panic mode', () => {
    const hosts = abc();
    hosts[0]!.healthy = false;
    hosts[1]!.healthy = false;
    expect(names(pick(rr(hosts), 3))).toEqual(['a', 'b', 'c']);
  });

  it('returns undefined with no hosts, or none healthy and panic disabled', () => {
    expect(pick(rr([]), 1)).toEqual([undefined]);
    const lb = new RoundRobinLoadBalancer({ healthyPanicThreshold: 0 });
    lb.update(prioritySetFromHosts([new SimpleHost('a', 80, { healthy: false })]));
    expect(pick(lb, 1)).toEqual([undefined]);
  });

  it('keeps its rotation position across updates', () => {
    const hosts = abc();
    const lb = rr(hosts);
    pick(lb, 2);
    lb.update(prioritySetFromHosts(hosts));
    expect(names(pick(lb, 2))).toEqual(['c', 'a']);
  });

  it('spills to P1 by priority load (P0 half healthy → 70/30)', () => {
    const hosts = [
      ...Array.from({ length: 4 }, (_, i) => new SimpleHost(`p0-${i}`, 80, { healthy: i < 2 })),
      ...Array.from({ length: 4 }, (_, i) => new SimpleHost(`p1-${i}`, 80, { priority: 1 })),
    ];
    const got = pick(rr(hosts), 10000);
    const p1 = got.filter((h) => h!.priority === 1).length / got.length;
    expect(p1).toBeGreaterThan(0.28);
    expect(p1).toBeLessThan(0.32);
  });

  describe('previous hosts (retry_host_predicate previous_hosts)', () => {
    it('re-picks when the host was already tried', () => {
      const hosts = abc();
      const lb = rr(hosts);
      expect(lb.chooseHost({ random: Math.random, previousHosts: new Set([hosts[0]!]) })?.address).toBe('b');
    });

    it('tries at most 1 + host_selection_retry_max_attempts times, then keeps the last pick', () => {
      const hosts = abc();
      const tried = new Set<Host>(hosts);
      const lb = rr(hosts);
      expect(lb.chooseHost({ random: Math.random, previousHosts: tried, hostSelectionRetryMaxAttempts: 2 })?.address).toBe('c');
      expect(lb.chooseHost({ random: Math.random, previousHosts: tried })?.address).toBe('b');
    });

    it('does not retry when the retry budget is 0', () => {
      const hosts = abc();
      const lb = rr(hosts);
      expect(lb.chooseHost({ random: Math.random, previousHosts: new Set([hosts[0]!]), hostSelectionRetryMaxAttempts: 0 })?.address).toBe('a');
    });
  });
});
