// One upstream cluster: its hosts (STATIC, EDS, STRICT_DNS), load balancer, connection pools per
// host, circuit breakers and counters. Hosts keep their pools across EDS updates when the address
// stays, so an endpoint update never drops pooled connections to unchanged hosts.
import { notEnforcedCount } from '../config/not-enforced.js';
import type { Cluster__Output, ClusterLoadAssignment__Output, ProtoRegistry } from '@weft/api';
import { formatIssues, IssueCollector, type Logger, type ValidationResult } from '@weft/base';
import type { Host, Locality, PrioritySet } from '../load-balancer/host.js';
import { prioritySetFromHosts } from '../load-balancer/host.js';
import type { LoadBalancer } from '../load-balancer/load-balancer.js';
import { ResourceManager, thresholdsOf, type RoutingPriority, type Thresholds } from './circuit-breaker.js';
import { createHostPools, type ConnPool, type PoolLimits, type PoolProtocol, type UpstreamProtocol } from './conn-pool.js';
import { clusterConnectionOptions } from './cluster-options.js';
import { poolCounters } from './pool-types.js';
import { HostMonitor, OutlierDetector, outlierConfig, OutlierReporter, type OutlierRuns } from './outlier-detection.js';
import type { Counter, Gauge, Histogram, StatScope } from '../stats/stat-store.js';
import { compileUpstreamTransportSocket, type UpstreamTransport } from '../tls/upstream-tls-context.js';
import type { SecretProviders } from '../tls/dynamic-tls.js';
import type { SecretRef } from '../sds/secret-source.js';
import { compileTransportSocketMatches, transportSecrets, type TransportSocketMatcher, type TransportSocketMatchInput } from '../tls/transport-socket-matches.js';
import { clusterHealthChecks, HealthChecker, type HealthCheckedHost, type Probe } from './health-checker.js';
import type { SharedSlot } from './shared-counters.js';
import { probeFor } from './health-probes.js';
import { OriginalDstHosts } from './original-dst-hosts.js';
import type { ClusterCounters, HostChoice, OriginalDestination, UpstreamCluster, UpstreamConnectionHook, UpstreamHost } from './upstream-cluster.js';

/** The balancer of an ORIGINAL_DST cluster (CLUSTER_PROVIDED): the cluster picks the host itself. */
export const CLUSTER_PROVIDED_LB: LoadBalancer = { chooseHost: () => undefined, update: () => undefined };

const NO_LOCALITY: Locality = { region: '', zone: '', subZone: '' };

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

export type EdsHealth = 'healthy' | 'degraded' | 'unhealthy';

/** LbEndpoint.health_status as the balancers use it: UNKNOWN and HEALTHY hosts are healthy. */
export function edsHealthOf(status: string | undefined): EdsHealth {
  if (status === 'UNHEALTHY' || status === 'DRAINING' || status === 'TIMEOUT') return 'unhealthy';
  return status === 'DEGRADED' ? 'degraded' : 'healthy';
}

export class ProxyHost implements Host, UpstreamHost {
  active = 0;
  /** Active health checking's FAILED_ACTIVE_HC, kept apart from outlier ejection so one never clears the other. */
  failedActiveHc = false;
  /** Outlier detection state; carried over when an EDS update re-creates the host. */
  monitor = new HostMonitor();
  /**
   * The endpoint's EDS health_status: UNHEALTHY, DRAINING and TIMEOUT hosts are unhealthy
   * (FAILED_EDS_HEALTH); DEGRADED ones count against their priority's health and get only the load
   * its healthy hosts cannot take (Envoy's degraded load, load-balancer/priority.ts).
   */
  edsHealth: EdsHealth = 'healthy';
  /** The transport its pool uses (transport_socket_matches picks it per endpoint). */
  transport: UpstreamTransport | undefined;
  /** Endpoint.hostname, or the DNS name of a DNS cluster's host (auto_host_rewrite). */
  hostname: string | undefined;

