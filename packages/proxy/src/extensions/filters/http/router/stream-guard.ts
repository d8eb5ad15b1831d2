// What ends a routed stream early, as one cancellation signal for every upstream attempt, pending
// connection-pool wait and retry back-off: the downstream closing before its response completed
// (Envoy resets the upstream stream and logs DC), the route's max_stream_duration (408, DT) and the
// route's idle_timeout (408, SI; reset by activity in either direction).
import type { RoutedStream } from '../../../../http/connection-manager.js';
import { Cancellation, type CancelSignal } from '../../../../upstream/cancellation.js';

export type StreamEnd = 'downstream-closed' | 'max-duration' | 'idle-timeout';

export interface StreamGuardOptions {
  readonly maxStreamDurationMs?: number | undefined;
  readonly idleTimeoutMs?: number | undefined;
  /** A timer fired (not a downstream close): answer or reset the downstream. */
  readonly onTimeout: (why: Exclude<StreamEnd, 'downstream-closed'>) => void;
}

export class StreamGuard {
  /** Made when first asked for; a Cancellation, not an AbortController (no EventTarget per request). */
  private cancel: Cancellation | undefined;
  private reason: StreamEnd | undefined;
  private durationTimer: NodeJS.Timeout | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly onClose = (): void => {
    // Still guarded when the downstream closes: the router's exchange is not done. Whether the client
    // left or the connection manager answered for it (stream_idle_timeout, request_timeout), the
    // upstream attempt, pool wait or back-off is cancelled, as Envoy resets the upstream stream.
    this.end('downstream-closed');
    this.dispose();
  };

  constructor(
    private readonly ctx: RoutedStream,
    private readonly options: StreamGuardOptions,
  ) {
    // Removed in dispose(), which onClose calls too: no once() wrapper per stream.
    ctx.response.on('close', this.onClose);
    if (downstreamGone(ctx.response)) this.end('downstream-closed');
    const max = options.maxStreamDurationMs;
    if (max !== undefined && max > 0) {
      this.durationTimer = setTimeout(() => this.fire('max-duration'), Math.max(0, ctx.startedAt + max - Date.now()));
    }
    this.touch();
  }

  get signal(): CancelSignal {
    const c = (this.cancel ??= new Cancellation());
    if (this.reason) c.abort();
    return c;
  }

  /** Why the stream ended early, once it has. */
  get ended(): StreamEnd | undefined {
    return this.reason;
  }

  /** Bytes moved in either direction: the idle timer starts over. */
  touch(): void {
    const idle = this.options.idleTimeoutMs;
    if (idle === undefined || idle <= 0 || this.reason) return;
    if (this.idleTimer) this.idleTimer.refresh();
    else this.idleTimer = setTimeout(() => this.fire('idle-timeout'), idle);
  }

  /** The response is complete (or handed to a local reply): no timer may touch it any more. */
  dispose(): void {
    clearTimeout(this.durationTimer);
    clearTimeout(this.idleTimer);
    this.ctx.response.removeListener('close', this.onClose);
  }

  private fire(why: Exclude<StreamEnd, 'downstream-closed'>): void {
    if (this.reason || this.ctx.response.writableEnded) return;
    this.end(why);
    this.dispose();
    this.options.onTimeout(why);
  }

  private end(why: StreamEnd): void {
    if (this.reason) return;
    this.reason = why;
    this.cancel?.abort();
  }
}

/** An HTTP/2 compatibility response has no `destroyed` of its own; its stream does. */
export function downstreamGone(sink: RoutedStream['response']): boolean {
  return 'stream' in sink ? sink.stream.destroyed || sink.stream.closed : sink.destroyed;
}

/** Waits `ms`, or less if `signal` aborts first (retry back-off). */
export function sleep(ms: number, signal: CancelSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
