// DiscoveryRequest decoding that shares resource_names lists. A SotW client repeats its whole list in
// every request: each ACK of an endpoint push from an Envoy that watches 1,200 clusters lists all 1,200
// names, and a push to 2,000 proxies brings 2.4 million strings to decode and collect. Here a list is
// interned by its wire bytes: a request whose resource_names bytes equal a list seen recently gets that
// list's (frozen) array, without making a string, and the streams' subscriptions can then be compared,
// and shared, by identity (subscription.ts).

/** Lists shorter than this many bytes are decoded as they come: cheap, and not worth a cache entry. */
export const MIN_INTERNED_BYTES = 256;

/** Distinct lists remembered (the least recently seen is forgotten first). */
export const MAX_INTERNED_LISTS = 512;

interface Entry {
  readonly key: number;
  readonly bytes: Buffer;
  readonly names: readonly string[];
}

/** The wire span of a message's resource_names (field 3) entries, when they are contiguous. */
interface NamesSpan {
  readonly start: number;
  readonly end: number;
}

const RESOURCE_NAMES_TAG = (3 << 3) | 2;

/** Reads a varint at `pos`; returns [value, next] or undefined past the end or beyond 2^53. */
function varint(buf: Buffer, pos: number): [number, number] | undefined {
  let value = 0;
  let scale = 1;
  for (let i = pos; i < buf.length && i < pos + 8; i++) {
    const b = buf[i] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) return [value, i + 1];
    scale *= 128;
  }
  return undefined;
}

/**
 * Where the resource_names entries lie in a DiscoveryRequest: one contiguous run (what every encoder
 * emits), or undefined when there are none, when they are interleaved with other fields, or when the
 * message is malformed (the generic decoder then reports it as it always did).
 */
export function resourceNamesSpan(buf: Buffer): NamesSpan | undefined {
  let start = -1;
  let end = -1;
  let pos = 0;
  while (pos < buf.length) {
    const tagAt = pos;
    const tag = varint(buf, pos);
    if (!tag) return undefined;
    pos = tag[1];
    const wireType = tag[0] & 7;
    if (wireType === 0) {
      const v = varint(buf, pos);
      if (!v) return undefined;
      pos = v[1];
    } else if (wireType === 1) pos += 8;
    else if (wireType === 5) pos += 4;
    else if (wireType === 2) {
      const len = varint(buf, pos);
      if (!len) return undefined;
      pos = len[1] + len[0];
    } else return undefined;
    if (pos > buf.length) return undefined;
    if (tag[0] !== RESOURCE_NAMES_TAG) continue;
    if (start === -1) start = tagAt;
    else if (end !== tagAt) return undefined;
    end = pos;
  }
  return start === -1 ? undefined : { start, end };
}

/** The names of a span of resource_names entries (tag, length, UTF-8 bytes each). */
function decodeNames(region: Buffer): string[] {
  const names: string[] = [];
  let pos = 0;
  while (pos < region.length) {
    const len = varint(region, pos + 1) as [number, number];
    names.push(region.toString('utf8', len[1], len[1] + len[0]));
    pos = len[1] + len[0];
  }
  return names;
}

/**
 * A cheap key for a byte region: its length and 32 words spread over it. Regions that share a key
 * are told apart by their bytes, so a collision costs one compare, never a wrong list.
 */
function sampleKey(region: Buffer): number {
  let h = region.length;
  if (region.length < 4) {
    for (const b of region) h = Math.imul(h ^ b, 0x9e3779b1);
    return h >>> 0;
  }
  const last = region.length - 4;
  for (let k = 0; k < 32; k++) h = Math.imul(h ^ region.readUInt32LE(Math.floor((k * last) / 31)), 0x9e3779b1);
  return h >>> 0;
}

/** Recently seen resource_names lists by their wire bytes. */
export class NamesInterner {
  private readonly byKey = new Map<number, Entry[]>();
  /** Every entry, least recently seen first (a Set keeps insertion order). */
  private readonly recency = new Set<Entry>();

  constructor(private readonly maxLists = MAX_INTERNED_LISTS) {}

  /** The shared, frozen names array for `region` (resource_names entries as on the wire). */
  intern(region: Buffer): readonly string[] {
    const key = sampleKey(region);
    const candidates = this.byKey.get(key);
    if (candidates) {
      for (const e of candidates) {
        if (!e.bytes.equals(region)) continue;
        // Seen again: now the most recent.
        this.recency.delete(e);
        this.recency.add(e);
        return e.names;
      }
    }
    const entry = { key, bytes: Buffer.from(region), names: Object.freeze(decodeNames(region)) };
    if (candidates) candidates.push(entry);
    else this.byKey.set(key, [entry]);
    this.recency.add(entry);
    if (this.recency.size > this.maxLists) {
      const oldest = this.recency.values().next().value as Entry;
      this.recency.delete(oldest);
      const bucket = this.byKey.get(oldest.key) as Entry[];
      if (bucket.length === 1) this.byKey.delete(oldest.key);
      else bucket.splice(bucket.indexOf(oldest), 1);
    }
    return entry.names;
  }

  /** Lists held now. */
  get count(): number {
    return this.recency.size;
  }
}

/**
 * A DiscoveryRequest deserializer: `generic` decodes everything but a long resource_names list, which
 * comes from `interner`. The result is what `generic` alone gives, with a frozen, shared names array.
 */
export function internedRequestDecoder<T extends { resource_names: string[] }>(
  generic: (bytes: Buffer) => T,
  interner: NamesInterner,
  minBytes = MIN_INTERNED_BYTES,
): (bytes: Buffer) => T {
  return (bytes) => {
    const span = resourceNamesSpan(bytes);
    if (!span || span.end - span.start < minBytes) return generic(bytes);
    const rest =
      span.start === 0 ? bytes.subarray(span.end) : span.end === bytes.length ? bytes.subarray(0, span.start) : Buffer.concat([bytes.subarray(0, span.start), bytes.subarray(span.end)]);
    const request = generic(rest);
    // Frozen: a stream or callback that tried to change a shared list would throw, not corrupt others.
    request.resource_names = interner.intern(bytes.subarray(span.start, span.end)) as string[];
    return request;
  };
}
