// The composition root of weft-proxy: bootstrap → static clusters and listeners → ADS (CDS/EDS,
// LDS/RDS) → admin API. Server state follows Envoy: PRE_INITIALIZING → INITIALIZING → LIVE → DRAINING.
// With --concurrency N the same class plays a role: the primary (ADS + admin, binds no traffic
// listener) or a worker (traffic only; its "ADS client" is a relay fed by the primary over IPC).
// The drain (docs/components/proxy.md, "Drain"): listeners stop accepting, connections are asked to
// close, and the server shuts down once none is left or --drain-time-s has passed.
import { countNotEnforced } from '../config/not-enforced.js';
import type { Bootstrap__Output, Listener__Output, ProtoRegistry } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { AdsClient, type ResourceUpdate, type Verdict } from '@weft/xds';
import type { CompletedStream } from '../http/connection-manager.js';
import type { DrainStrategy } from '../listener/drain-strategy.js';
import { ListenerManager, type DrainListenersRequest } from '../listener/listener-manager.js';
import { defaultLoadBalancers } from '../load-balancer/registry.js';
import { RouteStore } from '../rds/route-store.js';
import { routeTableOptions } from '../extensions/filters/http/route-table-options.js';
import type { Counter, Histogram } from '../stats/stat-store.js';
import { StatStore } from '../stats/stat-store.js';
import { statStoreOptionsFromConfig } from '../stats/stats-config.js';
import { ClusterManager, type ClusterSlots, type HealthVerdict } from '../upstream/cluster-manager.js';
import type { OutlierRuns } from '../upstream/outlier-detection.js';
import { AdsSubscription } from '../xds/ads-subscription.js';
import { listenerSecretRefs } from '../sds/listener-secrets.js';
import { grpcTargetOf } from '../sds/sds-target.js';
import { SecretManager } from '../sds/secret-manager.js';
import { runtimeInteger, staticRuntime } from './runtime.js';
import { AdminServer, type ServerState } from './admin-server.js';
import { adminHandlers } from './admin-handlers.js';
import { ProxyListenerFactory } from './listener-factory.js';
import { createRoutedHashing } from './request-hash.js';

/** Where Envoy counts CDS and LDS updates (Envoy keeps RDS and EDS update stats per resource; not counted yet). */
const UPDATE_STAT_PREFIX: Readonly<Record<string, string>> = {
  'type.googleapis.com/envoy.config.cluster.v3.Cluster': 'cluster_manager.cds',
  'type.googleapis.com/envoy.config.listener.v3.Listener': 'listener_manager.lds',
};

export type ProxyRole = 'single' | 'primary' | 'worker';

/** The subset of AdsClient the subscription drives; a worker's relay implements it too. */
export interface AdsSource {
  subscribe: AdsClient['subscribe'];
  setNames: AdsClient['setNames'];
  start(): void;
  close(): void;
  on(event: 'update', listener: (update: ResourceUpdate, verdict: Verdict) => void): unknown;
}

/** What a primary's workers ask of it: its cluster view (health verdicts to replay) and a traffic notice. */
export interface FleetSource {
  healthVerdicts(): HealthVerdict[];
  markTraffic(cluster: string): void;
  /** The outlier detectors' current ejections, per cluster. */
  outlierStates(): { cluster: string; ejected: [string, number][] }[];
  applyOutlierResults(cluster: string, results: readonly OutlierRuns[]): void;
}

/** What a primary asks of its workers (server/worker-pool.ts provides it). */
export interface WorkerFleet {
  /** Hands an update the primary accepted to every worker, with each cluster's shared-counts slot (CDS). */
  publish(update: ResourceUpdate, slotOf?: (name: string) => number | undefined): void;
  /** Hands the primary's health check verdicts to every worker (they run no checks of their own). */
  publishHealth(verdicts: readonly HealthVerdict[]): void;
  /** Hands a cluster's current outlier ejections to every worker (they detect none of their own). */
  publishEjections(cluster: string, ejected: [string, number][]): void;
  attach(source: FleetSource): void;
  /** True once every worker confirmed it applied the initial config. */
  ready(): boolean;
  /** The primary's counters and gauges summed with every worker's. */
  mergedStats(own: StatStore): Promise<StatStore>;
  /** POST /drain_listeners, carried out by every worker (they own the listeners). */
  drainListeners(request: DrainListenersRequest): void;
}

