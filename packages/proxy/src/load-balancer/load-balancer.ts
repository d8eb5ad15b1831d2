// The seam between the router/cluster code and the balancers (Envoy's Upstream::LoadBalancer and
// LoadBalancerContext, include/envoy/upstream/load_balancer.h).
import type { Host, PrioritySet } from './host.js';

/** What one host choice may depend on. Built by the router per request (per retry). */
export interface LbContext {
  /** The route hash-policy result; RING_HASH and MAGLEV use it, others ignore it. */
  readonly hash?: bigint;
  /**
   * Hosts already tried by this request (retry_host_predicate previous_hosts). A chosen host in
   * the set is re-chosen up to `hostSelectionRetryMaxAttempts` more times; then the last pick
   * stands, as in Envoy.
   */
  readonly previousHosts?: ReadonlySet<Host>;
  /** RetryPolicy.host_selection_retry_max_attempts; default 1. */
  readonly hostSelectionRetryMaxAttempts?: number;
  /** Uniform in [0, 1), like Math.random; injected so tests are deterministic. */
  random(): number;
}

export interface LoadBalancer {
  /** A host, or undefined when there is none to use (the router answers 503 with UH). */
  chooseHost(ctx: LbContext): Host | undefined;
  /** Recomputes everything from the current hosts; call on EDS updates and health changes. */
  update(prioritySet: PrioritySet): void;
}

/** Settings every balancer takes (Cluster.common_lb_config and process-level inputs). */
export interface CommonLbOptions {
  /** common_lb_config.healthy_panic_threshold in percent; default 50, 0 disables panic mode. */
  readonly healthyPanicThreshold?: number;
  /**
   * Start offset for round-robin and EDF schedules. Envoy draws it at random per balancer to
   * keep a fleet from moving in lock step; the composition root should do the same. Default 0.
   */
  readonly seed?: number;
}

export const DEFAULT_PANIC_THRESHOLD = 50;

/** An index in [0, n) from ctx.random(), tolerant of a random() that returns exactly 1. */
export function randomIndex(ctx: Pick<LbContext, 'random'>, n: number): number {
  const i = Math.floor(ctx.random() * n);
  return i < n ? i : n - 1;
}

/**
 * Implements the previous-hosts retry loop of Envoy's LoadBalancerBase::chooseHost around a
 * single pick. `attempt` counts from 0 so hash-based balancers can perturb their lookup.
 */
export abstract class RetryingLoadBalancer implements LoadBalancer {
  chooseHost(ctx: LbContext): Host | undefined {
    const previous = ctx.previousHosts;
    const maxAttempts = previous && previous.size > 0 ? (ctx.hostSelectionRetryMaxAttempts ?? 1) + 1 : 1;
    let host: Host | undefined;
    for (let attempt = 0; attempt < maxAttempts; attempt++) {
      host = this.chooseHostOnce(ctx, attempt);
      if (!host || !previous?.has(host)) return host;
    }
    return host;
  }

  abstract update(prioritySet: PrioritySet): void;

  protected abstract chooseHostOnce(ctx: LbContext, attempt: number): Host | undefined;
}
