// Process-wide counts for --concurrency N: Envoy's workers are threads that share one ResourceManager
// per cluster through atomics, so a circuit-breaker limit holds for the whole process. weft-proxy's
// workers are processes; they share one memory region instead (native/shm.c: a memfd the primary
// creates and every worker maps), updated only with Atomics.
//
// Layout: `slots` cluster instances × FIELDS counts × `workers` columns of int32. Each worker writes
// only its own column, so a crashed worker's units are dropped by zeroing its column (the primary
// does it before re-forking the slot), and a count is the sum over the columns. As in Envoy, the
// check and the increment are two steps: racing workers can overshoot a limit by at most N-1.
//
// A slot is one cluster instance (Envoy makes a new ResourceManager when a cluster is replaced): the
// primary hands the slot of every cluster it creates to the workers with the CDS update, static
// clusters take the first slots in bootstrap order, and a slot is reused only after every worker
// that was given it has let it go (server/cluster-slots.ts).
import { createRequire } from 'node:module';

/** Per routing priority: connections, pending requests, requests, retries. */
export const RESOURCE_FIELDS = 4;
/** DEFAULT and HIGH. */
export const FIELDS = RESOURCE_FIELDS * 2;
/** Cluster instances the region holds (4 bytes × FIELDS × workers each; pages are mapped on first touch). */
export const DEFAULT_SLOTS = 16_384;

interface Addon {
  create(bytes: number): { fd: number; buffer: ArrayBuffer };
  open(fd: number): ArrayBuffer;
}

let addon: Addon | null | undefined;
let addonError: string | undefined;

function load(): Addon | null {
  if (addon !== undefined) return addon;
  try {
    addon = createRequire(import.meta.url)('../../build/Release/weftshm.node') as Addon;
  } catch (e) {
    addonError = (e as Error).message;
    addon = null;
  }
  return addon;
}

/** Why shared memory is unavailable (the addon was not built), or undefined when it is available. */
export function sharedMemoryUnavailable(): string | undefined {
  return load() ? undefined : (addonError ?? 'the weftshm addon is not loaded');
}

export function regionBytes(workers: number, slots: number = DEFAULT_SLOTS): number {
  return slots * FIELDS * workers * 4;
}

/** The primary's side: a new region and the descriptor to hand the workers; undefined without the addon. */
export function createRegion(workers: number, slots: number = DEFAULT_SLOTS): { fd: number; arena: CounterArena } | undefined {
  const a = load();
  if (!a) return undefined;
  const { fd, buffer } = a.create(regionBytes(workers, slots));
  return { fd, arena: new CounterArena(buffer, workers, slots) };
}

/** A worker's side: the region behind the inherited descriptor `fd`. */
export function openRegion(fd: number, workers: number, slots: number = DEFAULT_SLOTS): CounterArena {
  const a = load();
  if (!a) throw new Error(`shared memory is unavailable: ${sharedMemoryUnavailable()}`);
  return new CounterArena(a.open(fd), workers, slots);
}

export class CounterArena {
  private readonly cells: Int32Array;

  constructor(
    buffer: ArrayBuffer,
    readonly workers: number,
    readonly slots: number,
  ) {
    if (buffer.byteLength < regionBytes(workers, slots)) throw new Error(`shared region of ${buffer.byteLength} bytes is smaller than ${regionBytes(workers, slots)}`);
    this.cells = new Int32Array(buffer, 0, slots * FIELDS * workers);
  }

  /** Index of (slot, field) in worker column 0. */
  base(slot: number, field: number): number {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.slots) throw new RangeError(`slot ${slot} is outside the region (0..${this.slots - 1})`);
    return (slot * FIELDS + field) * this.workers;
  }

  total(base: number): number {
    let n = 0;
    for (let w = 0; w < this.workers; w++) n += Atomics.load(this.cells, base + w);
    return n;
  }

  own(base: number, worker: number): number {
    return Atomics.load(this.cells, base + worker);
  }

  add(base: number, worker: number, delta: number): void {
    Atomics.add(this.cells, base + worker, delta);
  }

  /** Drops every unit a worker held: its process is gone (or starting over). */
  zeroWorker(worker: number): void {
    for (let i = worker; i < this.cells.length; i += this.workers) if (this.cells[i] !== 0) Atomics.store(this.cells, i, 0);
  }
}

/** One count of a circuit-breaker resource: this process's share and the process-wide total. */
export interface CountCell {
  total(): number;
  own(): number;
  add(delta: number): void;
}

export class LocalCell implements CountCell {
  constructor(private n = 0) {}
  total(): number {
    return this.n;
  }
  own(): number {
    return this.n;
  }
  add(delta: number): void {
    this.n += delta;
  }
}

/** A count in the shared region. `worker` undefined: the primary, which reads totals and holds nothing. */
export class ArenaCell implements CountCell {
  constructor(
    private readonly arena: CounterArena,
    private readonly index: number,
    private readonly worker: number | undefined,
  ) {}
  total(): number {
    return this.arena.total(this.index);
  }
  own(): number {
    return this.worker === undefined ? 0 : this.arena.own(this.index, this.worker);
  }
  add(delta: number): void {
    if (this.worker !== undefined) this.arena.add(this.index, this.worker, delta);
  }
}

/** Where a cluster instance keeps its counts: a slot of the region, seen from one process. */
export interface SharedSlot {
  readonly arena: CounterArena;
  readonly slot: number;
  /** This process's column; undefined in the primary. */
  readonly worker: number | undefined;
}

/** The cells of one priority's four resources (fields priority*4 .. priority*4+3). */
export function slotCells(shared: SharedSlot | undefined, priority: 0 | 1): CountCell[] {
  return Array.from({ length: RESOURCE_FIELDS }, (_, i) => (shared ? new ArenaCell(shared.arena, shared.arena.base(shared.slot, priority * RESOURCE_FIELDS + i), shared.worker) : new LocalCell()));
}
