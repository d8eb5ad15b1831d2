// Which hosts a pick draws from: Envoy's priority load, panic mode and locality-weighted choice
// (LoadBalancerBase / ZoneAwareLoadBalancerBase in source/common/upstream/load_balancer_impl.cc,
// docs: arch_overview/upstream/load_balancing/{priority,panic_threshold,locality_weight}).
import { EdfScheduler } from './edf-scheduler.js';
import { DEFAULT_OVERPROVISIONING_FACTOR, groupByLocality, isDegraded, isHealthy, type Host, type HostSet, type PrioritySet } from './host.js';
import { DEFAULT_PANIC_THRESHOLD, type LbContext } from './load-balancer.js';

export interface PriorityLoad {
  /** Per priority: healthy share × overprovisioning factor, capped at 100 (integer percent). */
  readonly health: readonly number[];
  /** Per priority: degraded share × overprovisioning factor, capped at 100. */
  readonly degraded: readonly number[];
  /** Per priority: percent of traffic to its healthy hosts. */
  readonly load: readonly number[];
  /** Per priority: percent of traffic to its degraded hosts; with `load` it sums to 100 whenever there is a priority. */
  readonly degradedLoad: readonly number[];
  /** Per priority: pick from all hosts, healthy or not. */
  readonly panic: readonly boolean[];
}

function hostCounts(hs: HostSet): { total: number; healthy: number; degraded: number } {
  let healthy = 0;
  let degraded = 0;
  for (const h of hs.hosts) {
    if (isHealthy(h)) healthy++;
    else if (isDegraded(h)) degraded++;
  }
  return { total: hs.hosts.length, healthy, degraded };
}

/**
 * Envoy's recalculatePerPriorityState + recalculatePerPriorityPanic. Integer arithmetic, as in
 * Envoy: P0 with 5 of 10 healthy has health 140*5/10 = 70 and takes 70% of traffic, the rest
 * spilling to the next priorities by their health, then to the degraded hosts of every priority
 * (a degraded host counts against its own priority's health: 1 healthy and 1 degraded host split
 * 70/30). Rounding leftovers go to the first priority with any health. Panic applies per priority
 * ((healthy + degraded)% < threshold) but only while the total availability is under 100; when
 * every priority panics, load follows host counts instead.
 */
export function computePriorityLoad(hostSets: readonly HostSet[], healthyPanicThreshold = DEFAULT_PANIC_THRESHOLD): PriorityLoad {
  const n = hostSets.length;
  const counts = hostSets.map(hostCounts);
  const share = (hs: HostSet, count: number, total: number): number => {
    const factor = hs.overprovisioningFactor ?? DEFAULT_OVERPROVISIONING_FACTOR;
    return total > 0 ? Math.min(100, Math.floor((factor * count) / total)) : 0;
  };
  const health = hostSets.map((hs, p) => share(hs, counts[p]!.healthy, counts[p]!.total));
  const degraded = hostSets.map((hs, p) => share(hs, counts[p]!.degraded, counts[p]!.total));
  const load = new Array<number>(n).fill(0);
  const degradedLoad = new Array<number>(n).fill(0);
  const panic = new Array<boolean>(n).fill(false);
  if (n === 0) return { health, degraded, load, degradedLoad, panic };

  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  const normalizedTotal = Math.min(100, sum(health) + sum(degraded));
  if (normalizedTotal > 0) {
    let remaining = 100;
    for (let p = 0; p < n; p++) {
      load[p] = Math.min(remaining, Math.floor((health[p]! * 100) / normalizedTotal));
      remaining -= load[p]!;
    }
    for (let p = 0; p < n; p++) {
      degradedLoad[p] = Math.min(remaining, Math.floor((degraded[p]! * 100) / normalizedTotal));
      remaining -= degradedLoad[p]!;
    }
    if (remaining > 0) {
      const first = health.findIndex((h) => h > 0);
      if (first >= 0) load[first]! += remaining;
      else degradedLoad[degraded.findIndex((d) => d > 0)]! += remaining;
    }
  }

  const threshold = Math.min(100, healthyPanicThreshold);
  if (threshold === 0 && normalizedTotal === 0) {
    // Nothing is healthy and panic is off: send everything to P0, where nothing will be found.
    load[0] = 100;
    return { health, degraded, load, degradedLoad, panic };
  }
  let totalPanic = true;
  for (let p = 0; p < n; p++) {
    const { total, healthy, degraded: degradedHosts } = counts[p]!;
    const availablePercent = total === 0 ? 0 : (100 * (healthy + degradedHosts)) / total;
    panic[p] = normalizedTotal < 100 && availablePercent < threshold;
    totalPanic &&= panic[p]!;
  }
  if (totalPanic) {
    distributeByHostCount(counts, load);
    degradedLoad.fill(0);
  }
  return { health, degraded, load, degradedLoad, panic };
}

