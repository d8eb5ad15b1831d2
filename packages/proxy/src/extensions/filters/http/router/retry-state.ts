// Retry decisions after each upstream attempt (Envoy's RetryStateImpl): the route's retry policy,
// merged on trusted requests with x-envoy-retry-on, x-envoy-retry-grpc-on, x-envoy-max-retries,
// x-envoy-retriable-status-codes and x-envoy-retriable-header-names; retriable_request_headers
// gate retries as a whole, retriable_headers (`retriable-headers`) look at the response.
import type { HeaderMap } from '../../../../http/headers.js';
import type { HeaderMatch, HeaderSource, RetryPolicy } from '../../../../router/index.js';
import type { UpstreamFailure, UpstreamResponse } from '../../../../upstream/conn-pool.js';
import type { CancelSignal } from '../../../../upstream/cancellation.js';

export type AttemptOutcome =
  | { kind: 'response'; response: UpstreamResponse; serviceTimeMs: number; finish: () => void; signal: CancelSignal }
  | { kind: 'failure'; failure: UpstreamFailure; perTry: boolean }
  /** The stream ended first (downstream gone, max_stream_duration, idle_timeout): nothing to answer. */
  | { kind: 'cancelled' };

/** `retry`: try again; `done`: answer with this outcome; `exhausted`: retriable but no retries left (URX). */
export type RetryVerdict = 'retry' | 'done' | 'exhausted';

/** Header names Envoy's retry state reads from the request. */
export const RETRY_HEADERS = ['x-envoy-retry-on', 'x-envoy-retry-grpc-on', 'x-envoy-max-retries', 'x-envoy-retriable-status-codes', 'x-envoy-retriable-header-names'] as const;

function headerText(headers: HeaderMap, name: string): string | undefined {
  const v = headers[name];
  return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : v;
}

function tokens(text: string | undefined): string[] {
  return (text ?? '').split(',').map((t) => t.trim()).filter(Boolean);
}

const presentMatcher = (name: string): HeaderMatch => ({ name, matches: (h) => h.header(name) !== undefined });

/**
 * The retry policy for one request. Edge (untrusted) requests lose the five headers and get the
 * route's policy alone; trusted ones keep them (a next hop may read them too) and have them merged.
 * `request` is the request as matched, for retriable_request_headers.
 */
export function effectiveRetryPolicy(route: RetryPolicy | undefined, headers: HeaderMap, trusted: boolean, request: HeaderSource): RetryPolicy | undefined {
  if (!trusted) {
    for (const h of RETRY_HEADERS) delete headers[h];
  }
  let policy = route;
  if (trusted && RETRY_HEADERS.some((h) => headers[h] !== undefined)) {
    const on = [...tokens(headerText(headers, 'x-envoy-retry-on')), ...tokens(headerText(headers, 'x-envoy-retry-grpc-on'))];
    const max = headerText(headers, 'x-envoy-max-retries');
    const codes = tokens(headerText(headers, 'x-envoy-retriable-status-codes')).map(Number).filter((n) => Number.isInteger(n));
    const names = tokens(headerText(headers, 'x-envoy-retriable-header-names')).map((n) => n.toLowerCase());
    if (on.length > 0 || (max !== undefined && /^\d+$/.test(max)) || codes.length > 0 || names.length > 0) {
      const base: RetryPolicy = route ?? DEFAULT_POLICY;
      policy = {
        ...base,
        retryOn: on.length > 0 ? new Set([...base.retryOn, ...on]) : base.retryOn,
        // The header wins over the route's num_retries (RetryStateImpl).
        ...(max !== undefined && /^\d+$/.test(max) ? { numRetries: Number(max) } : {}),
        retriableStatusCodes: codes.length > 0 ? [...base.retriableStatusCodes, ...codes] : base.retriableStatusCodes,
        retriableHeaders: names.length > 0 ? [...base.retriableHeaders, ...names.map(presentMatcher)] : base.retriableHeaders,
      };
    }
  }
  if (!policy || policy.retryOn.size === 0) return undefined;
  // retriable_request_headers: when configured, a request must match one of them to be retried at all.
  if (policy.retriableRequestHeaders.length > 0 && !policy.retriableRequestHeaders.some((m) => m.matches(request))) return undefined;
  return policy;
}

