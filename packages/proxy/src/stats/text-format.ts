// Envoy's admin /stats output: plain text (`name: value`) and `?format=json`.
//
// As in Envoy's stats handler: counters and gauges together, sorted by name; then histograms, sorted,
// each as a quantile summary `P0(interval,cumulative) P25(...) ...` or "No recorded values".
import { quantile, SUPPORTED_QUANTILES, type Histogram, type HistogramStatistics } from './histogram.js';
import type { StatStore } from './stat-store.js';

export interface StatsQuery {
  /** `usedonly`: hide stats that were never written. */
  readonly usedOnly?: boolean;
  /** `filter=<regex>`: keep names the regex finds a match in. */
  readonly filter?: RegExp;
}

export function statsAsText(store: StatStore, query: StatsQuery = {}): string {
  let out = '';
  for (const [name, value] of numericStats(store, query)) out += `${name}: ${value}\n`;
  for (const h of sortedHistograms(store, query)) out += `${h.name}: ${quantileSummary(h)}\n`;
  return out;
}

interface JsonQuantileValue {
  interval: number | null;
  cumulative: number | null;
}

export interface StatsJson {
  stats: Array<
    | { name: string; value: number }
    | { histograms: { supported_quantiles: number[]; computed_quantiles: Array<{ name: string; values: JsonQuantileValue[] }> } }
  >;
}

/** The `/stats?format=json` document; the histograms entry is present only if some histogram is shown. */
export function statsAsJson(store: StatStore, query: StatsQuery = {}): StatsJson {
  const stats: StatsJson['stats'] = numericStats(store, query).map(([name, value]) => ({ name, value }));
  const histograms = sortedHistograms(store, query);
  if (histograms.length > 0) {
    stats.push({
      histograms: {
        supported_quantiles: SUPPORTED_QUANTILES.map(percent),
        computed_quantiles: histograms.map((h) => {
          const interval = h.intervalStatistics();
          const cumulative = h.cumulative();
          return {
            name: h.name,
            values: SUPPORTED_QUANTILES.map((q) => ({
              interval: finiteOrNull(interval ? quantile(interval, q) : Number.NaN),
              cumulative: finiteOrNull(quantile(cumulative, q)),
            })),
          };
        }),
      },
    });
  }
  return { stats };
}

/** `P0(nan,1) P25(nan,2.5) ... P100(nan,9)`; interval values stay `nan` until the first merge. */
export function quantileSummary(h: Histogram): string {
  if (!h.used) return 'No recorded values';
  const interval: HistogramStatistics | undefined = h.intervalStatistics();
  const cumulative = h.cumulative();
  return SUPPORTED_QUANTILES.map(
    (q) => `P${percent(q)}(${formatNumber(interval ? quantile(interval, q) : Number.NaN)},${formatNumber(quantile(cumulative, q))})`,
  ).join(' ');
}

function numericStats(store: StatStore, query: StatsQuery): Array<[string, number]> {
  const rows: Array<[string, number]> = [];
  for (const c of store.counters()) if (shown(c.name, c.used, query)) rows.push([c.name, c.value]);
  for (const g of store.gauges()) if (shown(g.name, g.used, query)) rows.push([g.name, g.value]);
  return rows.sort((a, b) => compareNames(a[0], b[0]));
}

function sortedHistograms(store: StatStore, query: StatsQuery): Histogram[] {
  return [...store.histograms()].filter((h) => shown(h.name, h.used, query)).sort((a, b) => compareNames(a.name, b.name));
}

function shown(name: string, used: boolean, query: StatsQuery): boolean {
  if (query.usedOnly && !used) return false;
  if (query.filter) {
    query.filter.lastIndex = 0;
    return query.filter.test(name);
  }
  return true;
}

/** Byte order, like Envoy's std::map<std::string, ...> (the names are ASCII). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function percent(q: number): number {
  return Math.round(q * 1000) / 10;
}

function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'nan';
  return Number.isInteger(v) ? String(v) : String(Math.round(v * 1e6) / 1e6);
}
