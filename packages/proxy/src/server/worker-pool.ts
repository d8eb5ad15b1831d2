// The primary's side of --concurrency N: forks N worker processes with node:cluster, hands them every
// xDS update the primary accepted (replaying the current config to a worker that restarts), sums
// their stats for the admin API, re-forks a crashed worker with backoff and drains them on shutdown.
//
// Scheduling: cluster.SCHED_NONE (set by the caller before the first fork) lets the kernel hand each
// accepted connection to whichever worker is waiting in accept(), as Envoy's workers share a listen
// socket; round-robin in the primary (SCHED_RR) would put every connection through the primary first.
import cluster, { type Worker } from 'node:cluster';
import { TypeUrl, type ProtoRegistry } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import type { DrainListenersRequest } from '../listener/listener-manager.js';
import { Backoff, type DecodedResource, type ResourceUpdate } from '@weft/xds';
import { StatStore, type StatStoreOptions } from '../stats/stat-store.js';
import { encodeUpdate, histogramStatistics, type StatsSnapshot, type ToPrimary, type ToWorker } from './ipc.js';
import type { FleetSource, WorkerFleet } from './proxy-server.js';
import type { HealthVerdict } from '../upstream/cluster-manager.js';
import type { PrimarySlots } from './cluster-slots.js';

/** Env var telling a forked worker its slot (0..N-1), stable across re-forks: per-worker stat names use it. */
export const WORKER_SLOT_ENV = 'WEFT_PROXY_WORKER_SLOT';
/** Env vars telling a worker where the shared counts are: the inherited descriptor, and how many workers share it. */
export const SHARED_FD_ENV = 'WEFT_PROXY_SHARED_FD';
export const WORKER_COUNT_ENV = 'WEFT_PROXY_WORKERS';
/** The worker's descriptor of the shared region: the stdio entry after 'ipc'. */
const SHARED_FD = 4;

/** Replay order for a restarted worker: clusters before the endpoints and listeners that use them. */
const REPLAY_ORDER = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration, TypeUrl.Listener];
const INITIAL = [TypeUrl.Cluster, TypeUrl.Listener];
/** A worker that stayed up this long resets its slot's backoff. */
const STABLE_MS = 30_000;
/** After the drain time, how long a worker has to close what is left and exit before it is killed. */
const EXIT_GRACE_MS = 5_000;

export interface WorkerPoolOptions {
  readonly count: number;
  readonly registry: ProtoRegistry;
  readonly logger: Logger;
  readonly statOptions: StatStoreOptions;
  /** Whether workers must confirm initial CDS and LDS before the proxy is ready (ADS configured). */
  readonly needsXds: boolean;
  /** A worker still running this long after the drain began (plus a short grace) is killed. */
  readonly drainTimeS: number;
  /** How long /stats waits for a worker's snapshot (default 1000 ms); a late worker is left out. */
  readonly statsTimeoutMs?: number;
  /** The shared circuit-breaker counts: the region's descriptor (handed to every worker) and the slot books. */
  readonly shared?: { readonly fd: number; readonly slots: PrimarySlots };
}

interface Slot {
  readonly index: number;
  worker: Worker | undefined;
  started: boolean;
  applied: Set<string>;
  forkedAt: number;
  backoff: Backoff;
  timer: NodeJS.Timeout | undefined;
}

export class WorkerPool implements WorkerFleet {
  private readonly log: Logger;
  private readonly slots: Slot[] = [];
  /** The accepted config by type URL, then resource name: what a restarted worker is given. */
  private readonly accepted = new Map<string, { version: string; resources: Map<string, DecodedResource> }>();
  private readonly statsWaiters = new Map<number, (s: StatsSnapshot) => void>();
  private nextStatsId = 1;
  private stopping = false;
  /** The last /drain_listeners, repeated to a worker that is re-forked afterwards. */
  private listenersDrain: DrainListenersRequest | undefined;
  /** The shared-counts slot of each accepted cluster, as last handed to the workers. */
  private readonly clusterSlots = new Map<string, number>();
  private source: FleetSource | undefined;

  constructor(private readonly options: WorkerPoolOptions) {
    this.log = moduleLogger(options.logger, 'server.workers');
  }

  attach(source: FleetSource): void {
    this.source = source;
  }

