// A cluster's circuit breakers (Envoy's ResourceManagerImpl, one per routing priority): live counts
// of connections, pending requests, requests and retries, each checked against its threshold before
// use, with the `circuit_breakers.<priority>.*_open` gauges and, with track_remaining, `remaining_*`.
// Docs: arch_overview/upstream/circuit_breaking, api-v3/config/cluster/v3/circuit_breaker.proto.
import type { Cluster__Output } from '@weft/api';
import type { IssueCollector } from '@weft/base';
import type { Gauge, StatScope } from '../stats/stat-store.js';
import { LocalCell, slotCells, type CountCell, type SharedSlot } from './shared-counters.js';
import type { CancelSignal } from './cancellation.js';

export interface Thresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
  /** retry_budget: concurrent retries as a share of active plus pending requests (replaces maxRetries). */
  retryBudget?: { budgetPercent: number; minRetryConcurrency: number };
  trackRemaining?: boolean;
}

export type RoutingPriority = 'DEFAULT' | 'HIGH';

type ThresholdsConfig = NonNullable<Cluster__Output['circuit_breakers']>['thresholds'][number];

function fromConfig(t: ThresholdsConfig | undefined): Thresholds {
  const budget = t?.retry_budget;
  return {
    maxConnections: t?.max_connections?.value ?? 1024,
    maxPendingRequests: t?.max_pending_requests?.value ?? 1024,
    maxRequests: t?.max_requests?.value ?? 1024,
    maxRetries: t?.max_retries?.value ?? 3,
    ...(budget ? { retryBudget: { budgetPercent: budget.budget_percent?.value ?? 20, minRetryConcurrency: budget.min_retry_concurrency?.value ?? 3 } } : {}),
    ...(t?.track_remaining ? { trackRemaining: true } : {}),
  };
}

/** The thresholds of one priority, with Envoy's defaults (1024 each, 3 retries) for what is unset. */
export function thresholdsOf(c: Cluster__Output, priority: RoutingPriority = 'DEFAULT'): Thresholds {
  // An unset priority is DEFAULT (the enum's zero value); the last entry of a priority wins.
  const list = c.circuit_breakers?.thresholds ?? [];
  return fromConfig(list.filter((x) => (x.priority ?? 'DEFAULT') === priority).at(-1));
}

/** The CDS check of circuit_breakers (`issues` at the cluster): what weft cannot enforce is an error. */
export function checkCircuitBreakers(c: Cluster__Output, issues: IssueCollector): void {
  const cb = c.circuit_breakers;
  if (!cb) return;
  (cb.thresholds ?? []).forEach((t, i) => {
    const at = issues.at('circuit_breakers', 'thresholds', i);
    if (t.max_connection_pools) at.at('max_connection_pools').error('is not supported');
    const pct = t.retry_budget?.budget_percent?.value;
    if (pct !== undefined && (pct < 0 || pct > 100)) at.at('retry_budget', 'budget_percent').error(`must be within [0, 100], got ${pct}`);
  });
  if ((cb.per_host_thresholds?.length ?? 0) > 0) issues.at('circuit_breakers', 'per_host_thresholds').error('per-host circuit breakers are not supported');
}

interface ResourceGauges {
  readonly open: Gauge;
  readonly remaining?: Gauge;
}

/**
 * One limited resource: `tryAcquire` takes a unit when one is left; `release` gives it back, straight
 * to the longest waiter if there is one (so a waiter never loses its turn to a newcomer). The count
 * lives in a cell: this process's own, or the process-wide one shared by --concurrency workers
 * (shared-counters.ts), where the limit applies to the sum and waiters are woken by this process's
 * releases only (Envoy's per-worker pools wait on their own connections too).
 */
export class Resource {
  private readonly waiters: ((granted: boolean) => void)[] = [];

  constructor(
    private readonly limit: number | (() => number),
    private readonly gauges?: ResourceGauges,
    private cell: CountCell = new LocalCell(),
  ) {
    this.update();
  }

  get max(): number {
    return typeof this.limit === 'number' ? this.limit : this.limit();
  }

  /** Units in use, process-wide. */
  get active(): number {
    return this.cell.total();
  }

  canCreate(): boolean {
    return this.cell.total() < this.max;
  }

  tryAcquire(): boolean {
    if (!this.canCreate()) return false;
    this.cell.add(1);
    this.update();
    return true;
  }

  /** Resolves true once a unit is handed over (FIFO), or false when `signal` aborts first. */
  wait(signal: CancelSignal): Promise<boolean> {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (granted: boolean) => {
        signal.removeEventListener('abort', onAbort);
        resolve(granted);
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next(true);
    else if (this.cell.own() > 0) {
      this.cell.add(-1);
      this.update();
    }
  }

  /**
   * The cluster instance is gone: the units it still holds are counted here only from now on, and
   * the shared cell is left to whoever is given its slot next.
   */
  detach(): void {
    const held = this.cell.own();
    if (held > 0) this.cell.add(-held);
    this.cell = new LocalCell(held);
  }

  /** The open/remaining gauges from the current (process-wide) count. */
  update(): void {
    const g = this.gauges;
    if (!g) return;
    const max = this.max;
    const count = this.cell.total();
    g.open.set(count >= max ? 1 : 0);
    g.remaining?.set(Math.max(0, max - count));
  }
}

/** The four resources of one cluster priority, shared by the router (requests, retries) and the pools (pending). */
export class ResourceManager {
  readonly connections: Resource;
  readonly pendingRequests: Resource;
  readonly requests: Resource;
  readonly retries: Resource;

  /**
   * `stats`: the cluster scope, for `circuit_breakers.<priority>.*` gauges; `shared`: the cluster
   * instance's slot of the workers' shared counts (process-local counts without it).
   */
  constructor(thresholds: Thresholds, stats?: StatScope, priority: RoutingPriority = 'DEFAULT', shared?: SharedSlot) {
    const scope = stats?.scope(`circuit_breakers.${priority.toLowerCase()}`);
    const gauges = (open: string, remaining: string): ResourceGauges | undefined =>
      scope ? { open: scope.gauge(open, 'NeverImport'), ...(thresholds.trackRemaining ? { remaining: scope.gauge(remaining, 'NeverImport') } : {}) } : undefined;
    const [cx, pending, rq, retry] = slotCells(shared, priority === 'HIGH' ? 1 : 0) as [CountCell, CountCell, CountCell, CountCell];
    this.connections = new Resource(thresholds.maxConnections, gauges('cx_open', 'remaining_cx'), cx);
    this.pendingRequests = new Resource(thresholds.maxPendingRequests, gauges('rq_pending_open', 'remaining_pending'), pending);
    this.requests = new Resource(thresholds.maxRequests, gauges('rq_open', 'remaining_rq'), rq);
    const budget = thresholds.retryBudget;
    // Envoy: with a retry budget, max_retries is ignored and the limit follows the load.
    const retryLimit = budget
      ? () => Math.max(budget.minRetryConcurrency, Math.floor(((this.requests.active + this.pendingRequests.active) * budget.budgetPercent) / 100))
      : thresholds.maxRetries;
    this.retries = new Resource(retryLimit, gauges('rq_retry_open', 'remaining_retries'), retry);
  }

  private all(): Resource[] {
    return [this.connections, this.pendingRequests, this.requests, this.retries];
  }

  /** Gauges from the current counts (the primary reads its workers' counts when stats are read). */
  refreshGauges(): void {
    for (const r of this.all()) r.update();
  }

  /** The cluster instance was removed or replaced: its shared slot is let go (Resource.detach). */
  detach(): void {
    for (const r of this.all()) r.detach();
  }
}
