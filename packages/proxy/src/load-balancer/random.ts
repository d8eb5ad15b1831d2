// RANDOM (Envoy's RandomLoadBalancer): a uniformly random host of the chosen host source.
import type { Host, PrioritySet } from './host.js';
import { RetryingLoadBalancer, randomIndex, type CommonLbOptions, type LbContext } from './load-balancer.js';
import { HostSourceSelector } from './priority.js';

export class RandomLoadBalancer extends RetryingLoadBalancer {
  private readonly healthyPanicThreshold: number | undefined;
  private selector = new HostSourceSelector({ hostSets: [] });

  constructor(options: CommonLbOptions = {}) {
    super();
    this.healthyPanicThreshold = options.healthyPanicThreshold;
  }

  update(prioritySet: PrioritySet): void {
    this.selector = new HostSourceSelector(prioritySet, this.healthyPanicThreshold);
  }

  protected chooseHostOnce(ctx: LbContext): Host | undefined {
    const hosts = this.selector.choose(ctx)?.hosts;
    return hosts && hosts.length > 0 ? hosts[randomIndex(ctx, hosts.length)] : undefined;
  }
}
