// All clusters of the proxy: static ones from the bootstrap and dynamic ones from CDS, endpoints
// from EDS (kept across cluster updates) and from DNS for STRICT_DNS/LOGICAL_DNS clusters.
// A cluster warms until its first endpoints (EDS) and its SDS secrets are in; the secrets' own
// initial_fetch_timeout ends their part of the wait (the cluster then fails its TLS handshakes).
import { NOT_ENFORCED_STAT } from '../config/not-enforced.js';
import { lookup } from 'node:dns/promises';
import type { Cluster__Output, ClusterLoadAssignment__Output, ProtoRegistry } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { formatIssues, IssueCollector } from '@weft/base';
import type { LoadBalancerRegistry } from '../load-balancer/registry.js';
import type { StatScope } from '../stats/stat-store.js';
import type { SharedSlot } from './shared-counters.js';
import type { OutlierRuns } from './outlier-detection.js';
import type { SecretRef } from '../sds/secret-source.js';
import type { SecretProviders } from '../tls/dynamic-tls.js';
import { CLUSTER_PROVIDED_LB, clusterTransports, ManagedCluster, type ClusterDeps } from './cluster.js';
import { policyName } from '../load-balancer/registry.js';
import { clusterHealthChecks } from './health-checker.js';
import { clusterConnectionOptions } from './cluster-options.js';
import { checkClusterFilters, clusterFilters, metadataExchangeFrame, type IstioNetworkFilterDeps } from '../extensions/filters/network/istio-network-filters.js';
import type { ClusterLookup } from './upstream-cluster.js';

const SUPPORTED_TYPES = new Set(['STATIC', 'EDS', 'STRICT_DNS', 'LOGICAL_DNS', 'ORIGINAL_DST']);
/** The lb_policy values an ORIGINAL_DST cluster may have (Envoy rejects any other). */
const ORIGINAL_DST_POLICIES = new Set(['CLUSTER_PROVIDED', 'ORIGINAL_DST_LB']);

/** Envoy's initial_fetch_timeout: a warming cluster goes active without endpoints after this. */
const WARMING_TIMEOUT_MS = 15_000;

/** --concurrency: where each cluster instance keeps its circuit-breaker counts (server/cluster-slots.ts). */
export interface ClusterSlots {
  /** The slot of a new instance of cluster `name`; `staticIndex`: its place among the bootstrap's clusters. */
  slotFor(name: string, staticIndex: number | undefined): SharedSlot | undefined;
  /** The instance holding `slot` was retired or closed in this process. */
  release(slot: SharedSlot, name: string): void;
}

export interface ClusterManagerOptions {
  readonly slots?: ClusterSlots;
  /** Active health checks: run them ('probe', default) or take the primary's verdicts ('follow', a worker). */
  readonly health?: 'probe' | 'follow';
  readonly onHealthVerdict?: ClusterDeps['onHealthVerdict'];
  readonly onFirstTraffic?: ClusterDeps['onFirstTraffic'];
  /** A worker: report outlier results to the primary, which decides the ejections. */
  readonly reportOutliers?: ClusterDeps['reportOutliers'];
  /** The primary: a cluster's ejected hosts changed. */
  readonly onOutlierChange?: ClusterDeps['onOutlierChange'];
  /** Counts config.accepted_not_enforced of applied clusters (false in a worker: its primary counts them). */
  readonly countConfig?: boolean;
  /** The bootstrap node: what a cluster's istio.metadata_exchange filter tells the upstream peer. */
  readonly node?: IstioNetworkFilterDeps['node'];
}

/** A host's active health check verdict, as the primary hands it to a worker. */
export interface HealthVerdict {
  readonly cluster: string;
  readonly address: string;
  readonly port: number;
  readonly failed: boolean;
}

/** What the cluster manager needs of the secret manager. */
export interface ClusterSecrets extends SecretProviders {
  warmed(refs: readonly SecretRef[]): boolean;
  onWarm(listener: () => void): void;
}