  constructor(
    readonly address: string,
    readonly port: number,
    readonly weight: number,
    readonly locality: Locality,
    /** LocalityLbEndpoints.priority. */
    readonly configPriority: number,
    readonly pool: ConnPool,
    private readonly onResult: (host: ProxyHost, status: number) => void,
  ) {}

  get priority(): number {
    return this.configPriority;
  }

  get degraded(): boolean {
    return this.edsHealth === 'degraded';
  }

  get outlierEjected(): boolean {
    return this.monitor.ejected;
  }

  get healthy(): boolean {
    return !this.monitor.ejected && !this.failedActiveHc && this.edsHealth !== 'unhealthy';
  }

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

function durationMs(d: { seconds?: string | number; nanos?: number } | null | undefined, fallback: number): number {
  if (!d) return fallback;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

interface HttpProtocolOptions {
  explicit_http_config?: { http2_protocol_options?: object | null } | null;
  common_http_protocol_options?: { max_requests_per_connection?: { value: number } | null } | null;
}

function httpProtocolOptions(registry: ProtoRegistry, c: Cluster__Output): HttpProtocolOptions | undefined {
  const any = c.typed_extension_protocol_options?.[HTTP_OPTIONS];
  return any ? registry.unpack<HttpProtocolOptions>(any) : undefined;
}

/** HTTP/2 upstream when the cluster says so (v3 typed options, or the deprecated field). */
export function upstreamProtocol(registry: ProtoRegistry, c: Cluster__Output): UpstreamProtocol {
  if (httpProtocolOptions(registry, c)?.explicit_http_config?.http2_protocol_options) return 'http2';
  return (c as unknown as { http2_protocol_options?: object | null }).http2_protocol_options ? 'http2' : 'http1';
}

/** max_requests_per_connection from the v3 typed options, else the deprecated Cluster field; 0 = unlimited. */
export function maxRequestsPerConnection(registry: ProtoRegistry, c: Cluster__Output): number {
  const typed = httpProtocolOptions(registry, c)?.common_http_protocol_options?.max_requests_per_connection?.value;
  return typed ?? c.max_requests_per_connection?.value ?? 0;
}

const COUNTER_NAMES = ['upstream_rq_total', 'upstream_rq_retry', 'upstream_rq_retry_overflow', 'upstream_rq_pending_overflow', 'upstream_rq_timeout', 'upstream_cx_connect_fail', 'upstream_rq_rx_reset', 'upstream_cx_total', 'upstream_cx_overflow', 'upstream_cx_connect_attempts_exceeded'] as const;

export function clusterCounters(scope: StatScope): ClusterCounters {
  return Object.fromEntries(COUNTER_NAMES.map((n) => [n, scope.counter(n)])) as unknown as ClusterCounters;
}

export interface ClusterDeps {
  readonly registry: ProtoRegistry;
  readonly lb: LoadBalancer;
  /** `cluster.<name>` in the stat store. */
  readonly stats: StatScope;
  readonly now?: () => number;
  readonly logger?: Logger;
  /** Replaces the HTTP/TCP health check probe (tests). */
  readonly probe?: Probe;
  /** [0, 1), for the outlier detector's enforcing_* percentages (tests). */
  readonly random?: () => number;
  /** The secret manager, for SDS-named TLS material. */
  readonly secrets?: SecretProviders;
  /** --concurrency: this instance's slot of the workers' shared circuit-breaker counts. */
  readonly shared?: SharedSlot;
  /**
   * Active health checking: 'probe' (default) runs the checks; 'follow' (a worker) runs none and
   * takes the verdicts of the primary's checks (applyHealthVerdict), as Envoy's workers take the
   * main thread's.
   */
  readonly health?: 'probe' | 'follow';
  /** A host flipped under this process's checks (the primary hands it to its workers). */
  readonly onHealthVerdict?: (cluster: string, host: ProxyHost) => void;
  /** The first host choice of this instance (a worker tells the primary, whose checks leave no_traffic_interval). */
  readonly onFirstTraffic?: (cluster: string) => void;
  /** The instance was retired or closed, after its shared slot was let go. */
  readonly onGone?: (cluster: ManagedCluster) => void;
  /**
   * A worker: outlier detection runs in the primary (one detector per cluster for the process, as
   * Envoy's); this instance reports its hosts' results there and takes the ejections it decides.
   */
  readonly reportOutliers?: (cluster: string, results: OutlierRuns[]) => void;
  /** The primary: its detector ejected or brought back a host (the hosts ejected now), for the workers. */
  readonly onOutlierChange?: (cluster: string, ejected: [string, number][]) => void;
  /** Its upstream network filters (Cluster.filters), built by the cluster manager. */
  readonly onUpstreamConnection?: UpstreamConnectionHook;
}

/**
 * The cluster's transport_socket (plaintext, upstream TLS, or accepted-but-unavailable for SDS-named
 * secrets); errors (unreadable files, bad PEM, unknown socket) have paths under `transport_socket`.
 */
export function upstreamTransport(registry: ProtoRegistry, c: Cluster__Output, secrets?: SecretProviders): ValidationResult<UpstreamTransport> {
  const issues = new IssueCollector('transport_socket');
  const transport = compileUpstreamTransportSocket(c.transport_socket, (any) => registry.unpack(any), issues, secrets);
  return issues.result<UpstreamTransport>(transport ?? { kind: 'unavailable', reason: 'invalid transport_socket' });
}

export interface ClusterTransports {
  readonly fallback: UpstreamTransport;
  readonly matcher?: TransportSocketMatcher;
}

/** transport_socket and transport_socket_matches, with every error under its own path. */
export function clusterTransports(registry: ProtoRegistry, c: Cluster__Output, secrets?: SecretProviders): ValidationResult<ClusterTransports> {
  const fallback = upstreamTransport(registry, c, secrets);
  const issues = new IssueCollector('', [...fallback.errors], [...fallback.warnings]);
  const matches = (c as unknown as { transport_socket_matches?: readonly TransportSocketMatchInput[] }).transport_socket_matches;
  const failed: UpstreamTransport = { kind: 'unavailable', reason: `invalid transport_socket: ${formatIssues(fallback.errors)}` };
  const matcher = compileTransportSocketMatches(matches, fallback.value ?? failed, (any) => registry.unpack(any), issues, secrets);
  return issues.result<ClusterTransports>({ fallback: fallback.value ?? failed, ...(matcher ? { matcher } : {}) });
}

export type { Thresholds };

export class ManagedCluster implements UpstreamCluster {
  readonly name: string;
  readonly counters: ClusterCounters;
  private readonly statusCounters = new Map<number, Counter>();
  private readonly classCounters = new Map<number, Counter>();
  private readonly membershipHealthy: Gauge;
  private readonly membershipDegraded: Gauge;
  private readonly membershipTotal: Gauge;
  readonly protocol: UpstreamProtocol;
  /** How pools are made: `protocol`, or the downstream request's (use_downstream_protocol_config). */
  readonly poolProtocol: PoolProtocol;
  readonly thresholds: Thresholds;
  readonly connectTimeoutMs: number;
  /** The DEFAULT-priority circuit breakers (what the router and tcp_proxy use). */
  readonly resources: ResourceManager;
  /** The HIGH-priority circuit breakers, for routes with priority HIGH. */
  readonly highResources: ResourceManager;
  /** outlier_detection; absent when the cluster has none, or when the primary detects for it (a worker). */
  readonly outlier: OutlierDetector | undefined;
  /** A worker's reports to the primary's detector. */
  private readonly outlierReporter: OutlierReporter | undefined;
  private readonly poolLimits: PoolLimits;
  /** How the pools reach the hosts without a transport_socket_matches match: plaintext, TLS, or not at all. */
  readonly transport: UpstreamTransport;
  /** transport_socket_matches, when the cluster has them. */
  private readonly transportMatcher: TransportSocketMatcher | undefined;
  /** The SDS secrets its transports need: the cluster warms until they are in (ClusterManager). */
  readonly secretRefs: readonly SecretRef[];
  private hosts: ProxyHost[] = [];
  private readonly now: () => number;
  readonly sourceAddress: string | undefined;
  readonly tcpKeepalive: { readonly timeMs?: number | undefined } | undefined;
  /** ORIGINAL_DST: hosts made on demand, by `address:port`, swept every cleanup_interval. */
  private readonly originalDst: OriginalDstHosts<ProxyHost> | undefined;
  /** Active health checking (health_checks[0]); absent when the cluster has none. */
  private readonly healthChecker: HealthChecker | undefined;
  /** Set on the first host choice: until then health checks run every no_traffic_interval. */
  private hadTraffic = false;
  /** Health checked by the primary: hosts take its verdicts (applyHealthVerdict). */
  private readonly followsHealth: boolean;
  private gone = false;
  private requestTime: Histogram | undefined;
  /** Accepted-not-enforced fields of this cluster's config (the cluster manager counts them once it is applied). */
  readonly notEnforced: number;

  constructor(
    readonly config: Cluster__Output,
    private readonly deps: ClusterDeps,
  ) {
    this.name = config.name;
    // Checked before (ClusterManager.validate); the warnings are the accepted-not-enforced fields.
    const options = clusterConnectionOptions(deps.registry, config);
    for (const w of options.warnings) deps.logger?.warn({ cluster: config.name, field: w.path }, w.message);
    this.notEnforced = notEnforcedCount(options.warnings.map((w) => w.message));
    this.poolProtocol = options.value?.protocol ?? upstreamProtocol(deps.registry, config);
    this.protocol = this.poolProtocol === 'http2' ? 'http2' : 'http1';
    this.thresholds = thresholdsOf(config);
    this.connectTimeoutMs = options.value?.connectTimeoutMs ?? durationMs(config.connect_timeout, 5000);
    this.resources = new ResourceManager(this.thresholds, deps.stats, 'DEFAULT', deps.shared);
    this.highResources = new ResourceManager(thresholdsOf(config, 'HIGH'), deps.stats, 'HIGH', deps.shared);
    this.sourceAddress = config.upstream_bind_config?.source_address?.address || undefined;
    this.poolLimits = {
      maxRequestsPerConnection: maxRequestsPerConnection(deps.registry, config),
      ...options.value?.limits,
      connectTimeoutMs: this.connectTimeoutMs,
      resources: this.resources,
      localAddress: this.sourceAddress,
      counters: poolCounters(deps.stats),
    };
    this.tcpKeepalive = this.poolLimits.tcpKeepalive;
    this.now = deps.now ?? Date.now;
    this.counters = clusterCounters(deps.stats);
    const od = config.outlier_detection;
    const report = deps.reportOutliers;
    const onOutlierChange = deps.onOutlierChange;
    this.outlierReporter = od && report ? new OutlierReporter((results) => report(this.name, results)) : undefined;
    this.outlier =
      od && !report
        ? new OutlierDetector(outlierConfig(od, new IssueCollector('outlier_detection')), {
            stats: deps.stats.scope('outlier_detection'),
            now: this.now,
            random: deps.random ?? Math.random,
            onChange: () => {
              this.rebuild();
              onOutlierChange?.(this.name, this.ejectedHosts());
            },
          })
        : undefined;
    // Every process computes these from the same config: with workers, /stats shows the primary's.
    this.membershipHealthy = deps.stats.gauge('membership_healthy', 'NeverImport');
    this.membershipDegraded = deps.stats.gauge('membership_degraded', 'NeverImport');
    this.membershipTotal = deps.stats.gauge('membership_total', 'NeverImport');
    // Checked before (ClusterManager.validate). Should it fail anyway, fail closed: never plaintext.
    const transports = clusterTransports(deps.registry, config, deps.secrets);
    this.transport = transports.value?.fallback ?? { kind: 'unavailable', reason: `invalid transport_socket: ${formatIssues(transports.errors)}` };
    this.transportMatcher = transports.value?.matcher;
    const choices = this.transportMatcher?.choices.map((c) => c.transport) ?? [this.transport];
    this.secretRefs = choices.flatMap(transportSecrets);
    if (this.transport.kind === 'unavailable') {
      // Pilot's ISTIO_MUTUAL clusters name SDS secrets; they are accepted (no CDS NACK) and fail per request with 503 UF.
      deps.logger?.warn({ cluster: config.name }, `${this.transport.reason}; requests to cluster ${config.name} fail with 503 UF`);
    }
    const checks = clusterHealthChecks(config.health_checks).value ?? [];
    this.followsHealth = Boolean(checks[0]) && config.type !== 'ORIGINAL_DST' && deps.health === 'follow';
    if (checks[0] && config.type !== 'ORIGINAL_DST' && !this.followsHealth) {
      const probe = deps.probe ?? probeFor(checks[0], { clusterName: config.name, transport: this.transport, localAddress: this.sourceAddress });
      const onVerdict = deps.onHealthVerdict;
      this.healthChecker = new HealthChecker(checks[0], {
        probe,
        onChange: () => this.rebuild(),
        hadTraffic: () => this.hadTraffic,
        stats: deps.stats.scope('health_check'),
        ...(onVerdict ? { onVerdict: (h: HealthCheckedHost) => onVerdict(this.name, h as ProxyHost) } : {}),
      });
    }
    if (config.type === 'ORIGINAL_DST') {
      const make = (d: OriginalDestination) => new ProxyHost(d.address, d.port, 1, NO_LOCALITY, 0, this.hostPools(d.address, d.port, this.transport), () => undefined);
      const onChange = (hosts: ProxyHost[]) => {
        this.hosts = hosts;
        this.updateMembership();
      };
      this.originalDst = new OriginalDstHosts(make, onChange, durationMs(config.cleanup_interval, 5000));
    } else if (config.load_assignment) this.setAssignment(config.load_assignment);
  }

  /** Cluster.filters (istio.metadata_exchange), run by tcp_proxy on each upstream connection. */
  get onUpstreamConnection(): UpstreamConnectionHook | undefined {
    return this.deps.onUpstreamConnection;
  }

  /** This instance's slot of the workers' shared counts (--concurrency), if it has one. */
  get sharedSlot(): SharedSlot | undefined {
    return this.deps.shared;
  }

  /** Whether active health checks decide its hosts' health (run here, or followed from the primary). */
  get healthChecked(): boolean {
    return this.healthChecker !== undefined || this.followsHealth;
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
        const transport = this.transportFor(lbe.metadata);
        const sameTransport = !prior || (prior.transport ?? this.transport) === transport;
        const edsHealth = edsHealthOf(lbe.health_status);
        const hostname = lbe.endpoint?.hostname || undefined;
        if (prior && sameTransport && prior.weight === weight && prior.configPriority === group.priority) {
          prior.edsHealth = edsHealth;
          prior.hostname = hostname;
          next.push(prior);
          old.delete(key);
          continue;
        }
        // A host whose transport changed (its tlsMode label) gets a new pool; the old one drains below.
        const pool = prior && sameTransport ? prior.pool : this.hostPools(sa.address, Number(sa.port_value), transport);
        if (prior && sameTransport) old.delete(key);
        const host = new ProxyHost(sa.address, Number(sa.port_value), weight, locality, group.priority, pool, (h, s) => this.onResult(h, s));
        host.transport = transport;
        host.edsHealth = edsHealth;
        host.hostname = hostname;
        if (prior) host.monitor = prior.monitor;
        // Following the primary's checks: a host that stays keeps its verdict, a new one starts failed (as there).
        if (this.followsHealth) host.failedActiveHc = prior ? prior.failedActiveHc : true;
        next.push(host);
      }
    }
    // A host that left stops getting new requests (it is out of the balancer); the exchanges in
    // flight to it finish, its idle connections close now (Envoy drains a removed host's pools).
    for (const gone of old.values()) gone.pool.drain();
    this.hosts = next;
    this.healthChecker?.setHosts(next);
    this.outlier?.setMonitors(next.map((h) => h.monitor));
    this.rebuild(cla);
  }

