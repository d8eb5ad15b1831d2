// The messages between the primary process (one ADS stream, admin API) and its workers (traffic),
// sent over node:cluster's IPC channel. xDS resources travel encoded, as the Any bytes in base64,
// so a worker decodes them with its own registry exactly as the ADS client did.
import type { ProtoRegistry } from '@weft/api';
import { resourceName, type DecodedResource, type ResourceUpdate } from '@weft/xds';
import type { HistogramStatistics, HistogramUnit } from '../stats/histogram.js';
import type { GaugeImportMode, StatStore } from '../stats/stat-store.js';
import type { HealthVerdict } from '../upstream/cluster-manager.js';
import type { OutlierRuns } from '../upstream/outlier-detection.js';

export interface EncodedResource {
  readonly type_url: string;
  /** The serialized message, base64. */
  readonly value: string;
}

/** An update the primary accepted, as handed to the workers. */
export interface XdsUpdateMessage {
  readonly kind: 'xds';
  readonly typeUrl: string;
  readonly version: string;
  readonly resources: readonly EncodedResource[];
  readonly removed: readonly string[];
  /** CDS: the shared-counts slot of each cluster the update names (--concurrency, server/cluster-slots.ts). */
  readonly slots?: readonly (readonly [string, number])[];
}

/** A histogram as a worker hands it over; min/max travel as null when there are no samples (JSON has no NaN). */
export interface HistogramSnapshot {
  readonly name: string;
  readonly unit: HistogramUnit;
  readonly cumulative: HistogramStatistics;
  readonly interval: HistogramStatistics | null;
}

export interface StatsSnapshot {
  readonly counters: readonly (readonly [string, number])[];
  readonly gauges: readonly (readonly [string, number, GaugeImportMode])[];
  readonly histograms: readonly HistogramSnapshot[];
}

export type ToWorker =
  | XdsUpdateMessage
  | { readonly kind: 'stats'; readonly id: number }
  /** Drain and exit (the server drain). */
  | { readonly kind: 'drain' }
  /** POST /drain_listeners reached the primary: drain the listeners, keep running. */
  | { readonly kind: 'drain_listeners'; readonly inboundOnly: boolean; readonly graceful: boolean }
  /** Active health check verdicts of the primary's checks (flips, or every host for a worker that starts over). */
  | { readonly kind: 'health'; readonly verdicts: readonly HealthVerdict[] }
  /** The hosts of a cluster the primary's outlier detector has ejected now (the others are not). */
  | { readonly kind: 'ejections'; readonly cluster: string; readonly ejected: readonly (readonly [string, number])[] };

export type ToPrimary =
  | { readonly kind: 'started' }
  /** The worker applied an update of this type (confirms initial CDS/LDS for /ready). */
  | { readonly kind: 'applied'; readonly typeUrl: string; readonly accepted: boolean }
  | ({ readonly kind: 'stats'; readonly id: number } & StatsSnapshot)
  /** The worker let a shared-counts slot go (its cluster instance retired, or it never created one). */
  | { readonly kind: 'slot_released'; readonly slot: number }
  /** The worker chose a host of this cluster for the first time (health checks leave no_traffic_interval). */
  | { readonly kind: 'traffic'; readonly cluster: string }
  /** Results of a cluster's hosts, for the primary's outlier detector. */
  | { readonly kind: 'outlier'; readonly cluster: string; readonly results: readonly OutlierRuns[] };

export function encodeUpdate(
  registry: ProtoRegistry,
  u: Pick<ResourceUpdate, 'typeUrl' | 'version' | 'removed'>,
  resources: Iterable<DecodedResource>,
  slotOf?: (name: string) => number | undefined,
): XdsUpdateMessage {
  const encoded: EncodedResource[] = [];
  const slots: [string, number][] = [];
  for (const r of resources) {
    encoded.push({ type_url: u.typeUrl, value: Buffer.from(registry.encode(u.typeUrl, r.value)).toString('base64') });
    const slot = slotOf?.(r.name);
    if (slot !== undefined) slots.push([r.name, slot]);
  }
  return { kind: 'xds', typeUrl: u.typeUrl, version: u.version, resources: encoded, removed: [...u.removed], ...(slots.length > 0 ? { slots } : {}) };
}

/** The worker's side: back to a ResourceUpdate, as if the ADS client had decoded it (SotW). */
export function decodeUpdate(registry: ProtoRegistry, m: XdsUpdateMessage): ResourceUpdate {
  const resources = m.resources.map((r) => {
    const value = registry.unpack({ type_url: r.type_url, value: Buffer.from(r.value, 'base64') });
    return { name: resourceName(m.typeUrl, value) ?? '', version: m.version, value };
  });
  return { typeUrl: m.typeUrl, protocol: 'sotw', version: m.version, nonce: '', resources, removed: m.removed };
}

function jsonSafe(s: HistogramStatistics): HistogramStatistics {
  return { ...s, min: Number.isNaN(s.min) ? (null as unknown as number) : s.min, max: Number.isNaN(s.max) ? (null as unknown as number) : s.max };
}

/** Back from JSON: a null extreme is NaN again. */
export function histogramStatistics(s: HistogramStatistics): HistogramStatistics {
  return { ...s, min: s.min ?? Number.NaN, max: s.max ?? Number.NaN };
}

export function snapshotOf(stats: StatStore): StatsSnapshot {
  return {
    counters: [...stats.counters()].map((c) => [c.name, c.value] as const),
    gauges: [...stats.gauges()].map((g) => [g.name, g.value, g.importMode] as const),
    histograms: [...stats.histograms()].map((h) => {
      const interval = h.intervalStatistics();
      return { name: h.name, unit: h.unit, cumulative: jsonSafe(h.cumulative()), interval: interval ? jsonSafe(interval) : null };
    }),
  };
}