interface Warming {
  readonly cluster: ManagedCluster;
  timer: NodeJS.Timeout | undefined;
  /** Its endpoints arrived (or it has none to wait for, or their timeout passed). */
  endpointsReady: boolean;
}

export class ClusterManager implements ClusterLookup {
  private readonly clusters = new Map<string, ManagedCluster>();
  /**
   * Cluster warming (Envoy): a new or changed EDS cluster whose endpoints have not arrived yet waits
   * here, while the cluster it replaces (if any) keeps serving; its first assignment (or the timeout)
   * makes it active.
   */
  private readonly warmingClusters = new Map<string, Warming>();
  private readonly warmListeners = new Set<() => void>();
  private readonly staticNames = new Set<string>();
  private readonly assignments = new Map<string, ClusterLoadAssignment__Output>();
  private readonly dnsTimers = new Map<string, NodeJS.Timeout>();
  private readonly log: Logger;
  /** This node's metadata exchange frame, for the clusters' istio.metadata_exchange filters. */
  private readonly mxFrame: Buffer | undefined;

  constructor(
    private readonly registry: ProtoRegistry,
    private readonly balancers: LoadBalancerRegistry,
    private readonly stats: StatScope,
    logger: Logger,
    private readonly secrets?: ClusterSecrets,
    private readonly options: ClusterManagerOptions = {},
  ) {
    this.log = moduleLogger(logger, 'cluster-manager');
    this.mxFrame = metadataExchangeFrame(registry, options.node);
    secrets?.onWarm(() => this.activateWarmed());
  }

  get(name: string): ManagedCluster | undefined {
    return this.clusters.get(name);
  }

  all(): ManagedCluster[] {
    return [...this.clusters.values()];
  }

  /** Clusters still waiting for their first endpoints (config_dump's dynamic_warming_clusters). */
  warming(): ManagedCluster[] {
    return [...this.warmingClusters.values()].map((w) => w.cluster);
  }

  /** Called whenever a warming cluster becomes active (listeners wait for warm clusters). */
  onWarm(listener: () => void): void {
    this.warmListeners.add(listener);
  }

  isStatic(name: string): boolean {
    return this.staticNames.has(name);
  }

  edsNames(): string[] {
    const names = [...this.all(), ...this.warming()].map((c) => c.edsServiceName);
    return [...new Set(names.filter((n): n is string => n !== undefined))];
  }

  /** Checks a batch of clusters; returns every problem, or undefined when all can be applied. */
  validate(clusters: readonly Cluster__Output[]): string | undefined {
    const problems: string[] = [];
    for (const c of clusters) {
      if (!c.name) problems.push('cluster without a name');
      else if (c.cluster_type) problems.push(`cluster ${c.name}: custom cluster_type ${c.cluster_type.name} is not supported`);
      else if (!SUPPORTED_TYPES.has(c.type ?? 'STATIC')) problems.push(`cluster ${c.name}: type ${c.type} is not supported`);
      if (this.staticNames.has(c.name)) problems.push(`cluster ${c.name}: a static cluster of that name exists`);
      if (c.type === 'ORIGINAL_DST') {
        const policy = policyName(c.lb_policy);
        if (!ORIGINAL_DST_POLICIES.has(policy)) problems.push(`cluster ${c.name}: lb_policy ${policy} is not valid for an ORIGINAL_DST cluster (use CLUSTER_PROVIDED)`);
      } else {
        const lb = this.balancers.create(c);
        if (lb.errors.length > 0) problems.push(`cluster ${c.name}: ${formatIssues(lb.errors)}`);
      }
      const checks = clusterHealthChecks(c.health_checks);
      if (checks.errors.length > 0) problems.push(`cluster ${c.name}: ${formatIssues(checks.errors)}`);
      // Envoy accepts one health check per cluster.
      if ((c.health_checks?.length ?? 0) > 1) problems.push(`cluster ${c.name}: health_checks: multiple health checks are not supported`);
      // Bad TLS material is a NACK; SDS-named secrets are not (they are watched when the cluster is built).
      const transport = clusterTransports(this.registry, c);
      if (transport.errors.length > 0) problems.push(`cluster ${c.name}: ${formatIssues(transport.errors)}`);
      // Protocol options, connection options, circuit breakers, outlier detection (cluster-options.ts).
      const options = clusterConnectionOptions(this.registry, c);
      if (options.errors.length > 0) problems.push(`cluster ${c.name}: ${formatIssues(options.errors)}`);
      // Upstream network filters (istio.metadata_exchange): known ones accepted, others refused.
      const filterIssues = new IssueCollector();
      checkClusterFilters(this.registry, c.filters, filterIssues);
      if (filterIssues.errors.length > 0) problems.push(`cluster ${c.name}: ${formatIssues(filterIssues.errors)}`);
    }
    return problems.length > 0 ? problems.join('; ') : undefined;
  }

