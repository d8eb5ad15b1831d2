// Wires the ADS client to the proxy's managers: CDS (wildcard) then EDS for the EDS clusters, LDS
// (wildcard) then RDS for the route configs the listeners name. Each handler validates first and
// applies only on success, so a NACKed update leaves the last good config in force. Listeners warm:
// a listener waits for its route configs and for warming clusters (up to the initial fetch timeout),
// and for the SDS secrets its filter chains name (until they arrive or their own initial_fetch_timeout
// passes). Secrets are also fetched over this stream, by name, for contexts with `sds_config: { ads: {} }`.
import { TypeUrl, type Cluster__Output, type ClusterLoadAssignment__Output, type Listener__Output, type RouteConfiguration__Output } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import { accept, reject, type AdsClient, type ResourceUpdate, type Verdict } from '@weft/xds';

/** What the subscription drives; each `apply` returns an error message to NACK with, or undefined. */
export interface XdsTargets {
  clusters: {
    apply(added: readonly Cluster__Output[], removed: readonly string[]): string | undefined;
    /** EDS service names of the current EDS clusters. */
    edsNames(): string[];
    /** True while a cluster waits for its first endpoints (listeners wait for warm clusters). */
    warming(): boolean;
  };
  endpoints: { apply(assignments: readonly ClusterLoadAssignment__Output[]): string | undefined };
  listeners: {
    validate(listeners: readonly Listener__Output[]): string | undefined;
    /** Binds or replaces one listener; rejects when it cannot bind. */
    activate(listener: Listener__Output): Promise<void>;
    remove(name: string): void;
    /** RDS names a listener's connection managers read. */
    routeNames(listener: Listener__Output): string[];
  };
  routes: {
    apply(added: readonly RouteConfiguration__Output[], removed: readonly string[]): string | undefined;
    has(name: string): boolean;
  };
  /** SDS over ADS, and the secrets listeners warm for; absent: no Secret subscription. */
  secrets?: {
    apply(secrets: ReadonlyArray<{ readonly name: string; readonly value: Record<string, unknown> }>): string | undefined;
    /** The names TLS contexts ask for over ADS. */
    names(): string[];
    onNames(listener: (names: string[]) => void): void;
    /** Called when a secret arrives or times out. */
    onWarm(listener: () => void): void;
    /** Whether every secret the listener's chains name is in (or timed out). */
    listenerWarm(listener: Listener__Output): boolean;
  };
}

export interface AdsSubscriptionOptions {
  readonly client: AdsClient;
  readonly targets: XdsTargets;
  readonly logger: Logger;
  /** Envoy's initial_fetch_timeout: how long a listener waits for its routes (default 15 s). */
  readonly initialFetchTimeoutMs?: number;
}