  /** transport_socket_matches by the endpoint's metadata (counted as cluster.<name>.<match>.total_match_count). */
  private transportFor(metadata: Parameters<TransportSocketMatcher['select']>[0]): UpstreamTransport {
    if (!this.transportMatcher) return this.transport;
    const choice = this.transportMatcher.select(metadata);
    this.deps.stats.counter(`${choice.name}.total_match_count`).inc();
    return choice.transport;
  }

  /** A host's pools: DEFAULT ones on `resources`, HIGH-priority ones on `highResources` (Envoy keys pools by priority). */
  private hostPools(address: string, port: number, transport: UpstreamTransport): ConnPool {
    return createHostPools(this.poolProtocol, address, port, this.poolLimits, transport, this.highResources);
  }

  /** The circuit breakers of a routing priority. */
  resourcesOf(priority: RoutingPriority = 'DEFAULT'): ResourceManager {
    return priority === 'HIGH' ? this.highResources : this.resources;
  }

  chooseHost(choice: HostChoice): UpstreamHost | undefined {
    if (this.originalDst) return this.originalDst.get(choice.originalDestination);
    if (!this.hadTraffic) {
      this.hadTraffic = true;
      this.deps.onFirstTraffic?.(this.name);
    }
    return this.deps.lb.chooseHost({
      ...(choice.hash !== undefined ? { hash: choice.hash } : {}),
      ...(choice.previous ? { previousHosts: choice.previous as unknown as ReadonlySet<Host>, hostSelectionRetryMaxAttempts: choice.maxAttempts ?? 1 } : {}),
      random: choice.random,
    }) as ProxyHost | undefined;
  }

