// LinearCache: one resource type (typically EDS) for the whole fleet, with per-resource versions.
// A change to one resource answers only the watches that name it (and wildcard watches).
import { moduleLogger, silentLogger, type Logger } from '@weft/base';
import { deltaAnswer, hasNewNames, selectResources } from './answer.js';
import type {
  CancelWatch,
  ConfigWatcher,
  DeltaConfigWatcher,
  DeltaResponse,
  DeltaWatchState,
  SotwResponse,
  SotwWatchState,
  WatchRequest,
} from './config-watcher.js';
import { NO_WATCH } from './config-watcher.js';
import { XdsErrors } from './errors.js';
import type { Resource } from './resource.js';
import { isInterested } from './subscription.js';

export interface LinearCacheOptions {
  typeUrl: string;
  /** Prefix of the cache-wide version string (`<prefix><counter>`), so restarts are distinguishable. */
  versionPrefix?: string;
  initial?: readonly Resource[];
  logger?: Logger;
}

interface Entry {
  readonly resource: Resource;
  /** The cache counter at the last change of this resource. */
  readonly changedAt: number;
}

interface SotwWatch {
  readonly state: SotwWatchState;
  readonly respond: (r: SotwResponse) => void;
}

interface DeltaWatch {
  readonly state: DeltaWatchState;
  readonly respond: (r: DeltaResponse) => void;
}

export class LinearCache implements ConfigWatcher, DeltaConfigWatcher {
  readonly typeUrl: string;
  private readonly prefix: string;
  private readonly log: Logger;
  private counter = 0;
  private readonly entries = new Map<string, Entry>();
  /**
   * The same resources by name, kept alongside so answers need not rebuild a map per watch. Never
   * changed once handed out: each change makes a new map (streams keep the map they were answered
   * from as what the client holds, and answers memoise per map).
   */
  private current: ReadonlyMap<string, Resource> = new Map<string, Resource>();
  /** Deleted names → counter at deletion, so named SotW watches learn of the removal. */
  private readonly deletedAt = new Map<string, number>();
  private readonly watches = new Map<number, SotwWatch>();
  private readonly deltaWatches = new Map<number, DeltaWatch>();
  private nextId = 0;

  constructor(options: LinearCacheOptions) {
    this.typeUrl = options.typeUrl;
    this.prefix = options.versionPrefix ?? '';
    this.log = moduleLogger(options.logger ?? silentLogger(), 'xds.linear-cache');
    if (options.initial) this.updateResources(options.initial, []);
  }

  /** The cache-wide version: bumped once per call that changes anything. */
  version(): string {
    return `${this.prefix}${this.counter}`;
  }

  /** The current set: an immutable map, replaced (not changed) by every change. */
  resources(): ReadonlyMap<string, Resource> {
    return this.current;
  }

  updateResource(resource: Resource): void {
    this.updateResources([resource], []);
  }

  deleteResource(name: string): void {
    this.updateResources([], [name]);
  }

  /** Replaces the whole set: absent names are deleted, unchanged versions are left alone. */
  setResources(resources: readonly Resource[]): void {
    const keep = new Set(resources.map((r) => r.name));
    this.updateResources(resources, [...this.entries.keys()].filter((n) => !keep.has(n)));
  }

  /** Upserts and deletes in one version step; answers the watches that see a change. */
  updateResources(upsert: readonly Resource[], remove: readonly string[]): void {
    const changed = new Set<string>();
    const next = this.counter + 1;
    const seen = new Set<string>();
    let current: Map<string, Resource> | undefined;
    const edit = (): Map<string, Resource> => (current ??= new Map(this.current));
    for (const r of upsert) {
      if (r.typeUrl !== this.typeUrl) throw XdsErrors.TYPE_MISMATCH([r.name, r.typeUrl, this.typeUrl]);
      if (seen.has(r.name)) throw XdsErrors.DUPLICATE_RESOURCE([this.typeUrl, r.name]);
      seen.add(r.name);
      if (this.entries.get(r.name)?.resource.version === r.version) continue;
      this.entries.set(r.name, { resource: r, changedAt: next });
      edit().set(r.name, r);
      this.deletedAt.delete(r.name);
      changed.add(r.name);
    }
    for (const name of remove) {
      if (!this.entries.delete(name)) continue;
      edit().delete(name);
      this.deletedAt.set(name, next);
      changed.add(name);
    }
    if (current) this.current = current;
    if (changed.size === 0) return;
    this.counter = next;
    this.log.debug({ version: this.version(), changed: changed.size }, 'resources changed');
    this.notify(changed);
  }

