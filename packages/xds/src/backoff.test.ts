import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('grows by the multiplier up to the maximum and resets', () => {
    const b = new Backoff({ initialMs: 100, maxMs: 500, multiplier: 2, jitter: 0 });
    expect([b.next(), b.next(), b.next(), b.next()]).toEqual([100, 200, 400, 500]);
    b.reset();
    expect(b.next()).toBe(100);
  });

  it('spreads by the jitter fraction', () => {
    expect(new Backoff({ initialMs: 100, jitter: 0.2, random: () => 0 }).next()).toBe(80);
    expect(new Backoff({ initialMs: 100, jitter: 0.2, random: () => 1 }).next()).toBe(120);
  });
});
