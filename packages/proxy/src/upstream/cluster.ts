// One upstream cluster: its hosts (STATIC, EDS, STRICT_DNS), load balancer, connection pools per
// host, circuit breakers and counters. Hosts keep their pools across EDS updates when the address
// stays, so an endpoint update never drops pooled connections to unchanged hosts.
import type { Cluster__Output, ClusterLoadAssignment__Output, ProtoRegistry } from '@weft/api';
import type { Host, Locality, PrioritySet } from '../load-balancer/host.js';
import { prioritySetFromHosts } from '../load-balancer/host.js';
import type { LoadBalancer } from '../load-balancer/load-balancer.js';
import { createPool, type ConnPool, type UpstreamProtocol } from './conn-pool.js';
import type { Counter, Gauge, StatScope } from '../stats/stat-store.js';
import type { ClusterCounters, HostChoice, UpstreamCluster, UpstreamHost } from './upstream-cluster.js';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export class ProxyHost implements Host, UpstreamHost {
  active = 0;
  healthy = true;
  /** Consecutive 5xx / gateway failures, for outlier detection. */
  consecutiveErrors = 0;
  ejectedUntil = 0;

  constructor(
    readonly address: string,
    readonly port: number,
    readonly weight: number,
    readonly locality: Locality,
    readonly priority: number,
    readonly pool: ConnPool,
    private readonly onResult: (host: ProxyHost, status: number) => void,
  ) {}

  activeRequests(): number {
    return this.active;
  }

  begin(): void {
    this.active++;
  }

  end(): void {
    this.active--;
  }

  recordResult(status: number): void {
    this.onResult(this, status);
  }
}

export interface Thresholds {
  maxConnections: number;
  maxPendingRequests: number;
  maxRequests: number;
  maxRetries: number;
}

function durationMs(d: { seconds?: string | number; nanos?: number } | null | undefined, fallback: number): number {
  if (!d) return fallback;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/** HTTP/2 upstream when the cluster says so (v3 typed options, or the deprecated field). */
export function upstreamProtocol(registry: ProtoRegistry, c: Cluster__Output): UpstreamProtocol {
  const any = c.typed_extension_protocol_options?.[HTTP_OPTIONS];
  if (any) {
    const opts = registry.unpack<{ explicit_http_config?: { http2_protocol_options?: object | null } | null }>(any);
    if (opts.explicit_http_config?.http2_protocol_options) return 'http2';
  }
  return (c as unknown as { http2_protocol_options?: object | null }).http2_protocol_options ? 'http2' : 'http1';
}

export function thresholdsOf(c: Cluster__Output): Thresholds {
  const t = c.circuit_breakers?.thresholds?.find((x) => x.priority === 'DEFAULT') ?? c.circuit_breakers?.thresholds?.[0];
  return {
    maxConnections: t?.max_connections?.value ?? 1024,
    maxPendingRequests: t?.max_pending_requests?.value ?? 1024,
    maxRequests: t?.max_requests?.value ?? 1024,
    maxRetries: t?.max_retries?.value ?? 3,
  };
}

const COUNTER_NAMES = ['upstream_rq_total', 'upstream_rq_retry', 'upstream_rq_retry_overflow', 'upstream_rq_pending_overflow', 'upstream_rq_timeout', 'upstream_cx_connect_fail', 'upstream_rq_rx_reset', 'upstream_cx_total'] as const;

export function clusterCounters(scope: StatScope): ClusterCounters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, scope.counter(n)])) as unknown as ClusterCounters;
}

export interface ClusterDeps {
  readonly registry: ProtoRegistry;
  readonly lb: LoadBalancer;
  /** `cluster.<name>` in the stat store. */
  readonly stats: StatScope;
  readonly now?: () => number;
}