  watchCount(): number {
    return this.watches.size + this.deltaWatches.size;
  }

  createWatch(request: WatchRequest, state: SotwWatchState, respond: (r: SotwResponse) => void): CancelWatch {
    if (!this.checkType(request)) return NO_WATCH;
    const answer = this.sotwFor(state);
    if (answer) {
      deliver(this.log, respond, answer);
      return NO_WATCH;
    }
    const id = ++this.nextId;
    this.watches.set(id, { state, respond });
    return () => this.watches.delete(id);
  }

  createDeltaWatch(request: WatchRequest, state: DeltaWatchState, respond: (r: DeltaResponse) => void): CancelWatch {
    if (!this.checkType(request)) return NO_WATCH;
    const answer = deltaAnswer(this.typeUrl, state, this.version(), this.resources(), false);
    if (answer) {
      deliver(this.log, respond, answer);
      return NO_WATCH;
    }
    const id = ++this.nextId;
    this.deltaWatches.set(id, { state, respond });
    return () => this.deltaWatches.delete(id);
  }

  private checkType(request: WatchRequest): boolean {
    if (request.typeUrl === this.typeUrl) return true;
    this.log.warn({ typeUrl: request.typeUrl, served: this.typeUrl }, 'watch for a type this linear cache does not serve');
    return false;
  }

  /** The counter a stream's sent version stands for, or -1 if it is not one of ours. */
  private sentCounter(sentVersion: string): number {
    if (!sentVersion.startsWith(this.prefix)) return -1;
    const rest = sentVersion.slice(this.prefix.length);
    return /^\d+$/.test(rest) ? Number(rest) : -1;
  }

  /**
   * Wildcard watches answer on any version change. Named watches answer when a named resource changed
   * or was deleted after what the stream was sent, or when newly named resources exist; a name that
   * does not exist yet keeps the watch open until it does.
   */
  private sotwFor(state: SotwWatchState): SotwResponse | undefined {
    const sent = this.sentCounter(state.sentVersion);
    const sub = state.subscription;
    let stale: boolean;
    if (sub.wildcard) stale = sent !== this.counter;
    else {
      stale = false;
      const newNames = hasNewNames(state);
      for (const name of sub.names) {
        const entry = this.entries.get(name);
        if (entry && (entry.changedAt > sent || (newNames && !state.sentNames.has(name)))) stale = true;
        if (!entry && (this.deletedAt.get(name) ?? -1) > sent && sent >= 0) stale = true;
        if (stale) break;
      }
    }
    if (!stale) return undefined;
    return { typeUrl: this.typeUrl, version: this.version(), resources: selectResources(sub, this.resources()) };
  }

  private notify(changed: ReadonlySet<string>): void {
    for (const [id, watch] of [...this.watches]) {
      const sub = watch.state.subscription;
      if (!sub.wildcard && ![...changed].some((n) => sub.names.has(n))) continue;
      const answer = this.sotwFor(watch.state);
      if (!answer) continue;
      this.watches.delete(id);
      deliver(this.log, watch.respond, answer);
    }
    const all = this.current;
    for (const [id, watch] of [...this.deltaWatches]) {
      if (![...changed].some((n) => isInterested(watch.state.subscription, n))) continue;
      const answer = deltaAnswer(this.typeUrl, watch.state, this.version(), all, false);
      if (!answer) continue;
      this.deltaWatches.delete(id);
      deliver(this.log, watch.respond, answer);
    }
  }
}

function deliver<R>(log: Logger, respond: (r: R) => void, answer: R): void {
  try {
    respond(answer);
  } catch (e) {
    log.error({ err: e }, 'watch response handler failed');
  }
}
