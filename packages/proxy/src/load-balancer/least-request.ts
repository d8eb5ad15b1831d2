// LEAST_REQUEST (Envoy's LeastRequestLoadBalancer): with equal weights, the least loaded of
// choice_count random hosts (power of two choices); with differing weights, EDF scheduling with
// weight / (active requests + 1) taken at pick time, so busy hosts come round less often.
import type { Host } from './host.js';
import { EdfLoadBalancerBase } from './edf-load-balancer.js';
import { randomIndex, type CommonLbOptions, type LbContext } from './load-balancer.js';
import type { HostSource } from './priority.js';

export const DEFAULT_CHOICE_COUNT = 2;

export interface LeastRequestOptions extends CommonLbOptions {
  /** least_request_lb_config.choice_count; at least 2, default 2. */
  readonly choiceCount?: number;
}

export class LeastRequestLoadBalancer extends EdfLoadBalancerBase {
  private readonly choiceCount: number;

  constructor(options: LeastRequestOptions = {}) {
    super(options);
    this.choiceCount = Math.max(2, options.choiceCount ?? DEFAULT_CHOICE_COUNT);
  }

  protected hostWeight(host: Host): number {
    return host.weight / (host.activeRequests() + 1);
  }

  protected unweightedPick(source: HostSource, ctx: LbContext): Host {
    const hosts = source.hosts;
    let best = hosts[randomIndex(ctx, hosts.length)]!;
    let bestActive = best.activeRequests();
    for (let c = 1; c < this.choiceCount; c++) {
      const h = hosts[randomIndex(ctx, hosts.length)]!;
      const active = h.activeRequests();
      // Strictly fewer: on a tie the earlier sample stays, as in Envoy.
      if (active < bestActive) {
        best = h;
        bestActive = active;
      }
    }
    return best;
  }
}
