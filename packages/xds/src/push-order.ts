// ADS ordering: when several types are answered at once, send them CDS → EDS → LDS → RDS → SDS
// (Envoy xds_protocol "Eventual consistency considerations": make before break).
import { ADS_PUSH_ORDER } from '@weft/api';

/** Position of a type in the push order; unknown types go last, in arrival order. */
export function pushRank(typeUrl: string): number {
  const i = ADS_PUSH_ORDER.indexOf(typeUrl);
  return i < 0 ? ADS_PUSH_ORDER.length : i;
}

/** A stable sort by push rank. */
export function inPushOrder<T>(items: readonly T[], typeOf: (item: T) => string): T[] {
  return items
    .map((item, index) => ({ item, index, rank: pushRank(typeOf(item)) }))
    .sort((a, b) => a.rank - b.rank || a.index - b.index)
    .map((x) => x.item);
}

/**
 * Collects what is ready to send during one turn of the event loop and sends it in push order on
 * the next microtask. A snapshot update answers every watch of a stream synchronously, so the whole
 * update lands in one batch whatever order the cache visited the watches in.
 */
export class OrderedBatch<T> {
  private pending: T[] = [];
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly typeOf: (item: T) => string,
    private readonly send: (item: T) => void,
  ) {}

  add(item: T): void {
    if (this.closed) return;
    this.pending.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => this.flush());
  }

  close(): void {
    this.closed = true;
    this.pending = [];
  }

  private flush(): void {
    this.scheduled = false;
    const batch = inPushOrder(this.pending, this.typeOf);
    this.pending = [];
    for (const item of batch) {
      if (this.closed) return;
      this.send(item);
    }
  }
}
