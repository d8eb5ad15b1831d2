// A histogram with fixed bucket bounds, as Envoy exposes them: cumulative buckets, sum and count, and quantiles.
//
// Envoy records into a fine log-linear histogram (circllhist) and derives buckets and quantiles from
// it. We keep the exported buckets exactly (one slot per bound plus overflow), which is what
// /stats/prometheus shows, and estimate quantiles for /stats by interpolating inside a bucket,
// clamped to the exact minimum and maximum seen.

/** Envoy's default histogram buckets (source/common/stats/histogram_impl.cc), in the histogram's unit. */
export const DEFAULT_HISTOGRAM_BUCKETS: readonly number[] = [
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000,
];

/** The quantiles /stats reports (Envoy's supported_quantiles), as fractions. */
export const SUPPORTED_QUANTILES: readonly number[] = [0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 1];

export type HistogramUnit = 'Unspecified' | 'Bytes' | 'Microseconds' | 'Milliseconds';

/** One window of samples: per-bucket (not cumulative) counts with the overflow slot last. */
export interface HistogramStatistics {
  readonly bounds: readonly number[];
  readonly bucketCounts: readonly number[];
  readonly count: number;
  readonly sum: number;
  /** Exact extremes of the window; NaN when there are no samples. */
  readonly min: number;
  readonly max: number;
}

export class Histogram {
  readonly name: string;
  readonly unit: HistogramUnit;
  readonly bounds: readonly number[];
  /** Per-bucket counts, overflow (> last bound) in the final slot. */
  private readonly counts: number[];
  count = 0;
  sum = 0;
  private min = Number.POSITIVE_INFINITY;
  private max = Number.NEGATIVE_INFINITY;
  // Extremes of the open interval (since the last merge).
  private windowMin = Number.POSITIVE_INFINITY;
  private windowMax = Number.NEGATIVE_INFINITY;
  // The cumulative state at the last merge, from which the interval window is derived.
  private mergedCounts: number[];
  private mergedCount = 0;
  private mergedSum = 0;
  private interval: HistogramStatistics | undefined;

  constructor(name: string, unit: HistogramUnit = 'Unspecified', bounds: readonly number[] = DEFAULT_HISTOGRAM_BUCKETS) {
    this.name = name;
    this.unit = unit;
    this.bounds = bounds;
    this.counts = new Array<number>(bounds.length + 1).fill(0);
    this.mergedCounts = this.counts.slice();
  }

  /** Records one value. A linear scan: most latencies land in the first few buckets. */
  record(value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.count++;
    this.sum += value;
    if (value < this.windowMin) {
      this.windowMin = value;
      if (value < this.min) this.min = value;
    }
    if (value > this.windowMax) {
      this.windowMax = value;
      if (value > this.max) this.max = value;
    }
  }

  get used(): boolean {
    return this.count > 0;
  }

  /** Everything recorded since the histogram was created. */
  cumulative(): HistogramStatistics {
    return {
      bounds: this.bounds,
      bucketCounts: this.counts.slice(),
      count: this.count,
      sum: this.sum,
      min: this.count > 0 ? this.min : Number.NaN,
      max: this.count > 0 ? this.max : Number.NaN,
    };
  }

  /** What was recorded between the last two merges (Envoy's "interval"); undefined before the first merge. */
  intervalStatistics(): HistogramStatistics | undefined {
    return this.interval;
  }

  /** Closes the current interval (Envoy merges on every stats flush). */
  merge(): void {
    const bucketCounts = this.counts.map((c, i) => c - (this.mergedCounts[i] ?? 0));
    const count = this.count - this.mergedCount;
    const min = count > 0 ? this.windowMin : Number.NaN;
    const max = count > 0 ? this.windowMax : Number.NaN;
    this.interval = { bounds: this.bounds, bucketCounts, count, sum: this.sum - this.mergedSum, min, max };
    this.windowMin = Number.POSITIVE_INFINITY;
    this.windowMax = Number.NEGATIVE_INFINITY;
    this.mergedCounts = this.counts.slice();
    this.mergedCount = this.count;
    this.mergedSum = this.sum;
  }

  /**
   * Adds another process's histogram of the same name (--concurrency: the primary's /stats merges its
   * workers', as Envoy merges its threads' histograms). Bounds must match; a mismatch is refused.
   */
  absorb(cumulative: HistogramStatistics, interval: HistogramStatistics | undefined): boolean {
    if (!sameBounds(cumulative.bounds, this.bounds)) return false;
    cumulative.bucketCounts.forEach((c, i) => (this.counts[i] = (this.counts[i] ?? 0) + c));
    this.count += cumulative.count;
    this.sum += cumulative.sum;
    if (cumulative.count > 0) {
      this.min = Math.min(this.min, cumulative.min);
      this.max = Math.max(this.max, cumulative.max);
    }
    if (interval && sameBounds(interval.bounds, this.bounds)) this.interval = this.interval ? addStatistics(this.interval, interval) : interval;
    return true;
  }

  reset(): void {
    this.counts.fill(0);
    this.mergedCounts.fill(0);
    this.count = this.sum = this.mergedCount = this.mergedSum = 0;
    this.min = this.windowMin = Number.POSITIVE_INFINITY;
    this.max = this.windowMax = Number.NEGATIVE_INFINITY;
    this.interval = undefined;
  }
}

function sameBounds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Two windows' samples together. */
export function addStatistics(a: HistogramStatistics, b: HistogramStatistics): HistogramStatistics {
  const extreme = (f: (x: number, y: number) => number, x: number, y: number) => (Number.isNaN(x) ? y : Number.isNaN(y) ? x : f(x, y));
  return {
    bounds: a.bounds,
    bucketCounts: a.bucketCounts.map((c, i) => c + (b.bucketCounts[i] ?? 0)),
    count: a.count + b.count,
    sum: a.sum + b.sum,
    min: extreme(Math.min, a.min, b.min),
    max: extreme(Math.max, a.max, b.max),
  };
}

/** Cumulative counts per bound (samples <= bound), as Prometheus `_bucket{le=...}` wants them. */
export function cumulativeBuckets(stats: HistogramStatistics): number[] {
  const out: number[] = [];
  let running = 0;
  for (let i = 0; i < stats.bounds.length; i++) {
    running += stats.bucketCounts[i] ?? 0;
    out.push(running);
  }
  return out;
}

/**
 * The q-quantile (0..1) estimated from bucket counts: find the bucket holding the rank, interpolate
 * linearly across it. Bucket edges are tightened by the exact min/max when known. NaN when empty.
 */
export function quantile(stats: HistogramStatistics, q: number): number {
  if (stats.count === 0) return Number.NaN;
  const hasExtremes = !Number.isNaN(stats.min);
  if (hasExtremes && q <= 0) return stats.min;
  if (hasExtremes && q >= 1) return stats.max;
  const rank = q * stats.count;
  let seen = 0;
  for (let i = 0; i < stats.bucketCounts.length; i++) {
    const inBucket = stats.bucketCounts[i] ?? 0;
    if (inBucket === 0) continue;
    if (seen + inBucket >= rank || i === stats.bucketCounts.length - 1) {
      let lower = i === 0 ? 0 : (stats.bounds[i - 1] as number);
      let upper = i < stats.bounds.length ? (stats.bounds[i] as number) : lower * 2;
      if (hasExtremes) {
        lower = Math.max(lower, stats.min);
        upper = Math.min(upper, stats.max);
      }
      const fraction = Math.min(1, Math.max(0, (rank - seen) / inBucket));
      return lower + (upper - lower) * fraction;
    }
    seen += inBucket;
  }
  return Number.NaN;
}
