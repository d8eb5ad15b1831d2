// The upstream hosts as the load balancers see them, grouped per priority and locality
// (Envoy's Host, HostSet and PrioritySet, source/common/upstream/upstream_impl.h).

/** Envoy's core.Locality. Hosts with equal region/zone/subZone share a locality. */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subZone: string;
}

/**
 * One endpoint. The upstream code owns and implements it; the balancers only read it.
 * `healthy` folds active health checking and outlier ejection together. Balancers precompute
 * from these fields, so after a health or weight change the owner calls `update()` again, as
 * Envoy's priority-set update callbacks do.
 */
export interface Host {
  readonly address: string;
  readonly port: number;
  /** load_balancing_weight, 1..128. */
  readonly weight: number;
  readonly locality: Locality;
  readonly priority: number;
  readonly healthy: boolean;
  /**
   * Usable but degraded (EDS health_status DEGRADED): Envoy's degraded hosts count against their
   * priority's health and get only the load its healthy hosts cannot take. Only read when `healthy`.
   */
  readonly degraded?: boolean;
  /** Requests in flight to this host (Envoy's rq_active), read by LEAST_REQUEST. */
  activeRequests(): number;
}

/** The hosts of one priority. */
export interface HostSet {
  readonly priority: number;
  readonly hosts: readonly Host[];
  /**
   * The same hosts grouped by locality, in a fixed order. Needed for locality weights;
   * when absent the balancers group `hosts` themselves in first-seen order.
   */
  readonly hostsPerLocality?: readonly (readonly Host[])[];
  /**
   * Locality weights parallel to `hostsPerLocality` (0 = never chosen). Set only when the
   * cluster has common_lb_config.locality_weighted_lb_config, as Envoy populates them only then.
   */
  readonly localityWeights?: readonly number[];
  /** ClusterLoadAssignment.policy.overprovisioning_factor as a percentage; default 140 (1.4). */
  readonly overprovisioningFactor?: number;
}

/** Host sets indexed by priority: hostSets[p].priority === p; gaps are empty host sets. */
export interface PrioritySet {
  readonly hostSets: readonly HostSet[];
}

export const DEFAULT_OVERPROVISIONING_FACTOR = 140;

/** Envoy's coarse health Healthy: usable and not degraded. */
export function isHealthy(h: Host): boolean {
  return h.healthy && !h.degraded;
}

/** Envoy's coarse health Degraded: usable, after the healthy hosts. */
export function isDegraded(h: Host): boolean {
  return h.healthy && h.degraded === true;
}

export function localityKey(l: Locality): string {
  return `${l.region}/${l.zone}/${l.subZone}`;
}

/** Envoy's Address::asString(): `1.2.3.4:80`, `[::1]:80`. Ring and Maglev keys hash this. */
export function hostAddressString(host: Pick<Host, 'address' | 'port'>): string {
  return host.address.includes(':') ? `[${host.address}]:${host.port}` : `${host.address}:${host.port}`;
}

/** Groups hosts by locality in first-seen order. */
export function groupByLocality(hosts: readonly Host[]): Host[][] {
  const groups = new Map<string, Host[]>();
  for (const h of hosts) {
    const key = localityKey(h.locality);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(h);
  }
  return [...groups.values()];
}

export interface PrioritySetOptions {
  /** Weight of a locality at a priority (LocalityLbEndpoints.load_balancing_weight); enables locality weighting. */
  readonly localityWeight?: (locality: Locality, priority: number) => number | undefined;
  readonly overprovisioningFactor?: number;
}

/** Builds a PrioritySet from a flat host list, grouping by `host.priority` then by locality. */
export function prioritySetFromHosts(hosts: readonly Host[], options: PrioritySetOptions = {}): PrioritySet {
  const byPriority: Host[][] = [];
  for (const h of hosts) (byPriority[h.priority] ??= []).push(h);
  const hostSets: HostSet[] = [];
  for (let p = 0; p < byPriority.length; p++) {
    const members = byPriority[p] ?? [];
    const hostsPerLocality = groupByLocality(members);
    const weigh = options.localityWeight;
    hostSets.push({
      priority: p,
      hosts: members,
      hostsPerLocality,
      ...(weigh ? { localityWeights: hostsPerLocality.map((g) => weigh(g[0]!.locality, p) ?? 0) } : {}),
      ...(options.overprovisioningFactor !== undefined ? { overprovisioningFactor: options.overprovisioningFactor } : {}),
    });
  }
  return { hostSets };
}

/** A plain mutable Host for static data, simulation and tests. */
export class SimpleHost implements Host {
  healthy: boolean;
  degraded: boolean;
  weight: number;
  active = 0;
  readonly locality: Locality;
  readonly priority: number;

  constructor(
    readonly address: string,
    readonly port: number,
    init: { weight?: number; healthy?: boolean; degraded?: boolean; priority?: number; locality?: Partial<Locality> } = {},
  ) {
    this.weight = init.weight ?? 1;
    this.healthy = init.healthy ?? true;
    this.degraded = init.degraded ?? false;
    this.priority = init.priority ?? 0;
    this.locality = { region: init.locality?.region ?? '', zone: init.locality?.zone ?? '', subZone: init.locality?.subZone ?? '' };
  }

  activeRequests(): number {
    return this.active;
  }
}
