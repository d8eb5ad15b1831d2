// When to restart a proxy that exited unexpectedly (pure): exponential backoff from 200 ms to 10 s,
// giving up after 10 consecutive quick failures; a run that stayed up long enough resets the count.

export interface RestartPolicyOptions {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
  /** Consecutive quick failures after which the agent gives up. */
  readonly maxFailures: number;
  /** A run at least this long was healthy: the failure count starts again. */
  readonly stableAfterMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicyOptions = { initialDelayMs: 200, maxDelayMs: 10_000, maxFailures: 10, stableAfterMs: 10_000 };

/** The delay before restart attempt `attempt` (1-based): 200, 400, 800 ... capped at 10 s. */
export function restartDelay(attempt: number, options: RestartPolicyOptions = DEFAULT_RESTART_POLICY): number {
  const exp = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(options.initialDelayMs * 2 ** exp, options.maxDelayMs);
}

export type RestartDecision =
  | { readonly action: 'restart'; readonly attempt: number; readonly delayMs: number; readonly failures: number }
  | { readonly action: 'give-up'; readonly failures: number };

/**
 * The decision after a failed run of `uptimeMs`, given the consecutive quick failures before it.
 * A failure after a stable run is not quick: the count goes back to 0 and the restart comes soon.
 */
export function afterFailure(previousFailures: number, uptimeMs: number, options: RestartPolicyOptions = DEFAULT_RESTART_POLICY): RestartDecision {
  const failures = uptimeMs >= options.stableAfterMs ? 0 : previousFailures + 1;
  if (failures >= options.maxFailures) return { action: 'give-up', failures };
  const attempt = Math.max(failures, 1);
  return { action: 'restart', attempt, delayMs: restartDelay(attempt, options), failures };
}