export interface ProxyServerOptions {
  readonly bootstrap: Bootstrap__Output;
  readonly registry: ProtoRegistry;
  readonly logger: Logger;
  readonly drainTimeS: number;
  /** --drain-strategy (default immediate). */
  readonly drainStrategy?: DrainStrategy;
  /** Called when the admin API asks the process to quit. */
  readonly onQuit: () => void;
  /** Default 'single': one process does everything, as before --concurrency existed. */
  readonly role?: ProxyRole;
  /** Reported in server_info's command_line_options. */
  readonly concurrency?: number;
  /** Worker role: stands in for the ADS client (the primary hands it accepted updates). */
  readonly relay?: AdsSource;
  /** Primary role: the workers. */
  readonly workers?: WorkerFleet;
  /** --concurrency: the shared circuit-breaker slots (the primary's books, or a worker's offers). */
  readonly clusterSlots?: ClusterSlots;
  /** Worker role: a cluster carried its first request (the primary's health checks want to know). */
  readonly onFirstTraffic?: (cluster: string) => void;
  /** Worker role: results for the primary's outlier detectors. */
  readonly reportOutliers?: (cluster: string, results: OutlierRuns[]) => void;
  /** How often histograms close their interval (bootstrap stats_flush_interval; default 5 s). */
  readonly statsFlushMs?: number;
}

interface HttpStats {
  total: Counter;
  byClass: Map<number, Counter>;
  time: Histogram;
}

export class ProxyServer {
  readonly stats: StatStore;
  readonly clusters: ClusterManager;
  readonly routes: RouteStore;
  readonly listeners: ListenerManager;
  /** SDS: static, ADS and SDS-server secrets the TLS contexts watch. */
  readonly secrets: SecretManager;
  /** Static listeners waiting for their secrets (Envoy's listener warming). */
  private readonly warmingStatic = new Map<string, Listener__Output>();
  private staticWarmHooked = false;
  private readonly log: Logger;
  private state: ServerState = 'PRE_INITIALIZING';
  private admin: AdminServer | undefined;
  private ads: AdsSubscription | undefined;
  private adsClient: AdsClient | undefined;
  private readonly factory: ProxyListenerFactory;
  private readonly httpStats = new Map<string, HttpStats>();
  /** Primary role: the listeners it accepted (its workers bind them), for /config_dump. */
  private readonly acceptedListeners = new Map<string, Listener__Output>();
  readonly startedAt = Date.now();
  /** Set when the server drain starts: the latest moment the process serves connections. */
  private drainDeadline: number | undefined;
  private stopping: Promise<void> | undefined;
  private flushTimer: NodeJS.Timeout | undefined;
  healthCheckFailed = false;
  adminAddress: string | undefined;

  constructor(readonly options: ProxyServerOptions) {
    this.log = moduleLogger(options.logger, 'server');
    const statOptions = statStoreOptionsFromConfig(options.bootstrap.stats_config);
    this.stats = new StatStore(statOptions.value ?? {});
    const staticClusters = options.bootstrap.static_resources?.clusters ?? [];
    this.secrets = new SecretManager({
      registry: options.registry,
      logger: options.logger,
      stats: this.stats,
      node: options.bootstrap.node ?? { id: 'weft-proxy' },
      staticSecrets: options.bootstrap.static_resources?.secrets ?? [],
      clusterTarget: (name) => {
        const c = staticClusters.find((x) => x.name === name);
        return c ? grpcTargetOf(c) : undefined;
      },
    });
    const role = options.role ?? 'single';
    const workers = options.workers;
    this.clusters = new ClusterManager(options.registry, defaultLoadBalancers(), this.stats, options.logger, this.secrets, {
      ...(options.clusterSlots ? { slots: options.clusterSlots } : {}),
      // Envoy checks health once per process: the primary probes, its workers take the verdicts.
      health: role === 'worker' ? 'follow' : 'probe',
      ...(workers ? { onHealthVerdict: (cluster, h) => workers.publishHealth([{ cluster, address: h.address, port: h.port, failed: h.failedActiveHc }]) } : {}),
      ...(options.onFirstTraffic ? { onFirstTraffic: options.onFirstTraffic } : {}),
      // Outlier detection too runs once per process, in the primary; workers report and follow.
      ...(options.reportOutliers ? { reportOutliers: options.reportOutliers } : {}),
      ...(workers ? { onOutlierChange: (cluster, ejected) => workers.publishEjections(cluster, ejected) } : {}),
      countConfig: role !== 'worker',
      // Cluster filters (istio.metadata_exchange) send the node's metadata upstream.
      node: options.bootstrap.node ?? null,
    });
    workers?.attach({
      healthVerdicts: () => this.clusters.healthVerdicts(),
      markTraffic: (name) => this.clusters.markTraffic(name),
      outlierStates: () => this.clusters.outlierStates(),
      applyOutlierResults: (cluster, results) => this.clusters.applyOutlierResults(cluster, results),
    });
    this.routes = new RouteStore(routeTableOptions(options.registry));
    this.factory = new ProxyListenerFactory({
      registry: options.registry,
      secrets: this.secrets,
      clusters: this.clusters,
      routes: this.routes,
      hashing: createRoutedHashing(),
      logger: options.logger,
      onHttpComplete: (prefix, done) => this.recordHttp(prefix, done),
      stats: this.stats,
      countConfig: role !== 'worker',
      drain: { strategy: options.drainStrategy ?? 'immediate', timeMs: options.drainTimeS * 1000 },
      // The node's metadata travels in the peer metadata exchange (istio.metadata_exchange).
      node: options.bootstrap.node ?? null,
    });
    const runtime = staticRuntime(options.registry, options.bootstrap);
    const global = runtimeInteger(runtime, 'overload.global_downstream_max_connections');
    this.listeners = new ListenerManager(this.factory, options.logger, (name) => this.stats.counter(`listener.${name}.downstream_cx_total`).value++, {
      perListener: (name) => runtimeInteger(runtime, `envoy.resource_limits.listener.${name}.connection_limit`),
      ...(global !== undefined ? { global } : {}),
      onOverflow: (name, which) =>
        this.stats.counter(which === 'global' ? 'listener.global.downstream_global_cx_overflow' : `listener.${name}.downstream_cx_overflow`).value++,
    }, { timeMs: options.drainTimeS * 1000 });
  }

