import { describe, expect, it } from 'vitest';
import { createRequestHead } from './request-head.js';
import { indexForValue, pickWeighted } from './weighted-clusters.js';

/** A small seeded PRNG (mulberry32), so the distribution check is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const head = createRequestHead({ authority: 'a', path: '/' });

describe('weighted cluster selection', () => {
  it.each([
    [[80, 20], 0, 0],
    [[80, 20], 79, 0],
    [[80, 20], 80, 1],
    [[80, 20], 99, 1],
    [[0, 50, 50], 0, 1],
    [[50, 0, 50], 50, 2],
  ])('weights %j, value %i → entry %i', (weights, value, expected) => {
    expect(indexForValue(weights, value)).toBe(expected);
  });

  it.each([
    [0, 0],
    [0.7999, 0],
    [0.8, 1],
    [0.9999, 1],
  ])('random %s picks entry %i of 80/20', (r, expected) => {
    expect(pickWeighted({ weights: [80, 20], total: 100 }, head, () => r)).toBe(expected);
  });

  it('takes the value from header_name when present (modulo the total)', () => {
    const choice = { weights: [80, 20], total: 100, randomValueHeader: 'x-pick' };
    const pick = (v?: string) => pickWeighted(choice, createRequestHead({ authority: 'a', path: '/', headers: v ? { 'x-pick': v } : {} }), () => 0);
    expect(pick('85')).toBe(1);
    expect(pick('185')).toBe(1);
    expect(pick('18446744073709551599')).toBe(1);
    expect(pick('18446744073709551616')).toBe(0);
    expect(pick('not-a-number')).toBe(0);
    expect(pick()).toBe(0);
  });

  it('over 10,000 seeded picks, each share is within 2% of its weight', () => {
    const weights = [50, 30, 15, 5];
    const counts = [0, 0, 0, 0];
    const random = seeded(42);
    const n = 10_000;
    for (let i = 0; i < n; i++) {
      const picked = pickWeighted({ weights, total: 100 }, head, random);
      counts[picked] = (counts[picked] ?? 0) + 1;
    }
    counts.forEach((c, i) => expect(Math.abs(c / n - (weights[i] ?? 0) / 100)).toBeLessThan(0.02));
  });
});
