// HTTPRetry → Envoy RetryPolicy (Istio 1.3 route/retry/retry.go): a default policy on every route
// without `retries`, none when `attempts` is 0, else the default with the user's overrides.
import { loadProtoRegistry, parseDuration, type HTTPRetry, type Route } from '@weft/api';
import { durationFromNanos } from './proto-values.js';

export type RetryPolicy = NonNullable<NonNullable<Route['route']>['retry_policy']>;

export const DEFAULT_RETRY_ON = 'connect-failure,refused-stream,unavailable,cancelled,resource-exhausted,retriable-status-codes';
export const PREVIOUS_HOSTS_PREDICATE = 'envoy.retry_host_predicates.previous_hosts';

/**
 * Istio 1.3's DefaultPolicy: 2 retries on connection failures, refused streams, the gRPC statuses
 * unavailable/cancelled/resource-exhausted and HTTP 503; prefer hosts not tried yet (5 attempts).
 */
export function defaultRetryPolicy(): RetryPolicy {
  return {
    retry_on: DEFAULT_RETRY_ON,
    num_retries: { value: 2 },
    // v3 Envoy finds the extension by its typed_config type; the name alone is the v2 form.
    retry_host_predicate: [
      { name: PREVIOUS_HOSTS_PREDICATE, typed_config: loadProtoRegistry().pack('envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate', {}) },
    ],
    host_selection_retry_max_attempts: 5,
    retriable_status_codes: [503],
  };
}

// Go's http.StatusText is non-empty for exactly these codes; parseRetryOn treats them as status codes.
const KNOWN_STATUS = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308,
  400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423,
  424, 425, 426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

/** Splits `retryOn` into Envoy policies and HTTP status codes (`"5xx,503"` → `5xx` + [503]). */
export function parseRetryOn(retryOn: string): { retryOn: string; codes: number[] } {
  const policies: string[] = [];
  const codes: number[] = [];
  for (const raw of retryOn.split(',')) {
    const part = raw.trim();
    if (part === '') continue;
    const n = /^\d+$/.test(part) ? Number(part) : NaN;
    if (KNOWN_STATUS.has(n)) codes.push(n);
    else policies.push(part);
  }
  return { retryOn: policies.join(','), codes };
}

/**
 * The route's retry policy: the default when `retries` is unset, none when attempts ≤ 0. Otherwise
 * the default with num_retries, per_try_timeout and (when `retryOn` is given) retry_on and the
 * status codes replaced; status codes imply `retriable-status-codes`, which Envoy needs to use them.
 */
export function convertRetryPolicy(retries: HTTPRetry | undefined): RetryPolicy | undefined {
  if (!retries) return defaultRetryPolicy();
  if ((retries.attempts ?? 0) <= 0) return undefined;
  const out = defaultRetryPolicy();
  out.num_retries = { value: retries.attempts ?? 0 };
  if (retries.retryOn) {
    const parsed = parseRetryOn(retries.retryOn);
    let retryOn = parsed.retryOn;
    if (parsed.codes.length > 0 && !retryOn.includes('retriable-status-codes')) {
      retryOn = retryOn === '' ? 'retriable-status-codes' : `${retryOn},retriable-status-codes`;
    }
    out.retry_on = retryOn;
    out.retriable_status_codes = parsed.codes;
  }
  if (retries.perTryTimeout) {
    const d = parseDuration(retries.perTryTimeout);
    if (d.ok) out.per_try_timeout = durationFromNanos(d.nanos);
  }
  return out;
}
