// Retry decisions after each upstream attempt (Envoy's RetryStateImpl, x-envoy-retry-on semantics).
import type { RetryPolicy } from '../../../../router/index.js';
import type { UpstreamFailure, UpstreamResponse } from '../../../../upstream/conn-pool.js';

export type AttemptOutcome =
  | { kind: 'response'; response: UpstreamResponse; serviceTimeMs: number; finish: () => void; signal: AbortSignal }
  | { kind: 'failure'; failure: UpstreamFailure; perTry: boolean };

/** `retry`: try again; `done`: answer with this outcome; `exhausted`: retriable but no retries left (URX). */
export type RetryVerdict = 'retry' | 'done' | 'exhausted';

function retriable(outcome: AttemptOutcome, on: ReadonlySet<string>, codes: readonly number[]): boolean {
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
  if (on.has('retriable-status-codes') && codes.includes(s)) return true;
  const grpc = String(outcome.response.headers['grpc-status'] ?? '');
  if (grpc) {
    const code = Number(grpc);
    if ((on.has('cancelled') && code === 1) || (on.has('deadline-exceeded') && code === 4) || (on.has('resource-exhausted') && code === 8) || (on.has('unavailable') && code === 14) || (on.has('internal') && code === 13)) return true;
  }
  return false;
}

export function retryDecision(outcome: AttemptOutcome, policy: RetryPolicy | undefined, retriesLeft: number, bodyReplayable: boolean, deadline: number): RetryVerdict {
  if (!policy || !retriable(outcome, policy.retryOn, policy.retriableStatusCodes)) return 'done';
  if (retriesLeft <= 0 || !bodyReplayable || Date.now() >= deadline) return 'exhausted';
  return 'retry';
}

/**
 * Reads up to `limit` bytes of the request body. Returns every chunk when it fits (retries and
 * mirrors can replay it); otherwise the chunks read so far and the rest of the stream.
 */
export async function bufferBody(body: NodeJS.ReadableStream, limit: number): Promise<{ complete: boolean; chunks: Buffer[]; rest?: NodeJS.ReadableStream }> {
  const chunks: Buffer[] = [];
  let size = 0;
  const iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  for (;;) {
    const next = await iterator.next();
    if (next.done) return { complete: true, chunks };
    chunks.push(next.value);
    size += next.value.length;
    if (size > limit) {
      const rest = { [Symbol.asyncIterator]: () => iterator } as unknown as NodeJS.ReadableStream;
      return { complete: false, chunks, rest };
    }
  }
}
