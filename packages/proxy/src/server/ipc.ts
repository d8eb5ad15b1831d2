// The messages between the primary process (one ADS stream, admin API) and its workers (traffic),
// sent over node:cluster's IPC channel. xDS resources travel encoded, as the Any bytes in base64,
// so a worker decodes them with its own registry exactly as the ADS client did.
import type { ProtoRegistry } from '@weft/api';
import { resourceName, type DecodedResource, type ResourceUpdate } from '@weft/xds';
import type { GaugeImportMode, StatStore } from '../stats/stat-store.js';

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
}

export interface StatsSnapshot {
  readonly counters: readonly (readonly [string, number])[];
  readonly gauges: readonly (readonly [string, number, GaugeImportMode])[];
}

export type ToWorker =
  | XdsUpdateMessage
  | { readonly kind: 'stats'; readonly id: number }
  /** Drain and exit (the server drain). */
  | { readonly kind: 'drain' }
  /** POST /drain_listeners reached the primary: drain the listeners, keep running. */
  | { readonly kind: 'drain_listeners'; readonly inboundOnly: boolean; readonly graceful: boolean };

export type ToPrimary =
  | { readonly kind: 'started' }
  /** The worker applied an update of this type (confirms initial CDS/LDS for /ready). */
  | { readonly kind: 'applied'; readonly typeUrl: string; readonly accepted: boolean }
  | ({ readonly kind: 'stats'; readonly id: number } & StatsSnapshot);

export function encodeUpdate(registry: ProtoRegistry, u: Pick<ResourceUpdate, 'typeUrl' | 'version' | 'removed'>, resources: Iterable<DecodedResource>): XdsUpdateMessage {
  const encoded: EncodedResource[] = [];
  for (const r of resources) encoded.push({ type_url: u.typeUrl, value: Buffer.from(registry.encode(u.typeUrl, r.value)).toString('base64') });
  return { kind: 'xds', typeUrl: u.typeUrl, version: u.version, resources: encoded, removed: [...u.removed] };
}

/** The worker's side: back to a ResourceUpdate, as if the ADS client had decoded it (SotW). */
export function decodeUpdate(registry: ProtoRegistry, m: XdsUpdateMessage): ResourceUpdate {
  const resources = m.resources.map((r) => {
    const value = registry.unpack({ type_url: r.type_url, value: Buffer.from(r.value, 'base64') });
    return { name: resourceName(m.typeUrl, value) ?? '', version: m.version, value };
  });
  return { typeUrl: m.typeUrl, protocol: 'sotw', version: m.version, nonce: '', resources, removed: m.removed };
}

export function snapshotOf(stats: StatStore): StatsSnapshot {
  return {
    counters: [...stats.counters()].map((c) => [c.name, c.value] as const),
    gauges: [...stats.gauges()].map((g) => [g.name, g.value, g.importMode] as const),
  };
}
