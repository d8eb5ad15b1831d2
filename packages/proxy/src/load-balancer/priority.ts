// Which hosts a pick draws from: Envoy's priority load, panic mode and locality-weighted choice
// (LoadBalancerBase / ZoneAwareLoadBalancerBase in source/common/upstream/load_balancer_impl.cc,
// docs: arch_overview/upstream/load_balancing/{priority,panic_threshold,locality_weight}).
import { EdfScheduler } from './edf-scheduler.js';
import { DEFAULT_OVERPROVISIONING_FACTOR, groupByLocality, type Host, type HostSet, type PrioritySet } from './host.js';
import { DEFAULT_PANIC_THRESHOLD, type LbContext } from './load-balancer.js';

export interface PriorityLoad {
  /** Per priority: healthy share × overprovisioning factor, capped at 100 (integer percent). */
  readonly health: readonly number[];
  /** Per priority: percent of traffic; sums to 100 whenever there is a priority. */
  readonly load: readonly number[];
  /** Per priority: pick from all hosts, healthy or not. */
  readonly panic: readonly boolean[];
}

function hostCounts(hs: HostSet): { total: number; healthy: number } {
  let healthy = 0;
  for (const h of hs.hosts) if (h.healthy) healthy++;
  return { total: hs.hosts.length, healthy };
}

/**
 * Envoy's recalculatePerPriorityState + recalculatePerPriorityPanic. Integer arithmetic, as in
 * Envoy: P0 with 5 of 10 healthy has health 140*5/10 = 70 and takes 70% of traffic, the rest
 * spilling to the next priorities by their health. Rounding leftovers go to the first priority
 * with any health. Panic applies per priority (healthy% < threshold) but only while the total
 * health is under 100; when every priority panics, load follows host counts instead.
 */
export function computePriorityLoad(hostSets: readonly HostSet[], healthyPanicThreshold = DEFAULT_PANIC_THRESHOLD): PriorityLoad {
  const n = hostSets.length;
  const counts = hostSets.map(hostCounts);
  const health = hostSets.map((hs, p) => {
    const { total, healthy } = counts[p]!;
    const factor = hs.overprovisioningFactor ?? DEFAULT_OVERPROVISIONING_FACTOR;
    return total > 0 ? Math.min(100, Math.floor((factor * healthy) / total)) : 0;
  });
  const load = new Array<number>(n).fill(0);
  const panic = new Array<boolean>(n).fill(false);
  if (n === 0) return { health, load, panic };

  const normalizedTotal = Math.min(100, health.reduce((a, b) => a + b, 0));
  if (normalizedTotal > 0) {
    let remaining = 100;
    for (let p = 0; p < n; p++) {
      load[p] = Math.min(remaining, Math.floor((health[p]! * 100) / normalizedTotal));
      remaining -= load[p]!;
    }
    if (remaining > 0) load[health.findIndex((h) => h > 0)]! += remaining;
  }

  const threshold = Math.min(100, healthyPanicThreshold);
  if (threshold === 0 && normalizedTotal === 0) {
    // Nothing is healthy and panic is off: send everything to P0, where nothing will be found.
    load[0] = 100;
    return { health, load, panic };
  }
  let totalPanic = true;
  for (let p = 0; p < n; p++) {
    const { total, healthy } = counts[p]!;
    const healthyPercent = total === 0 ? 0 : (100 * healthy) / total;
    panic[p] = normalizedTotal < 100 && healthyPercent < threshold;
    totalPanic &&= panic[p]!;
  }
  if (totalPanic) distributeByHostCount(counts, load);
  return { health, load, panic };
}

/** Envoy's recalculateLoadInTotalPanic: load by share of all hosts, leftovers to the first non-empty. */
function distributeByHostCount(counts: readonly { total: number }[], load: number[]): void {
  const all = counts.reduce((a, c) => a + c.total, 0);
  load.fill(0);
  if (all === 0) {
    load[0] = 100;
    return;
  }
  let remaining = 100;
  for (let p = 0; p < counts.length; p++) {
    load[p] = Math.floor((100 * counts[p]!.total) / all);
    remaining -= load[p]!;
  }
  load[counts.findIndex((c) => c.total > 0)]! += remaining;
}

