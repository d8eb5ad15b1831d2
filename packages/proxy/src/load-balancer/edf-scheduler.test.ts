import { describe, expect, it } from 'vitest';
import { EdfScheduler } from './edf-scheduler.js';

function picks<T>(s: EdfScheduler<T>, n: number): T[] {
  return Array.from({ length: n }, () => s.pickAndAdd()!);
}

describe('EdfScheduler', () => {
  it('is empty until something is added', () => {
    expect(new EdfScheduler<string>().pickAndAdd()).toBeUndefined();
  });

  it('picks in proportion to weight, earliest deadline first', () => {
    const s = new EdfScheduler<string>();
    s.add(1, 'a');
    s.add(2, 'b');
    s.add(3, 'c');
    // Deadlines: c 1/3, b 1/2, c 2/3, then a, b, c all at 1 (FIFO by re-add order).
    expect(picks(s, 6)).toEqual(['c', 'b', 'c', 'a', 'b', 'c']);
  });

  it('breaks equal deadlines in insertion order, giving plain rotation for equal weights', () => {
    const s = new EdfScheduler<string>();
    for (const x of ['a', 'b', 'c']) s.add(5, x);
    expect(picks(s, 7)).toEqual(['a', 'b', 'c', 'a', 'b', 'c', 'a']);
  });

  it('re-adds with the weight the callback gives at pick time', () => {
    const s = new EdfScheduler<string>();
    s.add(1, 'a');
    s.add(1, 'b');
    // a is re-added with a tiny weight, so b is picked many times before a comes round.
    const seen = [s.pickAndAdd((x) => (x === 'a' ? 0.1 : 1))];
    for (let i = 0; i < 5; i++) seen.push(s.pickAndAdd((x) => (x === 'a' ? 0.1 : 1)));
    expect(seen).toEqual(['a', 'b', 'b', 'b', 'b', 'b']);
  });

  it('rejects weights that are not positive', () => {
    expect(() => new EdfScheduler<string>().add(0, 'a')).toThrow(RangeError);
  });
});
