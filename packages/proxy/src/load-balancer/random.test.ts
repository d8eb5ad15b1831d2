import { describe, expect, it } from 'vitest';
import { SimpleHost, prioritySetFromHosts } from './host.js';
import { mulberry32 } from './mulberry32.js';
import { RandomLoadBalancer } from './random.js';

describe('RandomLoadBalancer', () => {
  const hosts = Array.from({ length: 5 }, (_, i) => new SimpleHost(`10.0.0.${i}`, 80));

  it('picks uniformly among healthy hosts (±5% over 50k picks)', () => {
    const lb = new RandomLoadBalancer();
    lb.update(prioritySetFromHosts(hosts));
    const ctx = { random: mulberry32(42) };
    const counts = new Map<string, number>();
    for (let i = 0; i < 50000; i++) {
      const h = lb.chooseHost(ctx)!;
      counts.set(h.address, (counts.get(h.address) ?? 0) + 1);
    }
    expect(counts.size).toBe(5);
    for (const c of counts.values()) expect(Math.abs(c / 10000 - 1)).toBeLessThan(0.05);
  });

  it.each([0, 0.2, 0.999999, 1])('stays within bounds when random() returns %d', (r) => {
    const lb = new RandomLoadBalancer();
    lb.update(prioritySetFromHosts(hosts));
    expect(hosts).toContain(lb.chooseHost({ random: () => r }));
  });

  it('never picks an unhealthy host outside panic', () => {
    const mixed = hosts.map((h, i) => new SimpleHost(h.address, 80, { healthy: i !== 2 }));
    const lb = new RandomLoadBalancer();
    lb.update(prioritySetFromHosts(mixed));
    const ctx = { random: mulberry32(9) };
    for (let i = 0; i < 1000; i++) expect(lb.chooseHost(ctx)!.address).not.toBe('10.0.0.2');
  });

  it('returns undefined without hosts', () => {
    const lb = new RandomLoadBalancer();
    lb.update({ hostSets: [] });
    expect(lb.chooseHost({ random: Math.random })).toBeUndefined();
  });
});
