import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import type { ForwardDecision, RetryPolicy } from '../../../../router/index.js';
import { UpstreamError, type ConnPool, type UpstreamResponse } from '../../../../upstream/conn-pool.js';
import type { ClusterCounters, UpstreamCluster, UpstreamHost } from '../../../../upstream/upstream-cluster.js';
import { createRouterFilter } from './router-filter.js';

type Answer = () => Promise<UpstreamResponse>;

function fakeCluster(answers: Answer[]) {
  const counters = Object.fromEntries(
    ['upstream_rq_total', 'upstream_rq_retry', 'upstream_rq_retry_overflow', 'upstream_rq_pending_overflow', 'upstream_rq_timeout', 'upstream_cx_connect_fail', 'upstream_rq_rx_reset', 'upstream_cx_total', 'upstream_cx_overflow'].map((n) => [n, { value: 0 }]),
  ) as unknown as ClusterCounters;
  const results: number[] = [];
  let calls = 0;
  const pool: ConnPool = {
    protocol: 'http1',
    request: () => answers[Math.min(calls++, answers.length - 1)]!(),
    activeConnections: () => 0,
    drain: () => undefined,
    close: () => undefined,
  };
  const host: UpstreamHost = { address: '127.0.0.1', port: 8080, pool, active: 0, recordResult: (s) => results.push(s), begin: () => undefined, end: () => undefined };
  const cluster: UpstreamCluster = {
    name: 'c',
    counters,
    chooseHost: () => host,
    tryStartRequest: () => true,
    finishRequest: () => undefined,
    tryStartConnection: () => true,
    finishConnection: () => undefined,
    tryStartRetry: () => true,
    finishRetry: () => undefined,
    recordStatus: () => undefined,
  };
  return { cluster, counters, results, calls: () => calls };
}

const retry5xx = { retryOn: new Set(['5xx']), numRetries: 3, retryHostPredicates: [], previousHosts: false, hostSelectionRetryMaxAttempts: 1, retriableStatusCodes: [], backOffBaseMs: 1, backOffMaxMs: 1, retriableHeaders: [], retriableRequestHeaders: [] } as unknown as RetryPolicy;

function fakeStream(retry?: RetryPolicy) {
  const response = new PassThrough() as PassThrough & { writeHead: (s: number) => void; status?: number };
  response.writeHead = (s) => (response.status = s);
  const local: { status: number; body: string; flag?: string }[] = [];
  const decision = { kind: 'forward', cluster: 'c', timeoutMs: 0, mirrors: [], requestHeaderMutations: [], responseHeaderMutations: [], ...(retry ? { retry } : {}) } as unknown as ForwardDecision;
  const ctx = {
    method: 'GET',
    path: '/',
    authority: 'web',
    downstreamHeaders: {},
    upstreamHeaders: {},
    responseHeaders: {},
    responseFlags: new Set<string>(),
    decision,
    response: response,
    sendLocalReply: (status: number, body: string, flag?: string) => local.push({ status, body, ...(flag ? { flag } : {}) }),
  } as unknown as RoutedStream;
  return { ctx, response, local };
}

const overflow: Answer = () => Promise.reject(new UpstreamError('overflow', 'pending requests overflow'));
const status =
  (s: number, body = new PassThrough()): Answer =>
  () =>
    Promise.resolve({ status: s, headers: {}, body });

describe('router filter', () => {
  it('answers a pool overflow with 503 UO, counts it, and neither retries nor blames the host', async () => {
    const f = fakeCluster([overflow, status(200)]);
    const s = fakeStream(retry5xx);
    await createRouterFilter({ clusters: { get: () => f.cluster } }).decode(s.ctx);
    expect(s.local).toEqual([{ status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow', flag: 'UO' }]);
    expect(f.calls()).toBe(1);
    expect(f.counters.upstream_rq_pending_overflow.value).toBe(1);
    expect(f.counters.upstream_rq_total.value).toBe(0);
    expect(f.results).toEqual([]);
  });

  it('retries 5xx responses and counts each retry', async () => {
    const f = fakeCluster([status(503), status(503), status(200)]);
    const s = fakeStream(retry5xx);
    await createRouterFilter({ clusters: { get: () => f.cluster } }).decode(s.ctx);
    expect(s.response.status).toBe(200);
    expect(f.counters.upstream_rq_retry.value).toBe(2);
    expect(f.counters.upstream_rq_total.value).toBe(3);
  });

  it('resets the upstream response when the downstream goes away mid-body', async () => {
    const body = new PassThrough();
    const f = fakeCluster([status(200, body)]);
    const s = fakeStream();
    await createRouterFilter({ clusters: { get: () => f.cluster } }).decode(s.ctx);
    body.write('partial');
    s.response.destroy();
    await new Promise((r) => setImmediate(r));
    expect(body.destroyed).toBe(true);
  });

  it('resets the upstream response at once when the downstream left before it arrived', async () => {
    const body = new PassThrough();
    const f = fakeCluster([status(200, body)]);
    const s = fakeStream();
    s.response.destroy();
    await createRouterFilter({ clusters: { get: () => f.cluster } }).decode(s.ctx);
    expect(body.destroyed).toBe(true);
  });
});