export class ManagedCluster implements UpstreamCluster {
  readonly name: string;
  readonly counters: ClusterCounters;
  private readonly statusCounters = new Map<number, Counter>();
  private readonly classCounters = new Map<number, Counter>();
  private readonly ejectionsActive: Gauge;
  private readonly ejectionsTotal: Counter;
  private readonly membershipHealthy: Gauge;
  private readonly membershipTotal: Gauge;
  readonly protocol: UpstreamProtocol;
  readonly thresholds: Thresholds;
  readonly connectTimeoutMs: number;
  private hosts: ProxyHost[] = [];
  private activeRequests = 0;
  private activeRetries = 0;
  private readonly now: () => number;

  constructor(
    readonly config: Cluster__Output,
    private readonly deps: ClusterDeps,
  ) {
    this.name = config.name;
    this.protocol = upstreamProtocol(deps.registry, config);
    this.thresholds = thresholdsOf(config);
    this.connectTimeoutMs = durationMs(config.connect_timeout, 5000);
    this.now = deps.now ?? Date.now;
    this.counters = clusterCounters(deps.stats);
    this.ejectionsActive = deps.stats.gauge('outlier_detection.ejections_active');
    this.ejectionsTotal = deps.stats.counter('outlier_detection.ejections_enforced_total');
    this.membershipHealthy = deps.stats.gauge('membership_healthy');
    this.membershipTotal = deps.stats.gauge('membership_total');
    if (config.load_assignment) this.setAssignment(config.load_assignment);
  }

  /** The EDS service name (eds_cluster_config.service_name, else the cluster name). */
  get edsServiceName(): string | undefined {
    if (this.config.type !== 'EDS') return undefined;
    return this.config.eds_cluster_config?.service_name || this.config.name;
  }

  allHosts(): readonly ProxyHost[] {
    return this.hosts;
  }

  /** Replaces the hosts from a ClusterLoadAssignment, keeping the pools of hosts that stay. */
  setAssignment(cla: ClusterLoadAssignment__Output): void {
    const old = new Map(this.hosts.map((h) => [`${h.address}:${h.port}`, h]));
    const next: ProxyHost[] = [];
    for (const group of cla.endpoints ?? []) {
      const locality: Locality = { region: group.locality?.region ?? '', zone: group.locality?.zone ?? '', subZone: group.locality?.sub_zone ?? '' };
      for (const lbe of group.lb_endpoints ?? []) {
        const sa = lbe.endpoint?.address?.socket_address;
        if (!sa) continue;
        const key = `${sa.address}:${sa.port_value}`;
        const weight = lbe.load_balancing_weight?.value ?? 1;
        const prior = old.get(key);
        if (prior && prior.weight === weight && prior.priority === group.priority) {
          next.push(prior);
          old.delete(key);
          continue;
        }
        const pool = prior?.pool ?? createPool(this.protocol, sa.address, Number(sa.port_value), { maxConnections: this.thresholds.maxConnections, connectTimeoutMs: this.connectTimeoutMs });
        if (prior) old.delete(key);
        next.push(new ProxyHost(sa.address, Number(sa.port_value), weight, locality, group.priority, pool, (h, s) => this.onResult(h, s)));
      }
    }
    for (const gone of old.values()) gone.pool.close();
    this.hosts = next;
    this.rebuild(cla);
  }

  chooseHost(choice: HostChoice): UpstreamHost | undefined {
    this.refreshEjections();
    return this.deps.lb.chooseHost({
      ...(choice.hash !== undefined ? { hash: choice.hash } : {}),
      ...(choice.previous ? { previousHosts: choice.previous as unknown as ReadonlySet<Host>, hostSelectionRetryMaxAttempts: choice.maxAttempts ?? 1 } : {}),
      random: choice.random,
    }) as ProxyHost | undefined;
  }

  tryStartRequest(): boolean {
    if (this.activeRequests >= this.thresholds.maxRequests) return false;
    this.activeRequests++;
    return true;
  }

  finishRequest(): void {
    this.activeRequests--;
  }

  tryStartRetry(): boolean {
    if (this.activeRetries >= this.thresholds.maxRetries) return false;
    this.activeRetries++;
    return true;
  }

