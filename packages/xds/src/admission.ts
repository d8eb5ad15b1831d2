// Admission of new xDS streams at a bounded rate (Istio's PILOT_MAX_REQUESTS_PER_SECOND): a token
// bucket refilled `rate` times a second, holding at most `burst` tokens. A stream waits its turn in
// arrival order instead of being refused, so a reconnect storm is spread out rather than retried.

export interface AdmissionClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { unref?(): void };
}

const SYSTEM_CLOCK: AdmissionClock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms) };

export class StreamAdmission {
  private tokens: number;
  private last: number;
  private readonly waiting: (() => void)[] = [];
  private timerSet = false;

  /**
   * @param rate streams admitted per second; 0 or less admits every stream at once
   * @param burst streams admitted at once before the rate applies (default: one second's worth)
   */
  constructor(
    private readonly rate: number,
    private readonly burst = Math.max(1, Math.ceil(rate)),
    private readonly clock: AdmissionClock = SYSTEM_CLOCK,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Streams waiting for their turn. */
  get pending(): number {
    return this.waiting.length;
  }

  /** Runs `start` now if a token is free, else when its turn comes; returns a cancel for a stream that left while waiting. */
  admit(start: () => void): () => void {
    if (this.rate <= 0 || (this.waiting.length === 0 && this.take())) {
      start();
      return () => undefined;
    }
    this.waiting.push(start);
    this.schedule();
    return () => {
      const i = this.waiting.indexOf(start);
      if (i >= 0) this.waiting.splice(i, 1);
    };
  }

  private take(): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private schedule(): void {
    if (this.timerSet) return;
    this.timerSet = true;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.rate) * 1000));
    const t = this.clock.setTimeout(() => {
      this.timerSet = false;
      while (this.waiting.length > 0 && this.take()) this.waiting.shift()!();
      if (this.waiting.length > 0) this.schedule();
    }, wait);
    t.unref?.();
  }
}
