// SnapshotCache: one immutable snapshot per node group; answers SotW and Delta watches from it.
import type { Node__Output } from '@weft/api';
import { moduleLogger, ok, silentLogger, type Logger, type Result, type WeftError } from '@weft/base';
import { deltaAnswer, sotwAnswer } from './answer.js';
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
import { pushRank } from './push-order.js';
import type { Snapshot } from './snapshot.js';

/** Maps a node to its group: proxies with equivalent config share one snapshot. */
export type NodeGroup = (node: Node__Output) => string;

export const nodeIdGroup: NodeGroup = (node) => node.id;

export interface SnapshotCacheOptions {
  nodeGroup?: NodeGroup;
  logger?: Logger;
  /** Refuse snapshots whose consistent() fails (default false: the publishing pipeline checks). */
  requireConsistent?: boolean;
}

interface SotwWatch {
  readonly request: WatchRequest;
  readonly state: SotwWatchState;
  readonly respond: (r: SotwResponse) => void;
}

interface DeltaWatch {
  readonly request: WatchRequest;
  readonly state: DeltaWatchState;
  readonly respond: (r: DeltaResponse) => void;
}

export class SnapshotCache implements ConfigWatcher, DeltaConfigWatcher {
  private readonly snapshots = new Map<string, Snapshot>();
  private readonly watches = new Map<string, Map<number, SotwWatch>>();
  private readonly deltaWatches = new Map<string, Map<number, DeltaWatch>>();
  private readonly nodeGroup: NodeGroup;
  private readonly log: Logger;
  private readonly requireConsistent: boolean;
  private nextId = 0;

  constructor(options: SnapshotCacheOptions = {}) {
    this.nodeGroup = options.nodeGroup ?? nodeIdGroup;
    this.log = moduleLogger(options.logger ?? silentLogger(), 'xds.snapshot-cache');
    this.requireConsistent = options.requireConsistent ?? false;
  }

  groupOf(node: Node__Output): string {
    return this.nodeGroup(node);
  }

  /** Publishes a snapshot for a group and answers its open watches whose version differs. */
  setSnapshot(group: string, snapshot: Snapshot): Result<void, WeftError> {
    if (this.requireConsistent) {
      const checked = snapshot.consistent();
      if (!checked.ok) return checked;
    }
    const old = this.snapshots.get(group);
    this.snapshots.set(group, snapshot);
    this.log.debug({ group, version: snapshot.version }, 'snapshot set');
    const sotw = this.watches.get(group);
    if (sotw) {
      const ordered = [...sotw.entries()].sort((a, b) => pushRank(a[1].request.typeUrl) - pushRank(b[1].request.typeUrl));
      for (const [id, watch] of ordered) {
        const answer = sotwAnswer(watch.request.typeUrl, watch.state, snapshot.typeVersion(watch.request.typeUrl), snapshot.resources(watch.request.typeUrl));
        if (!answer) continue;
        sotw.delete(id);
        this.deliver(watch.respond, answer);
      }
    }
    const delta = this.deltaWatches.get(group);
    if (delta) {
      const ordered = [...delta.entries()].sort((a, b) => pushRank(a[1].request.typeUrl) - pushRank(b[1].request.typeUrl));
      for (const [id, watch] of ordered) {
        // An open watch was last checked against `old` (when it opened, or at the last update): a
        // type whose version did not change has nothing new for it, and comparing every resource's
        // version would cost as much as the type is large.
        const t = watch.request.typeUrl;
        if (old && old.serves(t) === snapshot.serves(t) && old.typeVersion(t) === snapshot.typeVersion(t)) continue;
        const answer = this.deltaFor(snapshot, watch.request, watch.state);
        if (!answer) continue;
        delta.delete(id);
        this.deliver(watch.respond, answer);
      }
    }
    return ok(undefined);
  }

  getSnapshot(group: string): Snapshot | undefined {
    return this.snapshots.get(group);
  }

  /** Forgets a group's snapshot; its open watches stay open until a new snapshot arrives. */
  clearSnapshot(group: string): void {
    this.snapshots.delete(group);
  }

  groups(): string[] {
    return [...this.snapshots.keys()];
  }

  /** Open watches (SotW + Delta), for metrics and tests. */
  watchCount(group?: string): number {
    const count = (m: Map<string, Map<number, unknown>>): number =>
      group === undefined ? [...m.values()].reduce((n, w) => n + w.size, 0) : (m.get(group)?.size ?? 0);
    return count(this.watches) + count(this.deltaWatches);
  }

  createWatch(request: WatchRequest, state: SotwWatchState, respond: (r: SotwResponse) => void): CancelWatch {
    const group = this.nodeGroup(request.node);
    const snapshot = this.snapshots.get(group);
    if (snapshot) {
      const answer = sotwAnswer(request.typeUrl, state, snapshot.typeVersion(request.typeUrl), snapshot.resources(request.typeUrl));
      if (answer) {
        this.deliver(respond, answer);
        return NO_WATCH;
      }
    }
    return this.register(this.watches, group, { request, state, respond });
  }

  createDeltaWatch(request: WatchRequest, state: DeltaWatchState, respond: (r: DeltaResponse) => void): CancelWatch {
    const group = this.nodeGroup(request.node);
    const snapshot = this.snapshots.get(group);
    if (snapshot) {
      const answer = this.deltaFor(snapshot, request, state);
      if (answer) {
        this.deliver(respond, answer);
        return NO_WATCH;
      }
    }
    return this.register(this.deltaWatches, group, { request, state, respond });
  }

  private deltaFor(snapshot: Snapshot, request: WatchRequest, state: DeltaWatchState): DeltaResponse | undefined {
    if (!snapshot.serves(request.typeUrl)) return undefined;
    return deltaAnswer(request.typeUrl, state, snapshot.typeVersion(request.typeUrl), snapshot.resources(request.typeUrl), true);
  }

  private register<W>(all: Map<string, Map<number, W>>, group: string, watch: W): CancelWatch {
    const id = ++this.nextId;
    let byId = all.get(group);
    if (!byId) {
      byId = new Map();
      all.set(group, byId);
    }
    byId.set(id, watch);
    return () => {
      const m = all.get(group);
      if (!m) return;
      m.delete(id);
      if (m.size === 0) all.delete(group);
    };
  }

  private deliver<R>(respond: (r: R) => void, answer: R): void {
    try {
      respond(answer);
    } catch (e) {
      // A failing stream must not keep the other watches of the group from being answered.
      this.log.error({ err: e }, 'watch response handler failed');
    }
  }
}
