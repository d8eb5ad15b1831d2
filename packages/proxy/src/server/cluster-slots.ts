// Which slot of the workers' shared counts (upstream/shared-counters.ts) each cluster instance uses.
// The primary decides: the bootstrap's static clusters take slots 0..k-1 in their order (every process
// computes the same), and each cluster instance the primary creates from CDS takes a free slot that
// goes to the workers with the update. A slot is reused only once the primary's instance is gone and
// every worker that was handed it has let it go (its instance retired, or the worker exited): a worker
// lets go by detaching its counts, so nothing it still finishes can touch the slot's next owner.
import { moduleLogger, type Logger } from '@weft/base';
import type { ClusterSlots } from '../upstream/cluster-manager.js';
import type { CounterArena, SharedSlot } from '../upstream/shared-counters.js';

export class PrimarySlots implements ClusterSlots {
  private readonly log: Logger;
  private readonly free: number[] = [];
  private next: number;
  /** Slot → the workers that were handed it and have not let it go. */
  private readonly holders = new Map<number, Set<number>>();
  /** Dynamic slots whose primary instance is gone: free once no worker holds them. */
  private readonly retired = new Set<number>();
  private warnedFull = false;

  constructor(
    readonly arena: CounterArena,
    /** How many static clusters the bootstrap has (their slots are fixed). */
    private readonly staticCount: number,
    logger: Logger,
  ) {
    this.log = moduleLogger(logger, 'server.cluster-slots');
    this.next = staticCount;
  }

  slotFor(name: string, staticIndex: number | undefined): SharedSlot | undefined {
    if (staticIndex !== undefined) return staticIndex < this.arena.slots ? { arena: this.arena, slot: staticIndex, worker: undefined } : undefined;
    const slot = this.free.pop() ?? (this.next < this.arena.slots ? this.next++ : undefined);
    if (slot === undefined) {
      if (!this.warnedFull) this.log.warn({ cluster: name, slots: this.arena.slots }, 'shared circuit-breaker slots are all in use; new clusters count per worker');
      this.warnedFull = true;
      return undefined;
    }
    return { arena: this.arena, slot, worker: undefined };
  }

  release(slot: SharedSlot): void {
    if (slot.slot < this.staticCount) return;
    this.retired.add(slot.slot);
    this.reclaim(slot.slot);
  }

  /** The primary handed `slot` to `worker` (with a CDS update or a replay). */
  given(slot: number, worker: number): void {
    let set = this.holders.get(slot);
    if (!set) this.holders.set(slot, (set = new Set()));
    set.add(worker);
  }

  /** `worker` let `slot` go. */
  released(slot: number, worker: number): void {
    this.holders.get(slot)?.delete(worker);
    this.reclaim(slot);
  }

  /** `worker` exited: whatever it held is dropped, in the books and in the region. */
  workerGone(worker: number): void {
    this.arena.zeroWorker(worker);
    for (const slot of [...this.holders.keys()]) this.released(slot, worker);
  }

  private reclaim(slot: number): void {
    if (!this.retired.has(slot) || (this.holders.get(slot)?.size ?? 0) > 0) return;
    this.retired.delete(slot);
    this.holders.delete(slot);
    this.free.push(slot);
  }
}

/** A worker's side: the slots its primary offered with each CDS update, taken by the instances it creates. */
export class WorkerSlots implements ClusterSlots {
  private offers = new Map<string, number>();
  /** Slots held by this worker's live instances. */
  private readonly held = new Set<number>();

  constructor(
    readonly arena: CounterArena,
    /** This worker's column. */
    readonly worker: number,
    private readonly staticCount: number,
    /** Tells the primary a slot was let go. */
    private readonly onRelease: (slot: number) => void,
  ) {
    // A re-forked worker starts with nothing held (its predecessor's units were dropped too).
    arena.zeroWorker(worker);
  }

  /** Before an update is applied: the slots of the clusters it may create. */
  offer(slots: readonly (readonly [string, number])[]): void {
    this.offers = new Map(slots);
  }

  /** After it was applied: offered slots no instance took (the cluster was unchanged here) go back, unless held. */
  settle(): void {
    for (const slot of this.offers.values()) if (!this.held.has(slot)) this.onRelease(slot);
    this.offers.clear();
  }

  slotFor(name: string, staticIndex: number | undefined): SharedSlot | undefined {
    const slot = staticIndex ?? this.offers.get(name);
    if (staticIndex === undefined) this.offers.delete(name);
    if (slot === undefined || slot >= this.arena.slots) return undefined;
    this.held.add(slot);
    return { arena: this.arena, slot, worker: this.worker };
  }

  release(slot: SharedSlot): void {
    this.held.delete(slot.slot);
    if (slot.slot >= this.staticCount) this.onRelease(slot.slot);
  }
}