  get role(): ProxyRole {
    return this.options.role ?? 'single';
  }

  currentState(): ServerState {
    // The primary is LIVE only when every worker has applied the initial config too.
    if (this.state === 'LIVE' && this.options.workers && !this.options.workers.ready()) return 'INITIALIZING';
    return this.state;
  }

  /** Static resources, the admin API, then ADS. Resolves once the admin API listens. */
  async start(): Promise<void> {
    const b = this.options.bootstrap;
    // Envoy's stats flush: histograms close their interval (the "interval" quantiles of /stats).
    this.flushTimer = setInterval(() => this.stats.mergeHistograms(), this.options.statsFlushMs ?? 5000);
    this.flushTimer.unref();
    const staticClusters = b.static_resources?.clusters ?? [];
    const problem = this.clusters.validate(staticClusters);
    if (problem) throw new Error(`static clusters: ${problem}`);
    for (const c of staticClusters) this.clusters.addStatic(c);
    for (const l of b.static_resources?.listeners ?? []) {
      const checked = this.factory.check(l);
      if (!checked.value) throw new Error(checked.errors.map((e) => `${e.path}: ${e.message}`).join('\n'));
      if (this.role !== 'primary') await this.addStaticListener(l);
    }
    const adminSa = b.admin?.address?.socket_address;
    if (adminSa && this.role !== 'worker') {
      this.admin = new AdminServer(adminHandlers(this));
      this.adminAddress = await this.admin.listen(adminSa.address || '127.0.0.1', Number(adminSa.port_value));
      this.log.info({ address: this.adminAddress }, 'admin listening');
    }
    this.stats.gauge('server.live').set(0);
    const ads = b.dynamic_resources?.ads_config;
    if (!ads) {
      this.goLive();
      return;
    }
    this.state = 'INITIALIZING';
    const client = this.options.relay ?? this.createAdsClient(ads);
    const initial = new Set<string>();
    let goingLive = false;
    client.on('update', (u, verdict) => {
      this.countUpdate(u.typeUrl, verdict.accepted);
      if (!verdict.accepted) return;
      this.options.workers?.publish(u, (name) => this.clusters.slotOf(name));
      initial.add(u.typeUrl);
      if (this.state !== 'INITIALIZING' || goingLive) return;
      if (!initial.has('type.googleapis.com/envoy.config.cluster.v3.Cluster') || !initial.has('type.googleapis.com/envoy.config.listener.v3.Listener')) return;
      // As Envoy: LIVE once the initial listeners are warm (their routes in, or their initial fetch
      // timeout passed) and bound, so /ready never answers 200 before the ports accept connections.
      goingLive = true;
      void this.ads?.whenListenersActive().then(() => {
        if (this.state === 'INITIALIZING') this.goLive();
      });
    });
    this.ads = new AdsSubscription({
      // A worker's relay has the same shape; the subscription only calls these methods.
      client: client as AdsClient,
      logger: this.options.logger,
      targets: {
        clusters: { apply: (added, removed) => this.clusters.apply(added, removed), edsNames: () => this.clusters.edsNames(), warming: () => this.clusters.warming().length > 0 },
        endpoints: { apply: (list) => this.clusters.applyAssignments(list) },
        listeners: {
          validate: (list) => {
            const errors = list.flatMap((l) => this.factory.check(l).errors.map((e) => `${e.path}: ${e.message}`));
            return errors.length > 0 ? errors.join('\n') : undefined;
          },
          // The primary validates and tracks but binds nothing: its workers serve the traffic.
          activate: (l) => (this.role === 'primary' ? Promise.resolve(void this.acceptedListeners.set(l.name, l)) : this.listeners.addOrUpdate(l)),
          remove: (name) => (this.role === 'primary' ? void this.acceptedListeners.delete(name) : this.listeners.remove(name)),
          routeNames: (l) => this.routeNamesOf(l),
        },
        routes: { apply: (added, removed) => this.applyRoutes(added, removed), has: (n) => this.routes.has(n) },
        secrets: {
          apply: (list) => this.secrets.applyAds(list),
          names: () => this.secrets.adsNames(),
          onNames: (l) => this.secrets.onAdsNames(l),
          onWarm: (l) => this.secrets.onWarm(l),
          listenerWarm: (l) => this.secrets.warmed(listenerSecretRefs(l, (a) => this.options.registry.unpack(a))),
        },
      },
    });
    this.ads.start();
  }

