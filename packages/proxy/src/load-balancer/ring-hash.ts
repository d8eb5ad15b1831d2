// RING_HASH (Envoy's RingHashLoadBalancer, ketama-style): each host gets ring entries in
// proportion to its normalized weight, hashed with XXH64 over `address:port_i`; a request takes
// the first entry at or after its hash, wrapping to the start.
import { hostAddressString, type Host } from './host.js';
import { HashingLoadBalancer, type HashLookup, type NormalizedWeights } from './hashing-load-balancer.js';
import type { CommonLbOptions } from './load-balancer.js';
import { xxHash64Into, type U64 } from './xxhash64.js';

export const DEFAULT_MIN_RING_SIZE = 1024;
export const DEFAULT_MAX_RING_SIZE = 8 * 1024 * 1024;

export interface RingHashOptions extends CommonLbOptions {
  /** ring_hash_lb_config.minimum_ring_size; default 1024. */
  readonly minimumRingSize?: number;
  /** ring_hash_lb_config.maximum_ring_size; default 8M. */
  readonly maximumRingSize?: number;
}

/** A sorted ring: entry i has hash (hashHi[i], hashLo[i]) and belongs to hosts[i]. */
export class Ring implements HashLookup {
  readonly hashHi: Uint32Array;
  readonly hashLo: Uint32Array;
  readonly hosts: readonly Host[];
  /** Fewest and most entries any host got (Envoy's min/max_hashes_per_host gauges). */
  readonly minHashesPerHost: number;
  readonly maxHashesPerHost: number;

  constructor(weights: NormalizedWeights, minRingSize: number, maxRingSize: number) {
    const his: number[] = [], los: number[] = [], owners: Host[] = [];
    let minPer = 0, maxPer = 0;
    if (weights.hosts.length > 0) {
      // Scale so the lightest host gets a whole number of entries, capped at the maximum size.
      const scale = Math.min(Math.ceil(weights.min * minRingSize) / weights.min, maxRingSize);
      // Running sums keep fractional entry counts stable across hosts (Envoy's current/target).
      let current = 0, target = 0;
      const h: U64 = { hi: 0, lo: 0 };
      minPer = Math.ceil(scale);
      for (const { host, weight } of weights.hosts) {
        const prefix = `${hostAddressString(host)}_`;
        target += scale * weight;
        let i = 0;
        for (; current < target; i++, current++) {
          xxHash64Into(prefix + i, 0, h);
          his.push(h.hi);
          los.push(h.lo);
          owners.push(host);
        }
        minPer = Math.min(minPer, i);
        maxPer = Math.max(maxPer, i);
      }
    }
    const order = Array.from(his.keys()).sort((a, b) => his[a]! - his[b]! || los[a]! - los[b]!);
    this.hashHi = Uint32Array.from(order, (i) => his[i]!);
    this.hashLo = Uint32Array.from(order, (i) => los[i]!);
    this.hosts = order.map((i) => owners[i]!);
    this.minHashesPerHost = minPer;
    this.maxHashesPerHost = maxPer;
  }

  get size(): number {
    return this.hosts.length;
  }

  chooseHost(hi: number, lo: number, attempt: number): Host | undefined {
    const n = this.hosts.length;
    if (n === 0) return undefined;
    // Lower bound: the first entry whose hash is >= (hi, lo).
    let a = 0, b = n;
    while (a < b) {
      const mid = (a + b) >>> 1;
      const mh = this.hashHi[mid]!;
      if (mh < hi || (mh === hi && this.hashLo[mid]! < lo)) a = mid + 1;
      else b = mid;
    }
    // On a previous-host retry, step `attempt` entries further round the ring, as Envoy.
    const idx = ((a === n ? 0 : a) + attempt) % n;
    return this.hosts[idx];
  }
}

export class RingHashLoadBalancer extends HashingLoadBalancer {
  private readonly minRingSize: number;
  private readonly maxRingSize: number;

  constructor(options: RingHashOptions = {}) {
    super(options);
    this.minRingSize = options.minimumRingSize ?? DEFAULT_MIN_RING_SIZE;
    this.maxRingSize = options.maximumRingSize ?? DEFAULT_MAX_RING_SIZE;
    if (this.minRingSize > this.maxRingSize) {
      throw new RangeError(`ring hash: minimum_ring_size (${this.minRingSize}) > maximum_ring_size (${this.maxRingSize})`);
    }
  }

  protected build(weights: NormalizedWeights): Ring {
    return new Ring(weights, this.minRingSize, this.maxRingSize);
  }
}