  addStatic(c: Cluster__Output): void {
    this.staticNames.add(c.name);
    this.put(c, this.staticNames.size - 1);
  }

  /** The shared-counts slot of the newest instance of each cluster (warming, else active): what workers are handed. */
  slotOf(name: string): number | undefined {
    return (this.warmingClusters.get(name)?.cluster ?? this.clusters.get(name))?.sharedSlot?.slot;
  }

  /** A worker: the primary's checks flipped a host; applied to the active and the warming instance of the cluster. */
  applyHealthVerdict(v: HealthVerdict): void {
    for (const c of this.instances(v.cluster)) c.applyHealthVerdict(v.address, v.port, v.failed);
  }

  /** The primary: every health-checked host's current verdict (for a worker that starts over). */
  healthVerdicts(): HealthVerdict[] {
    const out: HealthVerdict[] = [];
    for (const c of [...this.all(), ...this.warming()]) {
      if (!c.healthChecked) continue;
      for (const h of c.allHosts()) out.push({ cluster: c.name, address: h.address, port: h.port, failed: h.failedActiveHc });
    }
    return out;
  }

  /** The active and the warming instance of a cluster, those that exist. */
  private instances(name: string): ManagedCluster[] {
    const out: ManagedCluster[] = [];
    const active = this.clusters.get(name);
    const warming = this.warmingClusters.get(name)?.cluster;
    if (active) out.push(active);
    if (warming) out.push(warming);
    return out;
  }

  /** The primary: a worker's outlier results for a cluster (the active instance: it carries the traffic). */
  applyOutlierResults(cluster: string, results: readonly OutlierRuns[]): void {
    this.clusters.get(cluster)?.applyOutlierResults(results);
  }

  /** A worker: the hosts the primary's detector has ejected now, for the active and the warming instance. */
  applyEjections(cluster: string, ejected: readonly (readonly [string, number])[]): void {
    for (const c of this.instances(cluster)) c.applyEjections(ejected);
  }

  /** The primary: every outlier-detected cluster's ejected hosts (for a worker that starts over). */
  outlierStates(): { cluster: string; ejected: [string, number][] }[] {
    return this.all()
      .filter((c) => c.outlier !== undefined)
      .map((c) => ({ cluster: c.name, ejected: c.ejectedHosts() }));
  }

  /** The primary: a worker sent the cluster's first request. */
  markTraffic(name: string): void {
    for (const c of this.instances(name)) c.markTraffic();
  }

  /** Applies a CDS update (SotW full set or Delta changes). */
  apply(added: readonly Cluster__Output[], removed: readonly string[]): string | undefined {
    const problem = this.validate(added);
    if (problem) return problem;
    for (const name of removed) {
      if (this.staticNames.has(name)) continue;
      this.clusters.get(name)?.retire();
      this.clusters.delete(name);
      this.dropWarming(name);
      this.stopDns(name);
    }
    for (const c of added) {
      const existing = this.warmingClusters.get(c.name)?.cluster ?? this.clusters.get(c.name);
      if (existing && JSON.stringify(existing.config) === JSON.stringify(c)) continue;
      this.dropWarming(c.name);
      this.put(c);
    }
    this.updateGauges();
    return undefined;
  }