  /**
   * A static listener whose filter chains name SDS secrets warms (is not bound) until they are in or
   * their initial fetch timeout passed, as Envoy's listener warming; others are bound now.
   */
  private async addStaticListener(l: Listener__Output): Promise<void> {
    const refs = listenerSecretRefs(l, (a) => this.options.registry.unpack(a));
    if (this.secrets.warmed(refs)) return this.listeners.addOrUpdate(l);
    this.warmingStatic.set(l.name, l);
    this.log.info({ listener: l.name, secrets: refs.map((r) => r.name) }, 'listener warming: waiting for its secrets');
    if (!this.staticWarmHooked) {
      this.staticWarmHooked = true;
      this.secrets.onWarm(() => {
        for (const [name, w] of [...this.warmingStatic]) {
          if (!this.secrets.warmed(listenerSecretRefs(w, (a) => this.options.registry.unpack(a)))) continue;
          this.warmingStatic.delete(name);
          this.listeners.addOrUpdate(w).catch((e: unknown) => this.log.error({ err: e, listener: name }, 'listener could not be activated'));
        }
      });
    }
  }

  private createAdsClient(ads: NonNullable<NonNullable<Bootstrap__Output['dynamic_resources']>['ads_config']>): AdsClient {
    const b = this.options.bootstrap;
    const xdsCluster = ads.grpc_services?.[0]?.envoy_grpc?.cluster_name ?? '';
    const host = this.clusters.get(xdsCluster)?.allHosts()[0];
    if (!host) throw new Error(`ADS cluster ${xdsCluster} has no endpoint`);
    this.adsClient = new AdsClient({
      target: `${host.address}:${host.port}`,
      node: b.node ?? { id: 'weft-proxy' },
      protocol: ads.api_type === 'DELTA_GRPC' ? 'delta' : 'sotw',
      registry: this.options.registry,
      logger: this.options.logger,
    });
    return this.adsClient;
  }

  /**
   * Starts the server drain (SIGTERM, SIGINT, /quitquitquit; idempotent): state DRAINING, every
   * listener stops accepting, every connection is asked to close. xDS keeps applying meanwhile, so
   * endpoint changes still reach the requests being finished.
   */
  startDrain(): void {
    if (this.drainDeadline !== undefined) return;
    this.drainDeadline = Date.now() + this.options.drainTimeS * 1000;
    this.setDraining();
    this.listeners.shutdown();
    this.log.info({ drainTimeS: this.options.drainTimeS, connections: this.listeners.openConnections() }, 'draining');
  }

  /**
   * The drain, then shutdown: resolves once no downstream connection is left, or when the drain
   * time (from startDrain) is over, after closing what remains; then xDS, the pools and admin close.
   */
  stop(): Promise<void> {
    return (this.stopping ??= this.shutdown());
  }

  private async shutdown(): Promise<void> {
    this.startDrain();
    const idle = await this.listeners.whenIdle((this.drainDeadline ?? 0) - Date.now());
    if (idle) this.log.info('no downstream connection left');
    else this.log.warn({ connections: this.listeners.closeAllConnections() }, 'drain time is over; closing the connections left');
    this.ads?.stop();
    clearInterval(this.flushTimer);
    this.clusters.close();
    this.secrets.close();
    await this.admin?.close();
  }

