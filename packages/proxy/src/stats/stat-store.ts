// The stat store: counters, gauges and histograms by Envoy's dotted names, one object per process.
//
// Cost model: the map lookup happens once, when a component creates its stats (a cluster builds
// `cluster.<name>.upstream_rq_total` when it is added). The request path holds the Counter and bumps
// a number field — no lookup, no string work, no allocation. Tags for /stats/prometheus are
// extracted lazily, once per stat, on first render.
import { DEFAULT_HISTOGRAM_BUCKETS, Histogram, type HistogramUnit } from './histogram.js';
import type { HistogramBucketRule, NamePredicate } from './stats-matcher.js';
import { TagProducer, type TaggedName } from './tag-extractor.js';

export { Histogram, type HistogramUnit } from './histogram.js';

export class Counter {
  readonly name: string;
  /** Monotonic; the hot path may do `counter.value++` directly, or call inc(). */
  value = 0;
  private latched = 0;

  constructor(name: string) {
    this.name = name;
  }

  inc(): void {
    this.value++;
  }

  add(amount: number): void {
    this.value += amount;
  }

  /** Counters that never moved are hidden by `usedonly`. */
  get used(): boolean {
    return this.value !== 0;
  }

  /** The increase since the previous latch (what a statsd/metrics-service sink sends). */
  latch(): number {
    const delta = this.value - this.latched;
    this.latched = this.value;
    return delta;
  }

  reset(): void {
    this.value = 0;
    this.latched = 0;
  }
}

/**
 * How a gauge combines across processes (Envoy's Gauge::ImportMode, used when a hot-restarted or
 * worker process hands its stats over): Accumulate sums them, NeverImport keeps the receiver's own.
 */
export type GaugeImportMode = 'Accumulate' | 'NeverImport';

export class Gauge {
  readonly name: string;
  readonly importMode: GaugeImportMode;
  value = 0;
  used = false;

  constructor(name: string, importMode: GaugeImportMode = 'Accumulate') {
    this.name = name;
    this.importMode = importMode;
  }

  set(value: number): void {
    this.value = value;
    this.used = true;
  }

  inc(): void {
    this.value++;
    this.used = true;
  }

  dec(): void {
    this.value--;
    this.used = true;
  }

  add(amount: number): void {
    this.value += amount;
    this.used = true;
  }

  sub(amount: number): void {
    this.value -= amount;
    this.used = true;
  }
}

export type Metric = Counter | Gauge | Histogram;

export interface StatStoreOptions {
  /** Tag extraction for Prometheus output; DEFAULT_TAG_SPECIFIERS when absent. */
  readonly tagProducer?: TagProducer;
  /** True for a stat that must not be instantiated (stats_config.stats_matcher). */
  readonly rejects?: NamePredicate;
  /** Per-name histogram buckets (stats_config.histogram_bucket_settings); first match wins. */
  readonly histogramBuckets?: readonly HistogramBucketRule[];
}

/** Creating stats under a common prefix: `store.scope('cluster.web').counter('upstream_rq_total')`. */
export interface StatScope {
  readonly prefix: string;
  counter(name: string): Counter;
  gauge(name: string, importMode?: GaugeImportMode): Gauge;
  histogram(name: string, unit?: HistogramUnit): Histogram;
  scope(name: string): StatScope;
}

export class StatStore implements StatScope {
  readonly prefix = '';
  readonly tagProducer: TagProducer;
  private readonly countersByName = new Map<string, Counter>();
  private readonly gaugesByName = new Map<string, Gauge>();
  private readonly histogramsByName = new Map<string, Histogram>();
  private readonly tagCache = new WeakMap<Metric, TaggedName>();
  private readonly rejects: NamePredicate;
  private readonly histogramBuckets: readonly HistogramBucketRule[];

