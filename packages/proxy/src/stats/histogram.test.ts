import { describe, expect, it } from 'vitest';
import { cumulativeBuckets, DEFAULT_HISTOGRAM_BUCKETS, Histogram, quantile } from './histogram.js';

describe('Histogram', () => {
  it("uses Envoy's default buckets", () => {
    expect(new Histogram('h').bounds).toEqual([
      0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
    ]);
  });

  it.each([
    [0, 0.5],
    [0.5, 0.5],
    [0.6, 1],
    [1, 1],
    [10, 10],
    [11, 25],
    [3600000, 3600000],
  ])('a value of %d is counted in the bucket le=%d (and every larger one)', (value, le) => {
    const h = new Histogram('h');
    h.record(value);
    const buckets = cumulativeBuckets(h.cumulative());
    DEFAULT_HISTOGRAM_BUCKETS.forEach((bound, i) => expect([bound, buckets[i]]).toEqual([bound, bound >= le ? 1 : 0]));
  });

  it('counts values above the last bound only in count (the +Inf bucket)', () => {
    const h = new Histogram('h');
    h.record(5_000_000);
    expect(cumulativeBuckets(h.cumulative()).every((c) => c === 0)).toBe(true);
    expect(h.cumulative()).toMatchObject({ count: 1, sum: 5_000_000 });
  });

  it('keeps count and sum', () => {
    const h = new Histogram('h', 'Milliseconds');
    for (const v of [1, 2, 3, 40, 700]) h.record(v);
    expect(h.cumulative()).toMatchObject({ count: 5, sum: 746, min: 1, max: 700 });
    expect(h.unit).toBe('Milliseconds');
    expect(h.used).toBe(true);
  });

  it('produces non-decreasing cumulative buckets', () => {
    const h = new Histogram('h');
    for (let v = 0; v < 5000; v += 7) h.record(v);
    const buckets = cumulativeBuckets(h.cumulative());
    for (let i = 1; i < buckets.length; i++) expect(buckets[i]).toBeGreaterThanOrEqual(buckets[i - 1] ?? 0);
    expect(buckets.at(-1)).toBeLessThanOrEqual(h.count);
  });

  it('honours custom bounds', () => {
    const h = new Histogram('h', 'Bytes', [100, 1000]);
    for (const v of [50, 150, 5000]) h.record(v);
    expect(cumulativeBuckets(h.cumulative())).toEqual([1, 2]);
  });
});

describe('quantile', () => {
  const h = new Histogram('h');
  for (let v = 1; v <= 100; v++) h.record(v);
  const stats = h.cumulative();

  it.each([
    [0, 1],
    [1, 100],
  ])('P%d is the exact extreme', (q, expected) => {
    expect(quantile(stats, q)).toBe(expected);
  });

  it.each([0.25, 0.5, 0.75, 0.9, 0.99])('P%d lies inside the bucket that holds its rank', (q) => {
    const v = quantile(stats, q);
    const exact = q * 100;
    const i = DEFAULT_HISTOGRAM_BUCKETS.findIndex((b) => b >= exact);
    expect(v).toBeGreaterThanOrEqual(i === 0 ? 0 : (DEFAULT_HISTOGRAM_BUCKETS[i - 1] ?? 0));
    expect(v).toBeLessThanOrEqual(DEFAULT_HISTOGRAM_BUCKETS[i] ?? Infinity);
  });

  it('is NaN without samples', () => {
    expect(quantile(new Histogram('e').cumulative(), 0.5)).toBeNaN();
  });
});

describe('interval statistics', () => {
  it('are absent before the first merge and cover only the samples since the previous one', () => {
    const h = new Histogram('h');
    h.record(1);
    expect(h.intervalStatistics()).toBeUndefined();
    h.merge();
    expect(h.intervalStatistics()).toMatchObject({ count: 1, sum: 1 });
    h.record(100);
    h.record(200);
    h.merge();
    expect(h.intervalStatistics()).toMatchObject({ count: 2, sum: 300 });
    h.merge();
    expect(h.intervalStatistics()).toMatchObject({ count: 0, sum: 0 });
    expect(h.cumulative()).toMatchObject({ count: 3, sum: 301 });
  });
});