  start(): void {
    const shared = this.options.shared;
    // The region's descriptor becomes the worker's fd 4 (after stdin, stdout, stderr and the IPC channel).
    if (shared) cluster.setupPrimary({ stdio: ['inherit', 'inherit', 'inherit', 'ipc', shared.fd] });
    for (let i = 0; i < this.options.count; i++) {
      const slot: Slot = { index: i, worker: undefined, started: false, applied: new Set(), forkedAt: 0, backoff: new Backoff({ initialMs: 100, maxMs: 10_000 }), timer: undefined };
      this.slots.push(slot);
      this.fork(slot, i);
    }
  }

  publish(update: ResourceUpdate, slotOf?: (name: string) => number | undefined): void {
    let state = this.accepted.get(update.typeUrl);
    if (!state) this.accepted.set(update.typeUrl, (state = { version: update.version, resources: new Map() }));
    state.version = update.version;
    for (const name of update.removed) state.resources.delete(name);
    for (const r of update.resources) state.resources.set(r.name, r);
    if (update.typeUrl === TypeUrl.Cluster) {
      for (const name of update.removed) this.clusterSlots.delete(name);
      for (const r of update.resources) {
        const n = slotOf?.(r.name);
        if (n === undefined) this.clusterSlots.delete(r.name);
        else this.clusterSlots.set(r.name, n);
      }
    }
    const message = encodeUpdate(this.options.registry, update, update.resources, (name) => this.clusterSlots.get(name));
    for (const slot of this.slots) if (slot.started) this.sendXds(slot, message);
  }

  publishEjections(cluster: string, ejected: [string, number][]): void {
    for (const slot of this.slots) if (slot.started) this.send(slot, { kind: 'ejections', cluster, ejected });
  }

  publishHealth(verdicts: readonly HealthVerdict[]): void {
    if (verdicts.length === 0) return;
    for (const slot of this.slots) if (slot.started) this.send(slot, { kind: 'health', verdicts });
  }

  ready(): boolean {
    return this.slots.every((s) => s.started && (!this.options.needsXds || INITIAL.every((t) => s.applied.has(t))));
  }

  async mergedStats(own: StatStore): Promise<StatStore> {
    const merged = new StatStore(this.options.statOptions);
    for (const c of own.counters()) merged.counter(c.name).add(c.value);
    for (const g of own.gauges()) merged.gauge(g.name, g.importMode).set(g.value);
    const snapshots = await Promise.all(this.slots.map((s) => this.requestStats(s)));
    for (const h of own.histograms()) merged.histogram(h.name, h.unit).absorb(h.cumulative(), h.intervalStatistics());
    snapshots.forEach((snap, index) => {
      if (!snap) return;
      for (const h of snap.histograms) {
        if (!merged.histogram(h.name, h.unit).absorb(histogramStatistics(h.cumulative), h.interval ? histogramStatistics(h.interval) : undefined)) {
          this.log.warn({ histogram: h.name, worker: index }, 'a worker histogram has other bucket bounds; left out of /stats');
        }
      }
      for (const [name, value] of snap.counters) {
        merged.counter(name).add(value);
        // Envoy's per-worker listener stat, so an operator can see how connections spread.
        const m = /^listener\.(.+)\.downstream_cx_total$/.exec(name);
        if (m) merged.counter(`listener.${m[1]}.worker_${index}.downstream_cx_total`).add(value);
      }
      // Server state gauges (server.live, …) are the primary's own; the rest sum by import mode.
      for (const [name, value, mode] of snap.gauges) {
        if (mode !== 'Accumulate' || name.startsWith('server.')) continue;
        const g = merged.gauge(name, mode);
        g.set(g.value + value);
      }
    });
    return merged;
  }

  drainListeners(request: DrainListenersRequest): void {
    this.listenersDrain = request;
    for (const slot of this.slots) if (slot.started) this.send(slot, { kind: 'drain_listeners', ...request });
  }

