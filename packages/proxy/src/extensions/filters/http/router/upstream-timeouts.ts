// The route's final timeouts for one request (Envoy's FilterUtility::finalTimeout): the route
// timeout, or for gRPC with grpc_timeout_header_max (max_grpc_timeout) the client's grpc-timeout
// less grpc_timeout_header_offset and capped at the maximum (0 = no cap); then, on trusted
// requests, x-envoy-upstream-rq-timeout-ms (or, with respect_expected_rq_timeout, an egress proxy's
// x-envoy-expected-rq-timeout-ms first) and x-envoy-upstream-rq-per-try-timeout-ms. A per-try
// timeout not below the global one is dropped. The two headers never go upstream (except
// x-envoy-upstream-rq-timeout-ms beside a respected expected timeout, which Envoy leaves alone).
// setTimeoutHeaders tells the upstream, on every attempt, the deadline left.
import type { HeaderMap } from '../../../../http/headers.js';
import type { ForwardDecision } from '../../../../router/index.js';

export interface FinalTimeouts {
  /** 0 = no route timeout. */
  readonly globalMs: number;
  /** 0 = each try bounded by the global timeout alone. */
  readonly perTryMs: number;
}

const UNIT_MS: Readonly<Record<string, number>> = { H: 3_600_000, M: 60_000, S: 1000, m: 1, u: 0.001, n: 0.000001 };

/** grpc-timeout (`<1-8 digits><H|M|S|m|u|n>`) in milliseconds, rounded up; undefined when absent or malformed. */
export function parseGrpcTimeout(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const m = /^(\d{1,8})([HMSmun])$/.exec(value.trim());
  if (!m) return undefined;
  return Math.ceil(Number(m[1]) * (UNIT_MS[m[2] ?? 'm'] ?? 1));
}

/** Milliseconds as a grpc-timeout value (at most 8 digits, in the smallest unit that fits). */
export function formatGrpcTimeout(ms: number): string {
  if (ms < 100_000_000) return `${ms}m`;
  const s = Math.ceil(ms / 1000);
  if (s < 100_000_000) return `${s}S`;
  return `${Math.min(99_999_999, Math.ceil(s / 60))}M`;
}

function readMs(headers: HeaderMap, name: string): number | undefined {
  const v = headers[name];
  const text = Array.isArray(v) ? v[0] : v;
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

function headerMs(headers: HeaderMap, name: string): number | undefined {
  const ms = readMs(headers, name);
  delete headers[name];
  return ms;
}

/** The router filter's config fields that shape the timeouts (router-config.ts). */
export interface TimeoutOptions {
  /** respect_expected_rq_timeout. */
  readonly respectExpectedRqTimeout?: boolean;
  /** False with suppress_envoy_headers: x-envoy-expected-rq-timeout-ms is not set (an incoming one is left as it is). */
  readonly setExpectedRqTimeout?: boolean;
}

const EXPECTED = 'x-envoy-expected-rq-timeout-ms';

/**
 * Reads and removes the timeout headers from `headers` (the upstream request headers); `trusted` is
 * false for edge requests, whose x-envoy-* timeout headers are ignored (and still removed).
 */
export function finalTimeouts(d: ForwardDecision, perTryFromPolicy: number | undefined, headers: HeaderMap, grpc: boolean, trusted: boolean, options: TimeoutOptions = {}): FinalTimeouts {
  let globalMs = d.timeoutMs;
  const grpcMax = d.grpcTimeoutHeaderMaxMs;
  if (grpc && grpcMax !== undefined) {
    const header = headers['grpc-timeout'];
    let t = parseGrpcTimeout(Array.isArray(header) ? header[0] : header) ?? 0;
    const offset = d.grpcTimeoutHeaderOffsetMs;
    if (offset !== undefined && offset < t) t -= offset;
    if (grpcMax !== 0 && (t === 0 || t > grpcMax)) t = grpcMax;
    globalMs = t;
  }
  let perTryMs = perTryFromPolicy ?? 0;
  // respect_expected_rq_timeout: the egress proxy's deadline wins, and x-envoy-upstream-rq-timeout-ms
  // (which that proxy consumed) is neither read nor removed, as in Envoy's FilterUtility::finalTimeout.
  if (options.respectExpectedRqTimeout && trusted && headers[EXPECTED] !== undefined) {
    globalMs = readMs(headers, EXPECTED) ?? globalMs;
  } else {
    const rq = headerMs(headers, 'x-envoy-upstream-rq-timeout-ms');
    if (trusted && rq !== undefined) globalMs = rq;
  }
  const perTry = headerMs(headers, 'x-envoy-upstream-rq-per-try-timeout-ms');
  if (trusted && perTry !== undefined) perTryMs = perTry;
  if (globalMs !== 0 && perTryMs >= globalMs) perTryMs = 0;
  const timeouts = { globalMs, perTryMs };
  setTimeoutHeaders(timeouts, 0, headers, timeoutHeaders(d, grpc, options));
  return timeouts;
}

/** Which headers tell the upstream its deadline (the arguments Envoy's setTimeoutHeaders is called with). */
export interface TimeoutHeaders {
  /** x-envoy-expected-rq-timeout-ms; not under suppress_envoy_headers. */
  readonly expected: boolean;
  /** grpc-timeout: a gRPC request on a route with a grpc-timeout cap is told the deadline the proxy enforces. */
  readonly grpcTimeout: boolean;
}

export function timeoutHeaders(d: ForwardDecision, grpc: boolean, options: TimeoutOptions = {}): TimeoutHeaders {
  return { expected: options.setExpectedRqTimeout !== false, grpcTimeout: grpc && d.grpcTimeoutHeaderMaxMs !== undefined };
}

/**
 * Envoy's FilterUtility::setTimeoutHeaders, run for the first attempt (elapsed 0) and again before
 * each retry: the per-try timeout (else the global one), but never more than what is left of the
 * global timeout `elapsedMs` after the request was complete; 1 ms once that is used up (0 would mean
 * no timeout). Envoy recomputes it on retries since 1.21 (envoyproxy/envoy#19002, issue #13196).
 */
export function setTimeoutHeaders(t: FinalTimeouts, elapsedMs: number, headers: HeaderMap, which: TimeoutHeaders): void {
  let expected = t.perTryMs > 0 ? t.perTryMs : t.globalMs;
  if (expected <= 0) return;
  if (t.globalMs > 0) expected = elapsedMs >= t.globalMs ? 1 : Math.min(expected, t.globalMs - elapsedMs);
  if (which.expected) headers[EXPECTED] = String(expected);
  if (which.grpcTimeout) headers['grpc-timeout'] = formatGrpcTimeout(expected);
}