  tryStartRequest(priority?: RoutingPriority): boolean {
    return this.resourcesOf(priority).requests.tryAcquire();
  }

  finishRequest(priority?: RoutingPriority): void {
    this.resourcesOf(priority).requests.release();
  }

  tryStartRetry(priority?: RoutingPriority): boolean {
    return this.resourcesOf(priority).retries.tryAcquire();
  }

  finishRetry(priority?: RoutingPriority): void {
    this.resourcesOf(priority).retries.release();
  }

  tryStartConnection(): boolean {
    return this.resources.connections.tryAcquire();
  }

  finishConnection(): void {
    this.resources.connections.release();
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

  recordRequestTime(ms: number): void {
    (this.requestTime ??= this.deps.stats.histogram('upstream_rq_time', 'Milliseconds')).record(ms);
  }

  activeConnections(): number {
    return this.hosts.reduce((n, h) => n + h.pool.activeConnections(), 0);
  }

  /** upstream_cx_active and upstream_rq_active, which Envoy computes when stats are read; in the cluster's scope (alt_stat_name). */
  refreshGauges(): void {
    this.resources.refreshGauges();
    this.highResources.refreshGauges();
    this.deps.stats.gauge('upstream_cx_active').set(this.activeConnections());
    this.deps.stats.gauge('upstream_rq_active').set(this.hosts.reduce((n, h) => n + h.active, 0));
  }

  /** Closes every connection now, exchanges in flight included (shutdown). */
  close(): void {
    this.healthChecker?.close();
    this.outlier?.close();
    this.outlierReporter?.close();
    for (const h of this.hosts) h.pool.close();
    this.hosts = [];
    this.originalDst?.close();
    this.letGo();
  }

  /** The cluster was removed or replaced (CDS): no more health checks; exchanges in flight finish, idle connections close. */
  retire(): void {
    this.healthChecker?.close();
    this.outlier?.close();
    this.outlierReporter?.close();
    for (const h of this.hosts) h.pool.drain();
    this.originalDst?.close();
    this.letGo();
  }

  /** A worker: the primary's health check flipped this host. False when the host is not (or no longer) here. */
  applyHealthVerdict(address: string, port: number, failed: boolean): boolean {
    if (!this.followsHealth) return false;
    const host = this.hostAt(address, port);
    if (!host || host.failedActiveHc === failed) return false;
    host.failedActiveHc = failed;
    this.rebuild();
    return true;
  }

  /** The primary: a worker carried this cluster's first request, so its checks run at `interval` now. */
  markTraffic(): void {
    this.hadTraffic = true;
  }

  /** Its shared counts stay with the exchanges still in flight, counted locally; the slot is free for reuse. */
  private letGo(): void {
    if (this.gone) return;
    this.gone = true;
    this.resources.detach();
    this.highResources.detach();
    this.deps.onGone?.(this);
  }

  private updateMembership(): void {
    // Envoy's coarse health: a DEGRADED host is counted as degraded, not healthy.
    const usable = this.hosts.filter((h) => h.healthy);
    const degraded = usable.filter((h) => h.degraded).length;
    this.membershipTotal.set(this.hosts.length);
    this.membershipHealthy.set(usable.length - degraded);
    this.membershipDegraded.set(degraded);
  }

  private lastAssignment: ClusterLoadAssignment__Output | undefined;

  private rebuild(cla?: ClusterLoadAssignment__Output): void {
    if (cla) this.lastAssignment = cla;
    const weights = new Map<string, number>();
    for (const g of this.lastAssignment?.endpoints ?? []) {
      if (g.load_balancing_weight?.value) weights.set(`${g.priority}|${g.locality?.region ?? ''}/${g.locality?.zone ?? ''}/${g.locality?.sub_zone ?? ''}`, g.load_balancing_weight.value);
    }
    this.updateMembership();
    const factor = this.lastAssignment?.policy?.overprovisioning_factor?.value;
    const set: PrioritySet = prioritySetFromHosts(this.hosts, {
      ...(factor ? { overprovisioningFactor: factor } : {}),
      ...(this.config.common_lb_config?.locality_weighted_lb_config ? { localityWeight: (l: Locality, p: number) => weights.get(`${p}|${l.region}/${l.zone}/${l.subZone}`) } : {}),
    });
    this.deps.lb.update(set);
  }

  // Outlier detection (outlier-detection.ts): every exchange's result, for Envoy's detector (here, or the primary's).
  private onResult(host: ProxyHost, status: number): void {
    if (this.outlierReporter) this.outlierReporter.put(host.address, host.port, status);
    else this.outlier?.putResult(host.monitor, status);
  }

  /** The primary: a worker's results for this cluster's hosts, in the order it saw them. */
  applyOutlierResults(results: readonly OutlierRuns[]): void {
    const detector = this.outlier;
    if (!detector) return;
    for (const [address, port, runs] of results) {
      const host = this.hostAt(address, port);
      if (!host) continue;
      for (const [code, count] of runs) detector.putResults(host.monitor, code, count);
    }
  }

  /** A worker: the hosts the primary's detector has ejected now; every other host is back. */
  applyEjections(ejected: readonly (readonly [string, number])[]): void {
    if (!this.outlierReporter) return;
    const out = new Set(ejected.map(([a, p]) => `${a}:${p}`));
    let changed = false;
    for (const h of this.hosts) {
      const now = out.has(`${h.address}:${h.port}`);
      if (h.monitor.ejected !== now) {
        h.monitor.ejected = now;
        changed = true;
      }
    }
    if (changed) this.rebuild();
  }

  private hostAt(address: string, port: number): ProxyHost | undefined {
    return this.hosts.find((h) => h.address === address && h.port === port);
  }

  /** The hosts outlier detection has ejected (address, port). */
  ejectedHosts(): [string, number][] {
    return this.hosts.filter((h) => h.monitor.ejected).map((h) => [h.address, h.port]);
  }

  /** Whether the primary decides this instance's ejections. */
  get reportsOutliers(): boolean {
    return this.outlierReporter !== undefined;
  }
}