  /**
   * Tells every worker to drain and exit; resolves as soon as all have exited: each exits once its
   * last connection closed, or at the drain time; one still running after it (plus a grace) is killed.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    const exits: Promise<void>[] = [];
    for (const slot of this.slots) {
      clearTimeout(slot.timer);
      const w = slot.worker;
      if (!w || w.isDead()) continue;
      exits.push(new Promise<void>((resolve) => w.once('exit', () => resolve())));
      this.send(slot, { kind: 'drain' });
    }
    const limit = setTimeout(() => {
      for (const s of this.slots) {
        if (!s.worker || s.worker.isDead()) continue;
        this.log.error({ pid: s.worker.process.pid }, 'worker did not exit after the drain time; killing it');
        // The process itself: Worker.kill() would disconnect first and wait on the worker.
        s.worker.process.kill('SIGKILL');
      }
    }, this.options.drainTimeS * 1000 + EXIT_GRACE_MS);
    await Promise.all(exits);
    clearTimeout(limit);
  }

  private fork(slot: Slot, index: number): void {
    const worker = cluster.fork({
      [WORKER_SLOT_ENV]: String(index),
      ...(this.options.shared ? { [SHARED_FD_ENV]: String(SHARED_FD), [WORKER_COUNT_ENV]: String(this.options.count) } : {}),
    });
    Object.assign(slot, { worker, started: false, applied: new Set<string>(), forkedAt: Date.now(), timer: undefined });
    this.log.info({ worker: index, pid: worker.process.pid }, 'worker started');
    worker.on('message', (m: ToPrimary) => this.onMessage(slot, m));
    worker.on('exit', (code, signal) => this.onExit(slot, index, worker, code, signal));
  }

  private onMessage(slot: Slot, m: ToPrimary): void {
    switch (m.kind) {
      case 'started':
        slot.started = true;
        for (const typeUrl of REPLAY_ORDER) {
          const state = this.accepted.get(typeUrl);
          if (state) this.sendXds(slot, encodeUpdate(this.options.registry, { typeUrl, version: state.version, removed: [] }, state.resources.values(), (name) => this.clusterSlots.get(name)));
        }
        // After the endpoints: the hosts the verdicts name exist by then.
        this.publishHealthTo(slot);
        if (this.listenersDrain) this.send(slot, { kind: 'drain_listeners', ...this.listenersDrain });
        return;
      case 'applied':
        if (m.accepted) slot.applied.add(m.typeUrl);
        return;
      case 'stats':
        this.statsWaiters.get(m.id)?.(m);
        return;
      case 'slot_released':
        this.options.shared?.slots.released(m.slot, slot.index);
        return;
      case 'traffic':
        this.source?.markTraffic(m.cluster);
        return;
      case 'outlier':
        this.source?.applyOutlierResults(m.cluster, m.results);
        return;
    }
  }

  /** A worker that starts over: the health verdicts and outlier ejections decided so far. */
  private publishHealthTo(slot: Slot): void {
    const verdicts = this.source?.healthVerdicts() ?? [];
    if (verdicts.length > 0) this.send(slot, { kind: 'health', verdicts });
    for (const { cluster, ejected } of this.source?.outlierStates() ?? []) if (ejected.length > 0) this.send(slot, { kind: 'ejections', cluster, ejected });
  }

  /** An xDS message; the slots it hands over are the worker's until it lets them go. */
  private sendXds(slot: Slot, m: Extract<ToWorker, { kind: 'xds' }>): void {
    const books = this.options.shared?.slots;
    if (books) for (const [, n] of m.slots ?? []) books.given(n, slot.index);
    this.send(slot, m);
  }

  private onExit(slot: Slot, index: number, worker: Worker, code: number | null, signal: string | null): void {
    if (slot.worker !== worker) return;
    slot.worker = undefined;
    slot.started = false;
    // Its requests and connections are gone with it: so are its units of the shared counts.
    this.options.shared?.slots.workerGone(index);
    if (this.stopping) return;
    if (Date.now() - slot.forkedAt > STABLE_MS) slot.backoff.reset();
    const delay = slot.backoff.next();
    this.log.error({ worker: index, pid: worker.process.pid, code, signal, restartInMs: delay }, 'worker exited; re-forking');
    slot.timer = setTimeout(() => this.fork(slot, index), delay);
  }

  private requestStats(slot: Slot): Promise<StatsSnapshot | undefined> {
    if (!slot.worker || !slot.started) return Promise.resolve(undefined);
    const id = this.nextStatsId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.statsWaiters.delete(id);
        resolve(undefined);
      }, this.options.statsTimeoutMs ?? 1000);
      this.statsWaiters.set(id, (s) => {
        clearTimeout(timer);
        this.statsWaiters.delete(id);
        resolve(s);
      });
      this.send(slot, { kind: 'stats', id });
    });
  }

  private send(slot: Slot, m: ToWorker): void {
    const w = slot.worker;
    if (!w || w.isDead() || !w.isConnected()) return;
    w.send(m, (e: Error | null) => {
      if (e) this.log.warn({ err: e, kind: m.kind }, 'could not reach a worker');
    });
  }
}
