// envoy.config.route.v3.RetryPolicy normalized with Envoy's defaults (RetryPolicyImpl): one retry,
// 25 ms base back-off capped at ten times the base, one host-selection attempt.
import type { IssueCollector } from '@weft/base';
import type { RetryPolicyConfig } from './config-types.js';
import { durationMs, optionalMs } from './duration.js';
import { compileHeaderMatchers, type HeaderMatch } from './header-matcher.js';

export interface RetryPolicy {
  /** Conditions such as `5xx`, `gateway-error`, `connect-failure`, `retriable-status-codes`. */
  readonly retryOn: ReadonlySet<string>;
  readonly numRetries: number;
  /** Per-attempt timeout; undefined means the route timeout alone bounds each try. */
  readonly perTryTimeoutMs?: number;
  readonly perTryIdleTimeoutMs?: number;
  /** Host predicate names, e.g. `envoy.retry_host_predicates.previous_hosts`. */
  readonly retryHostPredicates: readonly string[];
  /** The previous_hosts predicate is configured: retries avoid hosts already tried. */
  readonly previousHosts: boolean;
  readonly retryPriority?: string;
  readonly hostSelectionRetryMaxAttempts: number;
  readonly retriableStatusCodes: readonly number[];
  /** retry_back_off.base_interval (default 25 ms) and max_interval (default 10 × base). */
  readonly backOffBaseMs: number;
  readonly backOffMaxMs: number;
  /** Response headers that make a response retriable (`retriable-headers`). */
  readonly retriableHeaders: readonly HeaderMatch[];
  /** Request headers a request must match to be retried at all. */
  readonly retriableRequestHeaders: readonly HeaderMatch[];
}

export const DEFAULT_BASE_INTERVAL_MS = 25;
export const PREVIOUS_HOSTS = 'envoy.retry_host_predicates.previous_hosts';

export function compileRetryPolicy(config: RetryPolicyConfig, issues: IssueCollector): RetryPolicy {
  const retryOn = new Set(
    config.retry_on
      .split(',')
      .map((t) => t.trim())
      .filter((t) => t.length > 0),
  );
  let baseIntervalMs = DEFAULT_BASE_INTERVAL_MS;
  let maxIntervalMs = baseIntervalMs * 10;
  const backOff = config.retry_back_off;
  if (backOff) {
    if (!backOff.base_interval) issues.at('retry_back_off', 'base_interval').error('base_interval is required');
    // Sub-millisecond intervals round up to 1 ms.
    baseIntervalMs = Math.max(1, backOff.base_interval ? durationMs(backOff.base_interval) : DEFAULT_BASE_INTERVAL_MS);
    maxIntervalMs = backOff.max_interval ? Math.max(1, durationMs(backOff.max_interval)) : baseIntervalMs * 10;
    if (maxIntervalMs < baseIntervalMs) {
      issues.at('retry_back_off', 'max_interval').error('max_interval must be greater than or equal to base_interval');
    }
  }
  const perTry = optionalMs(config.per_try_timeout);
  const perTryIdle = optionalMs(config.per_try_idle_timeout);
  const hostAttempts = Number(config.host_selection_retry_max_attempts);
  return {
    retryOn,
    numRetries: config.num_retries?.value ?? 1,
    ...(perTry ? { perTryTimeoutMs: perTry } : {}),
    ...(perTryIdle ? { perTryIdleTimeoutMs: perTryIdle } : {}),
    retryHostPredicates: config.retry_host_predicate.map((p) => p.name),
    previousHosts: config.retry_host_predicate.some((p) => p.name === PREVIOUS_HOSTS),
    ...(config.retry_priority?.name ? { retryPriority: config.retry_priority.name } : {}),
    hostSelectionRetryMaxAttempts: hostAttempts > 0 ? hostAttempts : 1,
    retriableStatusCodes: [...config.retriable_status_codes],
    backOffBaseMs: baseIntervalMs,
    backOffMaxMs: maxIntervalMs,
    retriableHeaders: compileHeaderMatchers(config.retriable_headers, issues.at('retriable_headers')),
    retriableRequestHeaders: compileHeaderMatchers(config.retriable_request_headers, issues.at('retriable_request_headers')),
  };
}