/** A request with no route policy that only sets headers: Envoy's defaults (one retry, 25 ms back-off). */
const DEFAULT_POLICY: RetryPolicy = {
  retryOn: new Set(),
  numRetries: 1,
  retryHostPredicates: [],
  previousHosts: false,
  hostSelectionRetryMaxAttempts: 1,
  retriableStatusCodes: [],
  backOffBaseMs: 25,
  backOffMaxMs: 250,
  retriableHeaders: [],
  retriableRequestHeaders: [],
};

function responseHeaders(res: UpstreamResponse): HeaderSource {
  return {
    header: (name) => {
      const v = res.headers[name];
      return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : v;
    },
  };
}

function retriable(outcome: AttemptOutcome, policy: RetryPolicy): boolean {
  const on = policy.retryOn;
  if (outcome.kind === 'cancelled') return false;
  if (outcome.kind === 'failure') {
    switch (outcome.failure) {
      case 'connect-failure':
        return on.has('connect-failure') || on.has('5xx') || on.has('gateway-error') || on.has('reset');
      case 'refused-stream':
        return on.has('refused-stream') || on.has('5xx') || on.has('reset');
      case 'reset':
        return on.has('reset') || on.has('5xx') || on.has('gateway-error');
      case 'timeout':
        // Only a per-try timeout is retried; the global timeout ends the request.
        return outcome.perTry && (on.has('5xx') || on.has('gateway-error') || on.has('reset'));
      case 'overflow':
        // Envoy never retries a circuit-breaker overflow (RetryStateImpl::wouldRetryFromReset).
        return false;
    }
  }
  const s = outcome.response.status;
  if (on.has('5xx') && s >= 500) return true;
  if (on.has('gateway-error') && (s === 502 || s === 503 || s === 504)) return true;
  if (on.has('retriable-4xx') && s === 409) return true;
  if (on.has('retriable-status-codes') && policy.retriableStatusCodes.includes(s)) return true;
  if (on.has('retriable-headers') && policy.retriableHeaders.length > 0) {
    const h = responseHeaders(outcome.response);
    if (policy.retriableHeaders.some((m) => m.matches(h))) return true;
  }
  const grpc = String(outcome.response.headers['grpc-status'] ?? '');
  if (grpc) {
    const code = Number(grpc);
    if ((on.has('cancelled') && code === 1) || (on.has('deadline-exceeded') && code === 4) || (on.has('resource-exhausted') && code === 8) || (on.has('unavailable') && code === 14) || (on.has('internal') && code === 13)) return true;
  }
  return false;
}

export function retryDecision(outcome: AttemptOutcome, policy: RetryPolicy | undefined, retriesLeft: number, bodyReplayable: boolean, deadline: number): RetryVerdict {
  if (!policy || !retriable(outcome, policy)) return 'done';
  if (retriesLeft <= 0 || !bodyReplayable || Date.now() >= deadline) return 'exhausted';
  return 'retry';
}

/**
 * Reads up to `limit` bytes of the request body. Returns every chunk when it fits (retries and
 * mirrors can replay it); otherwise the chunks read so far and the rest of the stream.
 * `onChunk` sees every chunk read here (the route idle timer).
 */
export async function bufferBody(body: NodeJS.ReadableStream, limit: number, onChunk?: () => void): Promise<{ complete: boolean; chunks: Buffer[]; size: number; rest?: NodeJS.ReadableStream }> {
  // A request the codec has read to its end without a body byte (most GETs): nothing to wait for.
  if ((body as { bodyless?: boolean }).bodyless === true) {
    body.resume();
    return { complete: true, chunks: [], size: 0 };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { complete: true, chunks, size };
    onChunk?.();
    chunks.push(next.value);
    size += next.value.length;
    if (size > limit) {
      const rest = { [Symbol.asyncIterator]: () => iterator } as unknown as NodeJS.ReadableStream;
      return { complete: false, chunks, size, rest };
    }
  }
}
