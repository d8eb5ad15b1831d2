// Bounded concurrency of responses in flight across all streams (Istio's PILOT_PUSH_THROTTLE): a
// push to thousands of streams would otherwise encode and buffer every response at once (memory as
// large as streams × response size). Responses wait in one FIFO queue, as objects that share their
// encoded resources, and are written when a slot frees: when an earlier write has been flushed to its
// stream, or after `stuckMs` for a stream that does not read (its data stays buffered on it).

export class WriteThrottle {
  private inFlight = 0;
  private readonly queue: ((done: () => void) => void)[] = [];

  constructor(
    private readonly limit: number,
    private readonly stuckMs = 5_000,
  ) {}

  /** Writes waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Runs `write` now or when a slot frees; `write` calls `done` once its data is flushed. */
  run(write: (done: () => void) => void): void {
    if (this.limit <= 0) {
      write(() => undefined);
      return;
    }
    if (this.inFlight >= this.limit) {
      this.queue.push(write);
      return;
    }
    this.start(write);
  }

  private start(write: (done: () => void) => void): void {
    this.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.inFlight--;
      const next = this.queue.shift();
      if (next) this.start(next);
    };
    const timer = setTimeout(release, this.stuckMs);
    timer.unref();
    try {
      write(release);
    } catch (e) {
      release();
      throw e;
    }
  }
}
