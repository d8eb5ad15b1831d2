// Earliest-deadline-first scheduler for weighted picks, as Envoy's EdfScheduler
// (source/common/upstream/edf_scheduler.h): an entry added at time t with weight w is due at
// t + 1/w; a pick takes the earliest deadline (ties: first added) and advances time to it.
// Picks are O(log n) and allocate nothing: the heap lives in parallel arrays.

export class EdfScheduler<T> {
  private readonly items: T[] = [];
  private readonly deadlines: number[] = [];
  private readonly orders: number[] = [];
  private readonly weights: number[] = [];
  private now = 0;
  private nextOrder = 0;

  get size(): number {
    return this.items.length;
  }

  /** Adds `item` due at now + 1/weight. Weights must be positive. */
  add(weight: number, item: T): void {
    if (!(weight > 0)) throw new RangeError(`EDF weight must be positive, got ${weight}`);
    let i = this.items.length;
    this.items.push(item);
    this.deadlines.push(this.now + 1 / weight);
    this.orders.push(this.nextOrder++);
    this.weights.push(weight);
    // sift up
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  /**
   * Picks the entry with the earliest deadline and re-adds it, due 1/weight later, where the
   * weight is `reweigh(item)` (LEAST_REQUEST scales by load at pick time) or its previous weight.
   */
  pickAndAdd(reweigh?: (item: T) => number): T | undefined {
    if (this.items.length === 0) return undefined;
    const item = this.items[0]!;
    this.now = this.deadlines[0]!;
    const weight = reweigh ? reweigh(item) : this.weights[0]!;
    if (!(weight > 0)) throw new RangeError(`EDF weight must be positive, got ${weight}`);
    this.deadlines[0] = this.now + 1 / weight;
    this.orders[0] = this.nextOrder++;
    this.weights[0] = weight;
    this.siftDown(0);
    return item;
  }

  private before(a: number, b: number): boolean {
    const da = this.deadlines[a]!, db = this.deadlines[b]!;
    return da < db || (da === db && this.orders[a]! < this.orders[b]!);
  }

  private siftDown(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1, r = l + 1;
      let best = i;
      if (l < n && this.before(l, best)) best = l;
      if (r < n && this.before(r, best)) best = r;
      if (best === i) return;
      this.swap(i, best);
      i = best;
    }
  }

  private swap(a: number, b: number): void {
    swapAt(this.items, a, b);
    swapAt(this.deadlines, a, b);
    swapAt(this.orders, a, b);
    swapAt(this.weights, a, b);
  }
}

function swapAt<V>(xs: V[], a: number, b: number): void {
  const t = xs[a]!;
  xs[a] = xs[b]!;
  xs[b] = t;
}