/**
 * Envoy's choosePriority over healthy then degraded load, for `point` in 1..100: the priority p
 * whose cumulative load first reaches it is returned as p for its healthy hosts and as
 * `load.length + p` for its degraded ones (a number, so a pick allocates nothing).
 */
export function choosePriorityAndAvailability(pl: Pick<PriorityLoad, 'load' | 'degradedLoad'>, point: number): number {
  const n = pl.load.length;
  let sum = 0;
  for (let p = 0; p < n; p++) {
    sum += pl.load[p]!;
    if (point <= sum) return p;
  }
  for (let p = 0; p < n; p++) {
    sum += pl.degradedLoad[p]!;
    if (point <= sum) return n + p;
  }
  return Math.max(0, n - 1);
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
  readonly degraded: HostSource;
  readonly degradedLocalities: EdfScheduler<HostSource> | undefined;
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
 * pick a priority and healthy-or-degraded by load; in panic use all its hosts; with locality
 * weights pick a locality by EDF over effective weights; otherwise its healthy (or degraded)
 * hosts. Zone-aware routing is not done.
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
    // Skip the draw when P0's healthy hosts take everything, the common case.
    const i = this.onlyP0 ? 0 : choosePriorityAndAvailability(this.priorityLoad, Math.min(100, Math.floor(ctx.random() * 100) + 1));
    const priority = i < n ? i : i - n;
    const state = this.perPriority[priority]!;
    if (this.priorityLoad.panic[priority]) return state.all;
    if (i >= n) return state.degradedLocalities?.pickAndAdd() ?? state.degraded;
    return state.localities?.pickAndAdd() ?? state.healthy;
  }

  private source(priority: number, kind: string, hosts: readonly Host[]): HostSource {
    const s: HostSource = { id: this.sources.length, key: `${priority}/${kind}`, priority, hosts };
    this.sources.push(s);
    return s;
  }

  private buildPriority(hs: HostSet, p: number): PerPriority {
    const all = this.source(p, 'all', hs.hosts);
    const healthy = this.source(p, 'healthy', hs.hosts.filter(isHealthy));
    const degraded = this.source(p, 'degraded', hs.hosts.filter(isDegraded));
    return { all, healthy, degraded, localities: this.localities(hs, p, isHealthy, 'locality'), degradedLocalities: degraded.hosts.length > 0 ? this.localities(hs, p, isDegraded, 'degraded-locality') : undefined };
  }

  /** The EDF over the localities' effective weights, counting the hosts `eligible` accepts. */
  private localities(hs: HostSet, p: number, eligible: (h: Host) => boolean, kind: string): EdfScheduler<HostSource> | undefined {
    const weights = hs.localityWeights;
    if (!weights || weights.length === 0) return undefined;
    const factor = hs.overprovisioningFactor ?? DEFAULT_OVERPROVISIONING_FACTOR;
    const scheduler = new EdfScheduler<HostSource>();
    hostsPerLocalityOf(hs).forEach((group, i) => {
      const usable = group.filter(eligible);
      const w = effectiveLocalityWeight(weights[i] ?? 0, usable.length, group.length, factor);
      if (w > 0) scheduler.add(w, this.source(p, `${kind}/${i}`, usable));
    });
    return scheduler.size > 0 ? scheduler : undefined;
  }
}
