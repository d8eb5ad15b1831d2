// What SotW and Delta streams share: stream identity (node from the first request), nonces, ordered
// sending, per-type sync records, callbacks and teardown.
import type { Node__Output } from '@weft/api';
import type { Logger, WeftError } from '@weft/base';
import { invokeCallback, type StreamInfo, type XdsCallbacks, type XdsProtocol } from './callbacks.js';
import type { CancelWatch } from './config-watcher.js';
import { XdsErrors } from './errors.js';
import { OrderedBatch } from './push-order.js';
import { SharedResponses, type SharedEncoding } from './shared-responses.js';
import type { ErrorDetail, TypeResourceStatus, TypeSyncStatus } from './sync-status.js';

export interface StreamContext {
  readonly id: number;
  readonly peer: string;
  readonly callbacks: XdsCallbacks;
  readonly log: Logger;
  /** Used when the first request carries no node. */
  readonly emptyNode: Node__Output;
  /** The server's nonces and shared encodings; without it (unit tests) the stream has its own. */
  readonly responses?: SharedResponses;
}

/** Where a stream writes; the gRPC call in production, an array in unit tests. */
export interface StreamOutput<R> {
  write(response: R): void;
  /** Ends the call with INVALID_ARGUMENT. */
  fail(error: WeftError): void;
}

export interface StreamStatus {
  readonly stream: StreamInfo;
  readonly types: readonly TypeSyncStatus[];
  /**
   * The stream's per-resource ACK/NACK status, all types or one; computed when called (the list
   * above does not compute it). One function per stream, not per status() call.
   */
  readonly resourceStatus: (typeUrl?: string) => TypeResourceStatus[];
}

/** A response waiting in the ordered batch, tagged with the watch generation that produced it. */
export interface Pending<R> {
  readonly typeUrl: string;
  readonly generation: number;
  readonly response: R;
}

export interface WatchSlot {
  cancel?: CancelWatch;
  /** Bumped whenever a watch is replaced or answered, so a late answer from an old watch is dropped. */
  generation: number;
}

export abstract class StreamBase<R> {
  /** Set by the first request; carries the node for the stream's whole life. */
  protected info: StreamInfo | undefined;
  protected closed = false;
  protected readonly batch: OrderedBatch<Pending<R>>;
  private readonly responses: SharedResponses;
  /** The sequence number of the last nonce this stream sent (of any type). */
  private lastSeq = 0;

  constructor(
    protected readonly ctx: StreamContext,
    protected readonly protocol: XdsProtocol,
  ) {
    this.responses = ctx.responses ?? new SharedResponses({ maxEntries: 16 });
    this.batch = new OrderedBatch<Pending<R>>(
      (p) => p.typeUrl,
      (p) => this.send(p),
    );
  }

  get isClosed(): boolean {
    return this.closed;
  }

  protected abstract send(pending: Pending<R>): void;
  protected abstract watchSlots(): Iterable<WatchSlot>;
  abstract status(): StreamStatus | undefined;
  /** Per type (all, or `typeUrl`), each resource's status: what StreamStatus.resourceStatus answers. */
  abstract resourceStatus(typeUrl?: string): TypeResourceStatus[];
  protected readonly resourceStatusFn = (typeUrl?: string): TypeResourceStatus[] => this.resourceStatus(typeUrl);

  /**
   * The nonce (and shared encoding) for a response with content `key`: the one other streams got for
   * the same content when it is newer than anything this stream sent, a new one otherwise.
   */
  protected responseFor(key: string): SharedEncoding {
    const entry = this.responses.take(key, this.lastSeq);
    this.lastSeq = entry.seq;
    return entry;
  }

  /** Validates the type URL and opens the stream on its first request; undefined when the stream is done. */
  protected admit(typeUrl: string, node: Node__Output | null | undefined, output: StreamOutput<unknown>): StreamInfo | undefined {
    if (this.closed) return undefined;
    if (!typeUrl) {
      const e = XdsErrors.MISSING_TYPE_URL([this.ctx.id]);
      this.ctx.log.warn({ code: e.code, stream: this.ctx.id }, e.message);
      output.fail(e);
      this.close(e);
      return undefined;
    }
    if (!this.info) {
      const info: StreamInfo = { id: this.ctx.id, protocol: this.protocol, node: node ?? this.ctx.emptyNode, peer: this.ctx.peer };
      this.info = info;
      this.ctx.log.debug({ stream: this.ctx.id, node: info.node.id, protocol: this.protocol }, 'stream open');
      invokeCallback(this.ctx.callbacks, this.ctx.log, 'onStreamOpen', info);
    }
    return this.info;
  }

  protected queue(slot: WatchSlot, typeUrl: string): (response: R) => void {
    const generation = slot.generation;
    return (response) => this.batch.add({ typeUrl, generation, response });
  }

  /** Cancels every open watch and reports the close once. */
  close(error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.batch.close();
    for (const slot of this.watchSlots()) {
      slot.cancel?.();
      slot.cancel = undefined;
      slot.generation++;
    }
    if (this.info) {
      this.ctx.log.debug({ stream: this.ctx.id, err: error?.message }, 'stream closed');
      invokeCallback(this.ctx.callbacks, this.ctx.log, 'onStreamClose', this.info, error);
    }
  }
}

/** error_detail as decoded (null when absent) → ErrorDetail. */
export function errorDetailOf(detail: { code?: number | string; message?: string } | null | undefined): ErrorDetail | undefined {
  if (!detail) return undefined;
  return { code: Number(detail.code ?? 0), message: detail.message ?? '' };
}
