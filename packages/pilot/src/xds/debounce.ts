// Debounce (Istio's PILOT_DEBOUNCE_AFTER / PILOT_DEBOUNCE_MAX): push after `after` ms of quiet, or
// `max` ms after the first event, whichever comes first. One push runs at a time; events that
// arrive meanwhile merge into the next one.
import { mergePushRequests, type PushRequest } from './push-request.js';

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface DebounceOptions {
  readonly afterMs: number;
  readonly maxMs: number;
  readonly push: (request: PushRequest) => Promise<void>;
  readonly clock?: Clock;
  /** Called with the merged request and how many events it holds, when a push starts. */
  readonly onFire?: (request: PushRequest, events: number) => void;
}

export class Debouncer {
  private pending: PushRequest | undefined;
  private events = 0;
  private firstAt = 0;
  private lastAt = 0;
  private timer: unknown;
  private running: Promise<void> | undefined;
  private stopped = false;
  private readonly clock: Clock;

  constructor(private readonly options: DebounceOptions) {
    this.clock = options.clock ?? systemClock;
  }

  enqueue(request: PushRequest): void {
    if (this.stopped) return;
    const now = this.clock.now();
    if (!this.pending) {
      this.pending = request;
      this.firstAt = now;
      this.events = 0;
    } else {
      this.pending = mergePushRequests(this.pending, request);
    }
    this.events++;
    this.lastAt = now;
    this.arm(Math.max(0, Math.min(this.options.afterMs, this.options.maxMs - (now - this.firstAt))));
  }

  /** Resolves when no push is running or pending. */
  async idle(): Promise<void> {
    while (this.running || this.pending) {
      if (this.running) await this.running;
      else await new Promise((r) => this.clock.setTimeout(() => r(undefined), this.options.afterMs));
    }
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.pending = undefined;
  }

  private arm(ms: number): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = this.clock.setTimeout(() => this.check(), ms);
  }

  private check(): void {
    this.timer = undefined;
    if (!this.pending || this.stopped) return;
    const now = this.clock.now();
    const quiet = now - this.lastAt >= this.options.afterMs;
    const tooLong = now - this.firstAt >= this.options.maxMs;
    if (this.running) {
      // One push at a time: look again when this one is done.
      void this.running.then(() => this.check());
      return;
    }
    if (!quiet && !tooLong) {
      this.arm(Math.min(this.options.afterMs - (now - this.lastAt), this.options.maxMs - (now - this.firstAt)));
      return;
    }
    const request = this.pending;
    const events = this.events;
    this.pending = undefined;
    this.options.onFire?.(request, events);
    this.running = this.options
      .push(request)
      .catch(() => undefined)
      .finally(() => {
        this.running = undefined;
      });
  }
}
