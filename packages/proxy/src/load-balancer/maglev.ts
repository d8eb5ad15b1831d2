// MAGLEV (Envoy's MaglevLoadBalancer; Eisenbud et al., "Maglev", NSDI 2016, pseudocode listing 1):
// a prime-sized lookup table filled by each host's permutation (offset, skip from two XXH64s of
// its address), hosts taking turns in proportion to weight. A lookup is table[hash % size].
import { hostAddressString, type Host } from './host.js';
import { HashingLoadBalancer, type HashLookup, type NormalizedWeights } from './hashing-load-balancer.js';
import type { CommonLbOptions } from './load-balancer.js';
import { mod64, xxHash64Parts } from './xxhash64.js';

export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;
/** Envoy's upper bound for maglev_lb_config.table_size. */
export const MAX_MAGLEV_TABLE_SIZE = 5000011;

export function isPrime(n: number): boolean {
  if (!Number.isInteger(n) || n < 2) return false;
  if (n % 2 === 0) return n === 2;
  for (let d = 3; d * d <= n; d += 2) if (n % d === 0) return false;
  return true;
}

export interface MaglevOptions extends CommonLbOptions {
  /** maglev_lb_config.table_size; a prime, default 65537. */
  readonly tableSize?: number;
}

interface BuildEntry {
  readonly host: Host;
  readonly offset: number;
  readonly skip: number;
  readonly weight: number;
  targetWeight: number;
  next: number;
  count: number;
}

export class MaglevTable implements HashLookup {
  readonly table: readonly Host[];
  readonly size: number;
  /** Fewest and most slots any host got (Envoy's min/max_entries_per_host gauges). */
  readonly minEntriesPerHost: number;
  readonly maxEntriesPerHost: number;

  constructor(weights: NormalizedWeights, size: number) {
    if (!isPrime(size)) throw new RangeError(`maglev table size ${size} is not prime`);
    this.size = size;
    const entries: BuildEntry[] = weights.hosts.map(({ host, weight }) => {
      const key = hostAddressString(host);
      const a = xxHash64Parts(key, 0), b = xxHash64Parts(key, 1);
      return { host, weight, offset: mod64(a.hi, a.lo, size), skip: mod64(b.hi, b.lo, size - 1) + 1, targetWeight: 0, next: 0, count: 0 };
    });
    const table: (Host | undefined)[] = entries.length > 0 ? new Array<Host | undefined>(size).fill(undefined) : [];
    let filled = 0;
    // A host of the largest weight claims a slot every round; one of a third that weight every
    // third round, and so on.
    for (let round = 1; entries.length > 0 && filled < size; round++) {
      for (let i = 0; i < entries.length && filled < size; i++) {
        const e = entries[i]!;
        if (round * e.weight < e.targetWeight) continue;
        e.targetWeight += weights.max;
        let c = (e.offset + e.skip * e.next) % size;
        while (table[c] !== undefined) {
          e.next++;
          c = (e.offset + e.skip * e.next) % size;
        }
        table[c] = e.host;
        e.next++;
        e.count++;
        filled++;
      }
    }
    this.table = table as Host[];
    this.minEntriesPerHost = entries.reduce((m, e) => Math.min(m, e.count), entries.length > 0 ? size : 0);
    this.maxEntriesPerHost = entries.reduce((m, e) => Math.max(m, e.count), 0);
  }

  chooseHost(hi: number, lo: number, attempt: number): Host | undefined {
    if (this.table.length === 0) return undefined;
    if (attempt > 0) {
      // Envoy flips most bits on retries (hash ^= 2^64 - attempt) to land far from the first pick.
      hi = (hi ^ 0xffffffff) >>> 0;
      lo = (lo ^ (4294967296 - attempt)) >>> 0;
    }
    return this.table[mod64(hi, lo, this.size)];
  }
}

export class MaglevLoadBalancer extends HashingLoadBalancer {
  private readonly tableSize: number;

  constructor(options: MaglevOptions = {}) {
    super(options);
    this.tableSize = options.tableSize ?? DEFAULT_MAGLEV_TABLE_SIZE;
    if (!isPrime(this.tableSize)) throw new RangeError(`maglev table size ${this.tableSize} is not prime`);
  }

  protected build(weights: NormalizedWeights): MaglevTable {
    return new MaglevTable(weights, this.tableSize);
  }
}