export class AdsSubscription {
  private readonly log: Logger;
  /** Warming listeners; `timedOut`: their routes/clusters wait is over (secrets have their own timeout). */
  private readonly pending = new Map<string, { listener: Listener__Output; timer: NodeJS.Timeout; timedOut: boolean }>();
  private lastRouteNames: string[] = [];
  private lastEdsNames: string[] = [];
  /** Listener activations (binds) under way. */
  private activating = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly options: AdsSubscriptionOptions) {
    this.log = moduleLogger(options.logger, 'xds.subscription');
  }

  start(): void {
    const c = this.options.client;
    c.subscribe(TypeUrl.Cluster, (u) => this.onClusters(u), '*');
    c.subscribe(TypeUrl.ClusterLoadAssignment, (u) => this.onEndpoints(u), []);
    c.subscribe(TypeUrl.Listener, (u) => this.onListeners(u), '*');
    c.subscribe(TypeUrl.RouteConfiguration, (u) => this.onRoutes(u), []);
    const secrets = this.options.targets.secrets;
    if (secrets) {
      c.subscribe(TypeUrl.Secret, (u) => this.onSecrets(u), secrets.names());
      secrets.onNames((names) => c.setNames(TypeUrl.Secret, names));
      secrets.onWarm(() => this.activateReady());
    }
    c.start();
  }

  /** Listeners waiting for routes, warming clusters or secrets (listener_manager.total_listeners_warming). */
  warmingListeners(): number {
    return this.pending.size;
  }

  /**
   * Resolves once no listener is warming and every activation (bind) has finished: Envoy's server
   * leaves INITIALIZING only when the listeners of the initial LDS response are warm.
   */
  whenListenersActive(): Promise<void> {
    if (this.pending.size === 0 && this.activating === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private checkIdle(): void {
    if (this.pending.size > 0 || this.activating > 0) return;
    for (const w of this.idleWaiters.splice(0)) w();
  }

  stop(): void {
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
    this.options.client.close();
  }

  private values<T>(u: ResourceUpdate): T[] {
    return u.resources.map((r) => r.value as T);
  }

  private onClusters(u: ResourceUpdate): Verdict {
    const error = this.options.targets.clusters.apply(this.values<Cluster__Output>(u), u.removed);
    if (error) return reject(error);
    const names = this.options.targets.clusters.edsNames().sort();
    if (names.join('\n') !== this.lastEdsNames.join('\n')) {
      this.lastEdsNames = names;
      this.options.client.setNames(TypeUrl.ClusterLoadAssignment, names);
    }
    return accept();
  }

  private onEndpoints(u: ResourceUpdate): Verdict {
    const error = this.options.targets.endpoints.apply(this.values<ClusterLoadAssignment__Output>(u));
    if (error) return reject(error);
    this.activateReady();
    return accept();
  }

  private onSecrets(u: ResourceUpdate): Verdict {
    const error = this.options.targets.secrets?.apply(u.resources.map((r) => ({ name: r.name, value: r.value })));
    if (error) return reject(error);
    return accept();
  }

  /**
   * A listener is ready when its secrets are in (or timed out) and, unless its initial fetch timeout
   * passed, its route configs are here and no cluster is still warming.
   */
  private ready(listener: Listener__Output, timedOut = false): boolean {
    if (this.options.targets.secrets && !this.options.targets.secrets.listenerWarm(listener)) return false;
    if (timedOut) return true;
    return !this.options.targets.clusters.warming() && this.options.targets.listeners.routeNames(listener).every((r) => this.options.targets.routes.has(r));
  }

  private activateReady(): void {
    for (const [name, p] of [...this.pending]) {
      if (!this.ready(p.listener, p.timedOut)) continue;
      this.cancelPending(name);
      void this.activate(p.listener);
    }
  }

  private onListeners(u: ResourceUpdate): Verdict {
    const t = this.options.targets.listeners;
    const listeners = this.values<Listener__Output>(u);
    const error = t.validate(listeners);
    if (error) return reject(error);
    for (const name of u.removed) {
      this.cancelPending(name);
      t.remove(name);
    }
    const routeNames = new Set<string>();
    for (const l of listeners) for (const r of t.routeNames(l)) routeNames.add(r);
    for (const l of listeners) {
      this.cancelPending(l.name);
      const missing = t.routeNames(l).filter((r) => !this.options.targets.routes.has(r));
      if (this.ready(l)) void this.activate(l);
      else {
        const entry = { listener: l, timer: undefined as unknown as NodeJS.Timeout, timedOut: false };
        entry.timer = setTimeout(() => {
          entry.timedOut = true;
          if (!this.ready(l, true)) return; // still waiting for a secret (it has its own timeout)
          this.log.warn({ listener: l.name, missingRoutes: missing, clustersWarming: this.options.targets.clusters.warming() }, 'routes or cluster endpoints did not arrive in time; activating the listener anyway');
          this.pending.delete(l.name);
          void this.activate(l);
        }, this.options.initialFetchTimeoutMs ?? 15_000);
        this.pending.set(l.name, entry);
      }
    }
    // Keep route configs of listeners that are still there (SotW LDS is the full set).
    const names = [...routeNames].sort();
    if (names.join('\n') !== this.lastRouteNames.join('\n')) {
      this.lastRouteNames = names;
      this.options.client.setNames(TypeUrl.RouteConfiguration, names);
    }
    return accept();
  }

  private onRoutes(u: ResourceUpdate): Verdict {
    const error = this.options.targets.routes.apply(this.values<RouteConfiguration__Output>(u), u.removed);
    if (error) return reject(error);
    this.activateReady();
    return accept();
  }

  private cancelPending(name: string): void {
    const p = this.pending.get(name);
    if (p) clearTimeout(p.timer);
    // A warming listener removed (or replaced) no longer holds initialization back.
    if (this.pending.delete(name)) queueMicrotask(() => this.checkIdle());
  }

  private async activate(l: Listener__Output): Promise<void> {
    this.activating++;
    try {
      await this.options.targets.listeners.activate(l);
    } catch (e) {
      this.log.error({ err: e, listener: l.name }, 'listener could not be activated');
    } finally {
      this.activating--;
      this.checkIdle();
    }
  }
}
