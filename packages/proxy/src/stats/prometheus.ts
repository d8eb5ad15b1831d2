// Envoy's admin /stats/prometheus: the Prometheus text exposition format (0.0.4) of the stat store.
//
// As Envoy's PrometheusStatsFormatter: the metric name is `envoy_` + the tag-extracted stat name with
// every character outside [a-zA-Z0-9_] turned into `_`; tags become labels (names sanitized the same
// way); all counters, then all gauges, then all histograms, each family once, families sorted by
// name, samples sorted by their full stat name; `# TYPE` before each family and a blank line after
// it; histograms as cumulative `_bucket{le="..."}` lines, `+Inf`, `_sum` and `_count`.
// Where we are stricter than Envoy, so that the output always parses: label values are escaped
// (\\, \", \n), a label name repeated by two tags is emitted once, and a family name already taken
// by another stat type (say a counter and a gauge that extract to the same name) is emitted only for
// the first type (Envoy would print two conflicting # TYPE lines).
import { cumulativeBuckets } from './histogram.js';
import type { Counter, Gauge, Histogram, Metric, StatStore } from './stat-store.js';
import type { StatsQuery } from './text-format.js';
import { compareNames } from './text-format.js';
import type { Tag } from './tag-extractor.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function statsAsPrometheus(store: StatStore, query: StatsQuery = {}): string {
  const emitted = new Set<string>();
  let out = '';
  out += families(store, [...store.counters()], 'counter', query, numericSample, emitted);
  out += families(store, [...store.gauges()], 'gauge', query, numericSample, emitted);
  out += families(store, [...store.histograms()], 'histogram', query, histogramSamples, emitted);
  return out;
}

type Render<M> = (metric: M, family: string, labels: string) => string;

function families<M extends Counter | Gauge | Histogram>(
  store: StatStore,
  metrics: M[],
  type: 'counter' | 'gauge' | 'histogram',
  query: StatsQuery,
  render: Render<M>,
  emitted: Set<string>,
): string {
  const groups = new Map<string, Array<{ metric: M; labels: string }>>();
  for (const metric of metrics) {
    if (!shown(metric, query)) continue;
    const { extractedName, tags } = store.tagsOf(metric as Metric);
    const family = metricName(extractedName);
    let group = groups.get(family);
    if (!group) groups.set(family, (group = []));
    group.push({ metric, labels: formatLabels(tags) });
  }
  let out = '';
  for (const family of [...groups.keys()].sort(compareNames)) {
    // A name already used by another type would make a second, conflicting family: skip it.
    if (emitted.has(family)) continue;
    emitted.add(family);
    const group = groups.get(family) ?? [];
    group.sort((a, b) => compareNames(a.metric.name, b.metric.name));
    out += `# TYPE ${family} ${type}\n`;
    for (const { metric, labels } of group) out += render(metric, family, labels);
    out += '\n';
  }
  return out;
}

function shown(metric: Counter | Gauge | Histogram, query: StatsQuery): boolean {
  if (query.usedOnly && !metric.used) return false;
  if (query.filter) {
    query.filter.lastIndex = 0;
    return query.filter.test(metric.name);
  }
  return true;
}

function numericSample(metric: Counter | Gauge, family: string, labels: string): string {
  return `${family}{${labels}} ${formatValue(metric.value)}\n`;
}

function histogramSamples(h: Histogram, family: string, labels: string): string {
  const stats = h.cumulative();
  const buckets = cumulativeBuckets(stats);
  const prefix = labels === '' ? '' : `${labels},`;
  let out = '';
  stats.bounds.forEach((bound, i) => {
    out += `${family}_bucket{${prefix}le="${formatValue(bound)}"} ${buckets[i] ?? 0}\n`;
  });
  out += `${family}_bucket{${prefix}le="+Inf"} ${stats.count}\n`;
  out += `${family}_sum{${labels}} ${formatValue(stats.sum)}\n`;
  out += `${family}_count{${labels}} ${stats.count}\n`;
  return out;
}

/** `envoy_` + the sanitized tag-extracted name. */
export function metricName(extractedName: string): string {
  return `envoy_${sanitizeName(extractedName)}`;
}

/** Prometheus names are [a-zA-Z_][a-zA-Z0-9_]*; anything else becomes `_`. */
export function sanitizeName(name: string): string {
  return name.replace(/[^a-zA-Z0-9_]/g, '_');
}

function labelName(tagName: string): string {
  const s = sanitizeName(tagName);
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** Escapes a label value per the text format: backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\\' ? '\\\\' : c === '"' ? '\\"' : '\\n'));
}

export function formatLabels(tags: readonly Tag[]): string {
  const seen = new Set<string>();
  const parts: string[] = [];
  for (const tag of tags) {
    const name = labelName(tag.name);
    if (seen.has(name)) continue;
    seen.add(name);
    parts.push(`${name}="${escapeLabelValue(tag.value)}"`);
  }
  return parts.join(',');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}