  /** The active listener configs (a primary's: those its workers were handed). */
  listenerConfigs(): Listener__Output[] {
    return this.role === 'primary' ? [...this.acceptedListeners.values()] : this.listeners.configs();
  }

  /** POST /drain_listeners: drains (or stops) the listeners in scope; the process keeps running. */
  drainListeners(request: DrainListenersRequest): void {
    this.setDraining();
    if (this.options.workers) this.options.workers.drainListeners(request);
    else this.listeners.drainListeners(request);
  }

  private setDraining(): void {
    this.state = 'DRAINING';
    this.stats.gauge('server.live').set(0);
  }

  adsState(): { connected: boolean } {
    return { connected: this.adsClient !== undefined };
  }

  /**
   * Envoy's xDS update stats (`cluster_manager.cds.*`, `listener_manager.lds.*`, and per-type
   * `update_attempt`/`update_success`/`update_rejected`), which pilot-agent's readiness reads.
   */
  private countUpdate(typeUrl: string, accepted: boolean): void {
    // A worker applies what its primary accepted; the primary counts the updates.
    if (this.role === 'worker') return;
    const prefix = UPDATE_STAT_PREFIX[typeUrl];
    if (!prefix) return;
    this.stats.counter(`${prefix}.update_attempt`).value++;
    this.stats.counter(`${prefix}.${accepted ? 'update_success' : 'update_rejected'}`).value++;
  }

  private goLive(): void {
    this.state = 'LIVE';
    this.stats.gauge('server.live').set(1);
    this.log.info('server is LIVE');
  }

  /** An RDS update: applied (or refused whole); its accepted-not-enforced fields are logged and counted. */
  private applyRoutes(added: Parameters<RouteStore['apply']>[0], removed: readonly string[]): string | undefined {
    const error = this.routes.apply(added, removed);
    if (error === undefined) {
      for (const w of this.routes.warnings) this.log.warn(w);
      if (this.role !== 'worker') countNotEnforced(this.stats, this.routes.warnings);
    }
    return error;
  }

  private routeNamesOf(l: { filter_chains?: readonly { filters?: readonly { typed_config?: { type_url: string; value: Uint8Array } | null }[] }[] }): string[] {
    const names: string[] = [];
    for (const fc of l.filter_chains ?? []) {
      for (const f of fc.filters ?? []) {
        if (f.typed_config?.type_url !== 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager') continue;
        const hcm = this.options.registry.unpack<{ route_specifier?: string; rds?: { route_config_name: string } | null }>(f.typed_config);
        if (hcm.route_specifier === 'rds' && hcm.rds) names.push(hcm.rds.route_config_name);
      }
    }
    return names;
  }

  /**
   * Gauges Envoy computes when stats are read rather than on every request: per cluster
   * upstream_cx_active / upstream_rq_active, and the server.* gauges.
   */
  refreshGauges(): void {
    for (const c of this.clusters.all()) c.refreshGauges();
    const state = { LIVE: 0, DRAINING: 1, PRE_INITIALIZING: 2, INITIALIZING: 3 }[this.state];
    this.stats.gauge('server.state', 'NeverImport').set(state);
    this.stats.gauge('server.uptime', 'NeverImport').set(Math.floor((Date.now() - this.startedAt) / 1000));
    this.stats.gauge('server.memory_allocated', 'NeverImport').set(process.memoryUsage().heapUsed);
    this.stats.gauge('server.memory_heap_size', 'NeverImport').set(process.memoryUsage().heapTotal);
    this.stats.gauge('server.total_connections').set(this.listeners.openConnections());
    this.stats.gauge('listener_manager.total_listeners_draining').set(this.listeners.drainingListeners());
    this.stats.gauge('listener_manager.total_listeners_warming').set(this.warmingStatic.size + (this.ads?.warmingListeners() ?? 0));
  }

  private recordHttp(prefix: string, done: CompletedStream): void {
    let s = this.httpStats.get(prefix);
    if (!s) {
      const total = this.stats.counter(`http.${prefix}.downstream_rq_total`);
      this.httpStats.set(prefix, (s = { total, byClass: new Map(), time: this.stats.histogram(`http.${prefix}.downstream_rq_time`, 'Milliseconds') }));
    }
    s.total.value++;
    s.time.record(done.durationMs);
    const klass = Math.floor(done.status / 100);
    let c = s.byClass.get(klass);
    if (!c) s.byClass.set(klass, (c = this.stats.counter(`http.${prefix}.downstream_rq_${klass}xx`)));
    c.value++;
  }
}