  applyAssignments(list: readonly ClusterLoadAssignment__Output[]): string | undefined {
    for (const cla of list) {
      this.assignments.set(cla.cluster_name, cla);
      for (const c of this.all()) if (c.edsServiceName === cla.cluster_name) c.setAssignment(cla);
      for (const w of [...this.warmingClusters.values()]) {
        if (w.cluster.edsServiceName !== cla.cluster_name) continue;
        w.cluster.setAssignment(cla);
        w.endpointsReady = true;
        // The endpoints are here; a cluster still warming now waits only for its secrets.
        clearTimeout(w.timer);
        w.timer = undefined;
        this.activateIfWarm(w);
      }
    }
    return undefined;
  }

  close(): void {
    for (const name of [...this.warmingClusters.keys()]) this.dropWarming(name);
    for (const c of this.all()) c.close();
    for (const t of this.dnsTimers.values()) clearTimeout(t);
    this.clusters.clear();
  }

  private put(c: Cluster__Output, staticIndex?: number): void {
    // Validated before (validate / the bootstrap check), so the balancer exists.
    const lb = c.type === 'ORIGINAL_DST' ? CLUSTER_PROVIDED_LB : this.balancers.create(c, { seed: Math.floor(Math.random() * 0x7fffffff) }).value!;
    const o = this.options;
    const shared = o.slots?.slotFor(c.name, staticIndex);
    const slots = o.slots;
    const stats = this.stats.scope(`cluster.${c.alt_stat_name || c.name}`);
    // Validated before, so the filters are known (`cluster.<name>.metadata_exchange.*`).
    const onUpstreamConnection = clusterFilters(this.registry, c.filters, { frame: this.mxFrame, stats }, new IssueCollector());
    const cluster = new ManagedCluster(c, {
      registry: this.registry,
      lb,
      stats,
      logger: this.log,
      ...(this.secrets ? { secrets: this.secrets } : {}),
      ...(shared ? { shared } : {}),
      ...(o.health ? { health: o.health } : {}),
      ...(o.onHealthVerdict ? { onHealthVerdict: o.onHealthVerdict } : {}),
      ...(o.onFirstTraffic ? { onFirstTraffic: o.onFirstTraffic } : {}),
      ...(o.reportOutliers ? { reportOutliers: o.reportOutliers } : {}),
      ...(o.onOutlierChange ? { onOutlierChange: o.onOutlierChange } : {}),
      ...(shared && slots ? { onGone: () => slots.release(shared, c.name) } : {}),
      ...(onUpstreamConnection ? { onUpstreamConnection } : {}),
    });
    if (cluster.notEnforced > 0 && o.countConfig !== false) this.stats.counter(NOT_ENFORCED_STAT).add(cluster.notEnforced);
    const eds = cluster.edsServiceName;
    const waitEndpoints = eds !== undefined && !this.assignments.has(eds);
    const waitSecrets = cluster.secretRefs.length > 0 && !this.secrets?.warmed(cluster.secretRefs);
    if (eds && !waitEndpoints) cluster.setAssignment(this.assignments.get(eds)!);
    if (waitEndpoints || waitSecrets) {
      const w: Warming = { cluster, timer: undefined, endpointsReady: !waitEndpoints };
      if (waitEndpoints) {
        w.timer = setTimeout(() => {
          this.log.warn({ cluster: c.name }, 'no endpoints arrived in time; the cluster goes active without them');
          w.endpointsReady = true;
          this.activateIfWarm(w);
        }, WARMING_TIMEOUT_MS);
        w.timer.unref();
      }
      this.warmingClusters.set(c.name, w);
      this.updateGauges();
      this.log.debug({ cluster: c.name, waitEndpoints, waitSecrets }, 'cluster warming');
      return;
    }
    this.clusters.get(c.name)?.retire();
    this.clusters.set(c.name, cluster);
    if (c.type === 'STRICT_DNS' || c.type === 'LOGICAL_DNS') this.startDns(cluster);
    this.updateGauges();
    this.log.debug({ cluster: c.name, type: c.type }, 'cluster added');
  }

