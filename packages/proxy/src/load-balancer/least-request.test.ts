import { describe, expect, it } from 'vitest';
import { SimpleHost, prioritySetFromHosts } from './host.js';
import { LeastRequestLoadBalancer } from './least-request.js';
import { mulberry32 } from './mulberry32.js';

/** A random() that replays `values` in order. */
function replay(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

function lr(hosts: SimpleHost[], choiceCount?: number): LeastRequestLoadBalancer {
  const lb = new LeastRequestLoadBalancer(choiceCount !== undefined ? { choiceCount } : {});
  lb.update(prioritySetFromHosts(hosts));
  return lb;
}

describe('LeastRequestLoadBalancer', () => {
  const four = () => ['a', 'b', 'c', 'd'].map((n) => new SimpleHost(n, 80));

  it.each([
    // random draws → sampled indexes → the less loaded sample wins
    [[0.0, 0.5], { a: 5, c: 1 }, 'c'],
    [[0.5, 0.0], { a: 5, c: 1 }, 'c'],
    [[0.0, 0.5], { a: 1, c: 5 }, 'a'],
    [[0.25, 0.75], { b: 2, d: 2 }, 'b'], // a tie keeps the first sample
  ])('with draws %j and loads %j picks %s', (draws, loads, expected) => {
    const hosts = four();
    for (const h of hosts) h.active = (loads as Record<string, number>)[h.address] ?? 0;
    expect(lr(hosts).chooseHost({ random: replay(...draws) })?.address).toBe(expected);
  });

  it('samples choice_count hosts', () => {
    const hosts = four();
    hosts.forEach((h, i) => (h.active = 10 - i));
    // Three draws reach a, b and d; d is least loaded.
    expect(lr(hosts, 3).chooseHost({ random: replay(0.0, 0.25, 0.75) })?.address).toBe('d');
  });

  it('sends most traffic to the less loaded hosts under random sampling', () => {
    const hosts = four();
    hosts[0]!.active = 50;
    const lb = lr(hosts);
    const ctx = { random: mulberry32(3) };
    let toBusy = 0;
    for (let i = 0; i < 4000; i++) if (lb.chooseHost(ctx) === hosts[0]) toBusy++;
    // The busy host wins only when both samples are it: 1/16.
    expect(toBusy / 4000).toBeCloseTo(1 / 16, 1);
  });

  it('with differing weights schedules by weight / (active + 1)', () => {
    const hosts = [new SimpleHost('a', 80, { weight: 2 }), new SimpleHost('b', 80, { weight: 1 })];
    const lb = lr(hosts);
    const ctx = { random: mulberry32(1) };
    const counts = { a: 0, b: 0 } as Record<string, number>;
    for (let i = 0; i < 300; i++) counts[lb.chooseHost(ctx)!.address]!++;
    expect(counts).toEqual({ a: 200, b: 100 });

    // Now a is busy: 2 / (3 + 1) = 0.5 against b's 1 / 1, so b gets about two thirds.
    hosts[0]!.active = 3;
    for (const k of Object.keys(counts)) counts[k] = 0;
    for (let i = 0; i < 300; i++) counts[lb.chooseHost(ctx)!.address]!++;
    expect(counts.b! / 300).toBeCloseTo(2 / 3, 1);
  });

  it('returns undefined without hosts', () => {
    expect(lr([]).chooseHost({ random: Math.random })).toBeUndefined();
  });
});
