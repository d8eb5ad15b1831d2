// Exponential reconnect backoff with jitter (gRPC's connection-backoff shape).

export interface BackoffOptions {
  /** First delay, ms (default 500). */
  initialMs?: number;
  /** Upper bound, ms (default 30 000). */
  maxMs?: number;
  /** Growth per attempt (default 1.6). */
  multiplier?: number;
  /** ± fraction of randomness (default 0.2). */
  jitter?: number;
  /** Injected for deterministic tests. */
  random?: () => number;
}

export class Backoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  private current: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 500;
    this.maxMs = options.maxMs ?? 30_000;
    this.multiplier = options.multiplier ?? 1.6;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    this.current = this.initialMs;
  }

  /** The delay before the next attempt; each call grows the following one. */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.maxMs, this.current * this.multiplier);
    const spread = base * this.jitter * (this.random() * 2 - 1);
    return Math.max(0, Math.round(Math.min(this.maxMs, base + spread)));
  }

  /** After a success: start again from the initial delay. */
  reset(): void {
    this.current = this.initialMs;
  }
}