  /** A secret arrived or timed out: clusters that waited only for it go active. */
  private activateWarmed(): void {
    for (const w of [...this.warmingClusters.values()]) this.activateIfWarm(w);
  }

  private activateIfWarm(w: Warming): void {
    if (!w.endpointsReady) return;
    if (w.cluster.secretRefs.length > 0 && !this.secrets?.warmed(w.cluster.secretRefs)) return;
    this.activate(w.cluster);
  }

  /** A warmed cluster replaces the active one of its name. */
  private activate(cluster: ManagedCluster): void {
    const w = this.warmingClusters.get(cluster.name);
    if (w?.cluster !== cluster) return;
    clearTimeout(w.timer);
    this.warmingClusters.delete(cluster.name);
    this.clusters.get(cluster.name)?.retire();
    this.clusters.set(cluster.name, cluster);
    const c = cluster.config;
    if (c.type === 'STRICT_DNS' || c.type === 'LOGICAL_DNS') this.startDns(cluster);
    this.updateGauges();
    for (const l of this.warmListeners) l();
  }

  private dropWarming(name: string): void {
    const w = this.warmingClusters.get(name);
    if (!w) return;
    clearTimeout(w.timer);
    w.cluster.close();
    this.warmingClusters.delete(name);
    this.updateGauges();
  }

  /** cluster_manager.warming_clusters and active_clusters (Envoy's cluster manager gauges). */
  private updateGauges(): void {
    this.stats.gauge('cluster_manager.warming_clusters', 'NeverImport').set(this.warmingClusters.size);
    this.stats.gauge('cluster_manager.active_clusters', 'NeverImport').set(this.clusters.size);
  }

  /** Resolves the load assignment's host names now and every dns_refresh_rate (default 5 s). */
  private startDns(cluster: ManagedCluster): void {
    this.stopDns(cluster.name);
    const template = cluster.config.load_assignment;
    if (!template) return;
    const refresh = cluster.config.dns_refresh_rate ? Number(cluster.config.dns_refresh_rate.seconds) * 1000 + Math.floor(cluster.config.dns_refresh_rate.nanos / 1e6) : 5000;
    const family = cluster.config.dns_lookup_family === 'V6_ONLY' ? 6 : cluster.config.dns_lookup_family === 'V4_ONLY' ? 4 : 0;
    const resolve = async () => {
      const endpoints = await Promise.all(
        (template.endpoints ?? []).map(async (g) => ({
          ...g,
          lb_endpoints: (
            await Promise.all(
              (g.lb_endpoints ?? []).map(async (e) => {
                const sa = e.endpoint?.address?.socket_address;
                if (!sa) return [];
                try {
                  const found = await lookup(sa.address, { all: true, family });
                  // LOGICAL_DNS uses only the first address; STRICT_DNS makes a host of every one.
                  const addrs = cluster.config.type === 'STRICT_DNS' ? found : found.slice(0, 1);
                  // The host keeps the DNS name as its hostname (auto_host_rewrite) unless the endpoint names one.
                  const hostname = e.endpoint!.hostname || sa.address;
                  return addrs.map((a) => ({ ...e, endpoint: { ...e.endpoint!, hostname, address: { ...e.endpoint!.address!, socket_address: { ...sa, address: a.address } } } }));
                } catch (err) {
                  this.log.warn({ cluster: cluster.name, host: sa.address, err }, 'DNS resolution failed; the host is left out until it resolves');
                  return undefined;
                }
              }),
            )
          ).flatMap((x) => x ?? []),
        })),
      );
      if (this.clusters.get(cluster.name) !== cluster) return;
      cluster.setAssignment({ ...template, endpoints });
      this.dnsTimers.set(cluster.name, setTimeout(() => void resolve(), refresh).unref());
    };
    void resolve();
  }

  private stopDns(name: string): void {
    const t = this.dnsTimers.get(name);
    if (t) clearTimeout(t);
    this.dnsTimers.delete(name);
  }
}