/** The priority whose cumulative load first reaches `point` (1..100), as Envoy's choosePriority. */
export function choosePriority(load: readonly number[], point: number): number {
  let sum = 0;
  for (let p = 0; p < load.length; p++) {
    sum += load[p]!;
    if (point <= sum) return p;
  }
  return Math.max(0, load.length - 1);
}

/** Hosts grouped per locality, from the host set or by first-seen order. */
export function hostsPerLocalityOf(hs: HostSet): readonly (readonly Host[])[] {
  return hs.hostsPerLocality ?? groupByLocality(hs.hosts);
}

/** A precomputed list of hosts a balancer picks from; `id` indexes per-source balancer state. */
export interface HostSource {
  readonly id: number;
  /** Stable across updates: `0/all`, `0/healthy`, `0/locality/2`. */
  readonly key: string;
  readonly priority: number;
  readonly hosts: readonly Host[];
}

interface PerPriority {
  readonly all: HostSource;
  readonly healthy: HostSource;
  readonly localities: EdfScheduler<HostSource> | undefined;
}

/**
 * Envoy's locality effective weight: weight × min(1, overprovisioning × healthy/total).
 * A locality with no healthy hosts, or weight 0, is never chosen.
 */
export function effectiveLocalityWeight(weight: number, healthy: number, total: number, overprovisioningFactor: number): number {
  if (total === 0) return 0;
  return weight * Math.min(1, ((overprovisioningFactor / 100) * healthy) / total);
}

/**
 * The host sources of a priority set and how to choose among them (Envoy's hostSourceToUse):
 * pick a priority by load; in panic use all its hosts; with locality weights pick a locality
 * by EDF over effective weights; otherwise its healthy hosts. Zone-aware routing is not done.
 */
export class HostSourceSelector {
  readonly sources: HostSource[] = [];
  readonly priorityLoad: PriorityLoad;
  private readonly perPriority: PerPriority[];
  private readonly onlyP0: boolean;

  constructor(prioritySet: PrioritySet, healthyPanicThreshold = DEFAULT_PANIC_THRESHOLD) {
    this.priorityLoad = computePriorityLoad(prioritySet.hostSets, healthyPanicThreshold);
    this.perPriority = prioritySet.hostSets.map((hs, p) => this.buildPriority(hs, p));
    this.onlyP0 = this.priorityLoad.load[0] === 100;
  }

  /** The source for one pick, or undefined when the priority set is empty. */
  choose(ctx: LbContext): HostSource | undefined {
    const n = this.perPriority.length;
    if (n === 0) return undefined;
    // Skip the draw when P0 takes everything, the common case.
    const p = this.onlyP0 ? 0 : choosePriority(this.priorityLoad.load, Math.min(100, Math.floor(ctx.random() * 100) + 1));
    const state = this.perPriority[p]!;
    if (this.priorityLoad.panic[p]) return state.all;
    return state.localities?.pickAndAdd() ?? state.healthy;
  }

  private source(priority: number, kind: string, hosts: readonly Host[]): HostSource {
    const s: HostSource = { id: this.sources.length, key: `${priority}/${kind}`, priority, hosts };
    this.sources.push(s);
    return s;
  }

  private buildPriority(hs: HostSet, p: number): PerPriority {
    const all = this.source(p, 'all', hs.hosts);
    const healthy = this.source(p, 'healthy', hs.hosts.filter((h) => h.healthy));
    const weights = hs.localityWeights;
    if (!weights || weights.length === 0) return { all, healthy, localities: undefined };
    const factor = hs.overprovisioningFactor ?? DEFAULT_OVERPROVISIONING_FACTOR;
    const scheduler = new EdfScheduler<HostSource>();
    hostsPerLocalityOf(hs).forEach((group, i) => {
      const healthyInLocality = group.filter((h) => h.healthy);
      const w = effectiveLocalityWeight(weights[i] ?? 0, healthyInLocality.length, group.length, factor);
      if (w > 0) scheduler.add(w, this.source(p, `locality/${i}`, healthyInLocality));
    });
    return { all, healthy, localities: scheduler.size > 0 ? scheduler : undefined };
  }
}
