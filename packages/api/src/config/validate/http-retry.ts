// HTTP retries: attempts >= 0 (0 disables Pilot's default policy), perTryTimeout >= 1ms, and retryOn
// tokens Envoy understands; bare integers are HTTP status codes (Pilot turns them into retriable codes).
import type { HTTPRetry } from '../types/virtual-service.js';
import type { Ctx } from './context.js';
import { checkDuration } from './duration.js';

/** x-envoy-retry-on and x-envoy-retry-grpc-on values. `reset` is accepted too (Envoy supports it). */
export const RETRY_ON_POLICIES: ReadonlySet<string> = new Set([
  '5xx', 'gateway-error', 'reset', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes',
  'cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable',
]);

// Status codes Go's net/http names (http.StatusText), which is what Istio accepts as a numeric token.
const KNOWN_STATUS: ReadonlySet<number> = new Set([
  100, 101, 102, 103, 200, 201, 202, 203, 204, 205, 206, 207, 208, 226, 300, 301, 302, 303, 304, 305, 307, 308, 400,
  401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416, 417, 418, 421, 422, 423, 424, 425,
  426, 428, 429, 431, 451, 500, 501, 502, 503, 504, 505, 506, 507, 508, 510, 511,
]);

export function checkRetryOnToken(token: string): string | undefined {
  if (RETRY_ON_POLICIES.has(token)) return undefined;
  if (/^\d+$/.test(token) && KNOWN_STATUS.has(Number(token))) return undefined;
  const spaced = token.trim() !== token ? ' (tokens are comma-separated without spaces)' : '';
  return `${JSON.stringify(token)} is not a valid retryOn policy${spaced}`;
}

export function checkRetry(retry: HTTPRetry, ctx: Ctx): void {
  const attempts = retry.attempts ?? 0;
  if (attempts < 0) ctx.at('attempts').error('attempts cannot be negative');
  if (attempts === 0 && (retry.perTryTimeout !== undefined || retry.retryOn !== undefined)) {
    ctx.at('attempts').error('attempts is 0 (retries disabled) but perTryTimeout or retryOn is set');
  }
  checkDuration(retry.perTryTimeout, ctx.at('perTryTimeout'));
  if (retry.retryOn !== undefined) {
    for (const token of retry.retryOn.split(',')) {
      const err = checkRetryOnToken(token);
      if (err !== undefined) ctx.at('retryOn').error(err);
    }
  }
}
