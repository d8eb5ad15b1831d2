// ROUND_ROBIN (Envoy's RoundRobinLoadBalancer): plain rotation when host weights are equal,
// weighted round robin by EDF when they differ.
import type { Host } from './host.js';
import { EdfLoadBalancerBase } from './edf-load-balancer.js';
import type { CommonLbOptions } from './load-balancer.js';
import type { HostSource } from './priority.js';

export class RoundRobinLoadBalancer extends EdfLoadBalancerBase {
  /**
   * Rotation index per host source, kept across updates by (priority, kind, locality) like
   * Envoy's rr_indexes_, so frequent EDS updates do not restart every rotation at the seed.
   */
  private readonly indexByKey = new Map<string, number>();
  private indexes: number[] = [];
  private keys: string[] = [];

  constructor(options: CommonLbOptions = {}) {
    super(options);
  }

  protected hostWeight(host: Host): number {
    return host.weight;
  }

  protected override refreshSources(sources: readonly HostSource[]): void {
    // Save the current positions, then give each new source its old position or the seed.
    this.keys.forEach((k, id) => this.indexByKey.set(k, this.indexes[id]!));
    this.keys = sources.map((s) => s.key);
    this.indexes = this.keys.map((k) => this.indexByKey.get(k) ?? this.seed);
  }

  protected unweightedPick(source: HostSource): Host {
    const i = this.indexes[source.id]!;
    this.indexes[source.id] = i + 1;
    return source.hosts[i % source.hosts.length]!;
  }
}
