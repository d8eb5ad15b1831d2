// Shared core of ROUND_ROBIN and LEAST_REQUEST (Envoy's EdfLoadBalancerBase): one EDF schedule per
// host source when host weights differ, a cheap unweighted pick when they are all equal.
import { EdfScheduler } from './edf-scheduler.js';
import type { Host, PrioritySet } from './host.js';
import { RetryingLoadBalancer, type CommonLbOptions, type LbContext } from './load-balancer.js';
import { HostSourceSelector, type HostSource } from './priority.js';

function weightsAreEqual(hosts: readonly Host[]): boolean {
  for (let i = 1; i < hosts.length; i++) if (hosts[i]!.weight !== hosts[0]!.weight) return false;
  return true;
}

export abstract class EdfLoadBalancerBase extends RetryingLoadBalancer {
  protected readonly seed: number;
  private readonly healthyPanicThreshold: number | undefined;
  private selector: HostSourceSelector = new HostSourceSelector({ hostSets: [] });
  private schedulers: (EdfScheduler<Host> | undefined)[] = [];
  /** Bound once so picks pass a function without allocating one. */
  private readonly reweigh = (h: Host): number => this.hostWeight(h);

  constructor(options: CommonLbOptions) {
    super();
    this.seed = Math.max(0, Math.floor(options.seed ?? 0));
    this.healthyPanicThreshold = options.healthyPanicThreshold;
  }

  update(prioritySet: PrioritySet): void {
    this.selector = new HostSourceSelector(prioritySet, this.healthyPanicThreshold);
    this.schedulers = this.selector.sources.map((s) => this.buildScheduler(s.hosts));
    this.refreshSources(this.selector.sources);
  }

  /** The weight a host is scheduled with; LEAST_REQUEST scales it by active requests. */
  protected abstract hostWeight(host: Host): number;

  /** The pick when all hosts of the source have the same weight; `hosts` is non-empty. */
  protected abstract unweightedPick(source: HostSource, ctx: LbContext): Host;

  /** Hook to (re)build per-source state after update(). */
  protected refreshSources(_sources: readonly HostSource[]): void {
    // No per-source state by default.
  }

  protected chooseHostOnce(ctx: LbContext): Host | undefined {
    const source = this.selector.choose(ctx);
    if (!source) return undefined;
    const edf = this.schedulers[source.id];
    if (edf) return edf.pickAndAdd(this.reweigh);
    return source.hosts.length === 0 ? undefined : this.unweightedPick(source, ctx);
  }

  private buildScheduler(hosts: readonly Host[]): EdfScheduler<Host> | undefined {
    if (weightsAreEqual(hosts)) return undefined;
    const edf = new EdfScheduler<Host>();
    for (const h of hosts) edf.add(this.hostWeight(h), h);
    // Start at the seed's offset into the schedule, as Envoy does, so a fleet is not in lock step.
    for (let i = this.seed % hosts.length; i > 0; i--) edf.pickAndAdd(this.reweigh);
    return edf;
  }
}
