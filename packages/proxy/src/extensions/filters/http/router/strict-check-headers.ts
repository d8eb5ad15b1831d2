// The router's strict_check_headers (Envoy's FilterUtility::StrictHeaderChecker): the timeout and
// max-retries headers must be unsigned integers, x-envoy-retry-on and x-envoy-retry-grpc-on
// comma-separated lists of known policies. A header that is absent passes; the first invalid one
// found (in the configured order) is answered 400 with `invalid header '<name>' with value '<value>'`
// and the IH response flag.
import type { HeaderMap } from '../../../../http/headers.js';

export const STRICT_CHECKABLE_HEADERS = ['x-envoy-upstream-rq-timeout-ms', 'x-envoy-upstream-rq-per-try-timeout-ms', 'x-envoy-max-retries', 'x-envoy-retry-on', 'x-envoy-retry-grpc-on'] as const;

export type StrictCheckedHeader = (typeof STRICT_CHECKABLE_HEADERS)[number];

export function isStrictCheckedHeader(name: string): name is StrictCheckedHeader {
  return (STRICT_CHECKABLE_HEADERS as readonly string[]).includes(name);
}

/** Envoy's x-envoy-retry-on values (RetryStateImpl::parseRetryOn). */
const RETRY_ON = new Set(['5xx', 'gateway-error', 'connect-failure', 'retriable-4xx', 'refused-stream', 'retriable-status-codes', 'retriable-headers', 'reset', 'reset-before-request', 'envoy-ratelimited', 'http3-post-connect-failure']);
/** Envoy's x-envoy-retry-grpc-on values (RetryStateImpl::parseRetryGrpcOn). */
const RETRY_GRPC_ON = new Set(['cancelled', 'deadline-exceeded', 'internal', 'resource-exhausted', 'unavailable']);

const UINT64_MAX = 2n ** 64n - 1n;

/** absl::SimpleAtoi into a uint64: surrounding whitespace and a leading `+` are allowed, nothing else. */
function isUnsignedInteger(text: string): boolean {
  const digits = /^\s*\+?(\d+)\s*$/.exec(text)?.[1];
  return digits !== undefined && BigInt(digits) <= UINT64_MAX;
}

/** Every comma-separated token (trimmed, empty ones skipped) is one of `known`. */
function isPolicyList(text: string, known: ReadonlySet<string>): boolean {
  return text.split(',').map((t) => t.trim()).filter(Boolean).every((t) => known.has(t));
}

function valid(name: StrictCheckedHeader, text: string): boolean {
  if (name === 'x-envoy-retry-on') return isPolicyList(text, RETRY_ON);
  if (name === 'x-envoy-retry-grpc-on') return isPolicyList(text, RETRY_GRPC_ON);
  return isUnsignedInteger(text);
}

/** The first of `names` whose value in `headers` is invalid, or undefined when all are valid or absent. */
export function invalidStrictHeader(headers: HeaderMap, names: readonly StrictCheckedHeader[]): { readonly name: string; readonly value: string } | undefined {
  for (const name of names) {
    const v = headers[name];
    if (v === undefined) continue;
    // Repeated headers are one comma-joined value, as in Envoy's header map.
    const value = Array.isArray(v) ? v.join(',') : v;
    if (!valid(name, value)) return { name, value };
  }
  return undefined;
}