  finishRetry(): void {
    this.activeRetries--;
  }

  /** `upstream_rq_<code>` and `upstream_rq_<N>xx`, created on first use and then held. */
  recordStatus(status: number): void {
    let c = this.statusCounters.get(status);
    if (!c) this.statusCounters.set(status, (c = this.deps.stats.counter(`upstream_rq_${status}`)));
    c.value++;
    const klass = Math.floor(status / 100);
    let k = this.classCounters.get(klass);
    if (!k) this.classCounters.set(klass, (k = this.deps.stats.counter(`upstream_rq_${klass}xx`)));
    k.value++;
  }

  activeConnections(): number {
    return this.hosts.reduce((n, h) => n + h.pool.activeConnections(), 0);
  }

  close(): void {
    for (const h of this.hosts) h.pool.close();
    this.hosts = [];
  }

  private lastAssignment: ClusterLoadAssignment__Output | undefined;

  private rebuild(cla?: ClusterLoadAssignment__Output): void {
    if (cla) this.lastAssignment = cla;
    const weights = new Map<string, number>();
    for (const g of this.lastAssignment?.endpoints ?? []) {
      if (g.load_balancing_weight?.value) weights.set(`${g.priority}|${g.locality?.region ?? ''}/${g.locality?.zone ?? ''}/${g.locality?.sub_zone ?? ''}`, g.load_balancing_weight.value);
    }
    const healthy = this.hosts.filter((h) => h.healthy).length;
    this.membershipTotal.set(this.hosts.length);
    this.membershipHealthy.set(healthy);
    this.ejectionsActive.set(this.hosts.length - healthy);
    const factor = this.lastAssignment?.policy?.overprovisioning_factor?.value;
    const set: PrioritySet = prioritySetFromHosts(this.hosts, {
      ...(factor ? { overprovisioningFactor: factor } : {}),
      ...(this.config.common_lb_config?.locality_weighted_lb_config
        ? { localityWeight: (l: Locality, p: number) => weights.get(`${p}|${l.region}/${l.zone}/${l.subZone}`) }
        : {}),
    });
    this.deps.lb.update(set);
  }

  // Outlier detection: consecutive 5xx (or gateway errors) eject a host for base_ejection_time ×
  // times ejected, never more than max_ejection_percent of the cluster (Envoy's outlier detector).
  private ejections = new Map<ProxyHost, number>();

  private onResult(host: ProxyHost, status: number): void {
    const od = this.config.outlier_detection;
    if (!od) return;
    const gatewayOnly = od.consecutive_gateway_failure?.value !== undefined && od.consecutive_5xx?.value === undefined;
    const isError = status === 0 || (gatewayOnly ? status === 502 || status === 503 || status === 504 : status >= 500);
    if (!isError) {
      host.consecutiveErrors = 0;
      return;
    }
    host.consecutiveErrors++;
    const threshold = (gatewayOnly ? od.consecutive_gateway_failure?.value : od.consecutive_5xx?.value) ?? 5;
    if (host.consecutiveErrors < threshold || !host.healthy) return;
    const maxPercent = od.max_ejection_percent?.value ?? 10;
    // Envoy ejects while the share already ejected is below max_ejection_percent (so one host always can be).
    const ejected = this.hosts.filter((h) => !h.healthy).length;
    if ((ejected / this.hosts.length) * 100 >= maxPercent) return;
    const times = (this.ejections.get(host) ?? 0) + 1;
    this.ejections.set(host, times);
    host.healthy = false;
    host.consecutiveErrors = 0;
    host.ejectedUntil = this.now() + durationMs(od.base_ejection_time, 30_000) * times;
    this.ejectionsTotal.value++;
    this.rebuild();
  }

  private refreshEjections(): void {
    let changed = false;
    const now = this.now();
    for (const h of this.hosts) {
      if (!h.healthy && h.ejectedUntil <= now) {
        h.healthy = true;
        changed = true;
      }
    }
    if (changed) this.rebuild();
  }
}