  constructor(options: StatStoreOptions = {}) {
    const producer = options.tagProducer ?? TagProducer.create();
    // With no statsTags, creation cannot fail: only the built-in (tested) regexes are compiled.
    if (!(producer instanceof TagProducer)) throw new Error('default tag producer failed to build');
    this.tagProducer = producer;
    this.rejects = options.rejects ?? (() => false);
    this.histogramBuckets = options.histogramBuckets ?? [];
  }

  /** The counter of that name, created at zero on first use. A rejected name gets a detached counter. */
  counter(name: string): Counter {
    let c = this.countersByName.get(name);
    if (!c) {
      c = new Counter(name);
      if (!this.rejects(name)) this.countersByName.set(name, c);
    }
    return c;
  }

  /** The gauge of that name; the import mode is fixed by whoever creates it first. */
  gauge(name: string, importMode: GaugeImportMode = 'Accumulate'): Gauge {
    let g = this.gaugesByName.get(name);
    if (!g) {
      g = new Gauge(name, importMode);
      if (!this.rejects(name)) this.gaugesByName.set(name, g);
    }
    return g;
  }

  histogram(name: string, unit: HistogramUnit = 'Unspecified'): Histogram {
    let h = this.histogramsByName.get(name);
    if (!h) {
      const rule = this.histogramBuckets.find((r) => r.match(name));
      h = new Histogram(name, unit, rule?.buckets ?? DEFAULT_HISTOGRAM_BUCKETS);
      if (!this.rejects(name)) this.histogramsByName.set(name, h);
    }
    return h;
  }

  scope(name: string): StatScope {
    return new PrefixScope(this, name);
  }

  counters(): IterableIterator<Counter> {
    return this.countersByName.values();
  }

  gauges(): IterableIterator<Gauge> {
    return this.gaugesByName.values();
  }

  histograms(): IterableIterator<Histogram> {
    return this.histogramsByName.values();
  }

  /** The tag-extracted name and tags of a stat, computed once. */
  tagsOf(metric: Metric): TaggedName {
    let t = this.tagCache.get(metric);
    if (!t) {
      t = this.tagProducer.produceTags(metric.name);
      this.tagCache.set(metric, t);
    }
    return t;
  }

  /**
   * Forgets every stat under a prefix, as Envoy does when a cluster or listener (and so its scope)
   * is removed. Holders keep working objects; they just stop being listed. Returns how many went.
   */
  removeScope(prefix: string): number {
    const p = prefix === '' || prefix.endsWith('.') ? prefix : `${prefix}.`;
    let removed = 0;
    for (const map of [this.countersByName, this.gaugesByName, this.histogramsByName] as Array<Map<string, Metric>>) {
      for (const name of map.keys()) {
        if (name.startsWith(p)) {
          map.delete(name);
          removed++;
        }
      }
    }
    return removed;
  }

  /** Closes the histograms' current interval (call on every stats flush). */
  mergeHistograms(): void {
    for (const h of this.histogramsByName.values()) h.merge();
  }

  /** Admin /reset_counters: counters back to zero (gauges and histograms are untouched, as in Envoy). */
  resetCounters(): void {
    for (const c of this.countersByName.values()) c.reset();
  }
}

class PrefixScope implements StatScope {
  readonly prefix: string;
  constructor(
    private readonly store: StatStore,
    prefix: string,
  ) {
    this.prefix = prefix.endsWith('.') ? prefix.slice(0, -1) : prefix;
  }
  counter(name: string): Counter {
    return this.store.counter(this.join(name));
  }
  gauge(name: string, importMode?: GaugeImportMode): Gauge {
    return this.store.gauge(this.join(name), importMode);
  }
  histogram(name: string, unit?: HistogramUnit): Histogram {
    return this.store.histogram(this.join(name), unit);
  }
  scope(name: string): StatScope {
    return new PrefixScope(this.store, this.join(name));
  }
  private join(name: string): string {
    return this.prefix === '' ? name : `${this.prefix}.${name}`;
  }
}
