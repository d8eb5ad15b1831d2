// Shared core of RING_HASH and MAGLEV (Envoy's ThreadAwareLoadBalancerBase): per priority, a lookup
// structure built on update() from normalized host weights; per pick, the request hash chooses
// both the priority (hash % 100) and the host, so a hash stays on one host while nothing changes.
import { isDegraded, isHealthy, type Host, type HostSet, type PrioritySet } from './host.js';
import { RetryingLoadBalancer, type CommonLbOptions, type LbContext } from './load-balancer.js';
import { choosePriorityAndAvailability, computePriorityLoad, hostsPerLocalityOf, type PriorityLoad } from './priority.js';
import { mod64, toU64, type U64 } from './xxhash64.js';

/** A host with its share of the priority's traffic; shares sum to at most 1. */
export interface WeightedHost {
  readonly host: Host;
  readonly weight: number;
}

export interface NormalizedWeights {
  readonly hosts: readonly WeightedHost[];
  readonly min: number;
  readonly max: number;
}

/** A built ring or table. `hi`/`lo` are the hash halves; `attempt` > 0 on previous-host retries. */
export interface HashLookup {
  chooseHost(hi: number, lo: number, attempt: number): Host | undefined;
}

function pushNormalized(out: WeightedHost[], hosts: readonly Host[], share: number): void {
  let sum = 0;
  for (const h of hosts) sum += h.weight;
  for (const h of hosts) out.push({ host: h, weight: (h.weight * share) / sum });
}

/**
 * Envoy's normalizeWeights: host weights scaled so they sum to 1, or, with locality weights, so
 * each locality's hosts share weight/total-locality-weight (a weighted locality without usable
 * hosts leaves its share unused). The healthy hosts, or the degraded ones (their own lookup, for
 * the priority's degraded load); in panic every host takes part.
 */
export function normalizeWeights(hs: HostSet, inPanic: boolean, availability: 'healthy' | 'degraded' = 'healthy'): NormalizedWeights {
  const out: WeightedHost[] = [];
  const eligible = availability === 'degraded' ? isDegraded : isHealthy;
  const usable = (hosts: readonly Host[]): readonly Host[] => (inPanic ? hosts : hosts.filter(eligible));
  const localityWeights = hs.localityWeights;
  if (!localityWeights || localityWeights.length === 0) {
    pushNormalized(out, usable(hs.hosts), 1);
  } else {
    const total = localityWeights.reduce((a, b) => a + b, 0);
    if (total > 0) {
      hostsPerLocalityOf(hs).forEach((group, i) => {
        const w = localityWeights[i] ?? 0;
        if (w > 0) pushNormalized(out, usable(group), w / total);
      });
    }
  }
  let min = 1, max = 0;
  for (const { weight } of out) {
    min = Math.min(min, weight);
    max = Math.max(max, weight);
  }
  return { hosts: out, min, max };
}

const TWO_32 = 4294967296;

/** The lookup of a priority without degraded hosts (its degraded load is 0). */
const NO_HOSTS: HashLookup = { chooseHost: () => undefined };

interface PriorityLookups {
  readonly healthy: HashLookup;
  readonly degraded: HashLookup;
}

export abstract class HashingLoadBalancer extends RetryingLoadBalancer {
  private readonly healthyPanicThreshold: number | undefined;
  private priorityLoad: PriorityLoad = { health: [], degraded: [], load: [], degradedLoad: [], panic: [] };
  private lookups: PriorityLookups[] = [];
  // Per-pick state, set on attempt 0 and reused by retries (the hash and priority stay fixed).
  private readonly hash: U64 = { hi: 0, lo: 0 };
  private current: HashLookup | undefined;

  constructor(options: CommonLbOptions) {
    super();
    this.healthyPanicThreshold = options.healthyPanicThreshold;
  }

  update(prioritySet: PrioritySet): void {
    this.priorityLoad = computePriorityLoad(prioritySet.hostSets, this.healthyPanicThreshold);
    this.lookups = prioritySet.hostSets.map((hs, p) => {
      const panic = this.priorityLoad.panic[p] ?? false;
      const healthy = this.build(normalizeWeights(hs, panic));
      if (panic) return { healthy, degraded: healthy };
      return { healthy, degraded: hs.hosts.some(isDegraded) ? this.build(normalizeWeights(hs, false, 'degraded')) : NO_HOSTS };
    });
  }

  /** Builds the lookup for one priority's normalized hosts (possibly none). */
  protected abstract build(weights: NormalizedWeights): HashLookup;

  protected chooseHostOnce(ctx: LbContext, attempt: number): Host | undefined {
    if (attempt === 0) {
      if (this.lookups.length === 0) return (this.current = undefined);
      if (ctx.hash !== undefined) {
        toU64(ctx.hash, this.hash);
      } else {
        // No hash policy matched: a random hash, which makes this a random balancer (as Envoy).
        this.hash.hi = Math.floor(ctx.random() * TWO_32) >>> 0;
        this.hash.lo = Math.floor(ctx.random() * TWO_32) >>> 0;
      }
      const n = this.lookups.length;
      const i = choosePriorityAndAvailability(this.priorityLoad, mod64(this.hash.hi, this.hash.lo, 100) + 1);
      this.current = i < n ? this.lookups[i]!.healthy : this.lookups[i - n]!.degraded;
    }
    return this.current?.chooseHost(this.hash.hi, this.hash.lo, attempt);
  }
}
