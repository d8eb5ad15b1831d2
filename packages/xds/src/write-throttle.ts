// Bounded concurrency of responses in flight across all streams (Istio's PILOT_PUSH_THROTTLE): a
// push to thousands of streams would otherwise encode and buffer every response at once (memory as
// large as streams × response size). Responses wait in one FIFO queue, as objects that share their
// encoded resources, and are written when a slot frees: when an earlier write has been flushed to its
// stream, or after `stuckMs` for a stream that does not read (Istio 1.1–1.3's SendTimeout, 5 s: the
// writer hears of it through `onStuck`, and the server ends that stream).

export class WriteThrottle {
  private inFlight = 0;
  private readonly queue: { write: (done: () => void) => void; onStuck: (() => void) | undefined }[] = [];

  constructor(
    private readonly limit: number,
    private readonly stuckMs = 5_000,
  ) {}

  /** Writes waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Runs `write` now or when a slot frees; `write` calls `done` once its data is flushed. A write not
   * flushed within `stuckMs` of its start frees its slot and calls `onStuck`.
   */
  run(write: (done: () => void) => void, onStuck?: () => void): void {
    if (this.limit <= 0) {
      write(() => undefined);
      return;
    }
    if (this.inFlight >= this.limit) {
      this.queue.push({ write, onStuck });
      return;
    }
    this.start(write, onStuck);
  }

  private start(write: (done: () => void) => void, onStuck: (() => void) | undefined): void {
    this.inFlight++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      clearTimeout(timer);
      this.inFlight--;
      const next = this.queue.shift();
      if (next) this.start(next.write, next.onStuck);
    };
    const timer = setTimeout(() => {
      release();
      onStuck?.();
    }, this.stuckMs);
    timer.unref();
    try {
      write(release);
    } catch (e) {
      release();
      throw e;
    }
  }
}
