import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import { compileHeaderMatcher, createRequestHead, type ForwardDecision, type HeaderMutation, type RetryPolicy } from '../../../../router/index.js';
import { IssueCollector } from '@weft/base';
import { compileHeaderMutations } from '../../../../router/header-mutation.js';
import { UpstreamError, type ConnPool, type UpstreamRequest, type UpstreamResponse } from '../../../../upstream/conn-pool.js';
import { LOCAL_ORIGIN_FAILURE, LOCAL_ORIGIN_TIMEOUT, type ClusterCounters, type UpstreamCluster, type UpstreamHost } from '../../../../upstream/upstream-cluster.js';
import { DEFAULT_ROUTER_CONFIG, type RouterConfig } from './router-config.js';
import { createRouterFilter } from './router-filter.js';
import type { CancelSignal } from '../../../../upstream/cancellation.js';

type Answer = (signal: CancelSignal) => Promise<UpstreamResponse>;

const COUNTERS = ['upstream_rq_total', 'upstream_rq_retry', 'upstream_rq_retry_overflow', 'upstream_rq_pending_overflow', 'upstream_rq_timeout', 'upstream_cx_connect_fail', 'upstream_rq_rx_reset', 'upstream_rq_tx_reset', 'upstream_cx_destroy_local_with_active_rq', 'upstream_cx_total', 'upstream_cx_overflow'];

function fakeCluster(answers: Answer[], opts: { hostname?: string } = {}) {
  const counters = Object.fromEntries(COUNTERS.map((n) => [n, { value: 0 }])) as unknown as ClusterCounters & Record<string, { value: number }>;
  const results: number[] = [];
  const sent: { req: UpstreamRequest; body: string | undefined }[] = [];
  let calls = 0;
  let active = 0;
  const pool: ConnPool = {
    protocol: 'http1',
    request: async (req, body, signal) => {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      let text: string | undefined;
      if (body) {
        text = '';
        for await (const c of body as AsyncIterable<Buffer>) text += c.toString();
      }
      sent.push({ req: { ...req, headers: { ...req.headers } }, body: text });
      return answer(signal);
    },
    activeConnections: () => 0,
    drain: () => undefined,
    close: () => undefined,
  };
  const host: UpstreamHost = {
    address: '10.0.0.7',
    port: 8080,
    pool,
    ...(opts.hostname ? { hostname: opts.hostname } : {}),
    get active() {
      return active;
    },
    recordResult: (s) => results.push(s),
    begin: () => void active++,
    end: () => void active--,
  };
  let requests = 0;
  /** The priority of every circuit-breaker call: request start/finish, retry start/finish. */
  const priorities: string[] = [];
  const cluster: UpstreamCluster = {
    name: 'c',
    counters,
    chooseHost: () => host,
    tryStartRequest: (p) => (priorities.push(`start:${p}`), requests++, true),
    finishRequest: (p) => void (priorities.push(`finish:${p}`), requests--),
    tryStartConnection: () => true,
    finishConnection: () => undefined,
    tryStartRetry: (p) => (priorities.push(`retry:${p}`), true),
    finishRetry: (p) => void priorities.push(`retried:${p}`),
    recordStatus: () => undefined,
  };
  return { cluster, counters, results, sent, host, priorities, calls: () => calls, requests: () => requests };
}

function policy(over: Partial<RetryPolicy> = {}): RetryPolicy {
  return { retryOn: new Set(['5xx']), numRetries: 3, retryHostPredicates: [], previousHosts: false, hostSelectionRetryMaxAttempts: 1, retriableStatusCodes: [], backOffBaseMs: 1, backOffMaxMs: 1, retriableHeaders: [], retriableRequestHeaders: [], ...over };
}

interface StreamInit {
  retry?: RetryPolicy;
  decision?: Partial<ForwardDecision>;
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  edgeRequest?: boolean;
  internalRequest?: boolean;
}

function fakeStream(init: StreamInit = {}) {
  const response = new PassThrough() as PassThrough & { writeHead: (s: number, h: Record<string, unknown>) => void; status?: number; sentHeaders?: Record<string, unknown> };
  response.writeHead = (s, h) => {
    response.status = s;
    response.sentHeaders = h;
  };
  const local: { status: number; body: string; flag?: string }[] = [];
  const decision = {
    kind: 'forward',
    cluster: 'c',
    route: { name: 'r' },
    timeoutMs: 0,
    mirrors: [],
    requestHeaderMutations: [],
    responseHeaderMutations: [],
    internalOnlyHeaders: [],
    includeAttemptCountInRequest: false,
    includeAttemptCountInResponse: false,
    autoHostRewrite: false,
    appendXForwardedHost: false,
    ...(init.retry ? { retry: init.retry } : {}),
    ...init.decision,
  } as unknown as ForwardDecision;
  const headers = init.headers ?? {};
  const body = new PassThrough();
  body.end(init.body);
  const responseHeaders: Record<string, string> = {};
  const ctx = {
    method: init.method ?? 'GET',
    path: init.path ?? '/p',
    authority: 'web',
    scheme: 'http',
    protocol: 'HTTP/1.1',
    startedAt: Date.now(),
    downstreamHeaders: headers,
    upstreamHeaders: { ...headers },
    responseHeaders,
    responseFlags: new Set<string>(),
    head: createRequestHead({ method: init.method ?? 'GET', authority: 'web', path: init.path ?? '/p', headers }),
    body,
    decision,
    response,
    get responded() {
      return response.status !== undefined || local.length > 0;
    },
    ...(init.edgeRequest !== undefined ? { edgeRequest: init.edgeRequest } : {}),
    ...(init.internalRequest !== undefined ? { internalRequest: init.internalRequest } : {}),
    sendLocalReply: (status: number, text: string, flag?: string) => {
      local.push({ status, body: text, ...(flag ? { flag } : {}) });
      response.end();
    },
  } as unknown as RoutedStream;
  return { ctx, response, local, responseHeaders };
}

const overflow: Answer = () => Promise.reject(new UpstreamError('overflow', 'pending requests overflow'));
const status =
  (s: number, body = ended(), headers: Record<string, string> = {}): Answer =>
  () =>
    Promise.resolve({ status: s, headers, body });
/** An upstream that never answers: the attempt ends only when its signal aborts (as the real pools do). */
const hang: Answer = (signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new UpstreamError('timeout', 'upstream request timeout'))));

function ended(): PassThrough {
  const p = new PassThrough();
  p.end();
  return p;
}

async function route(f: ReturnType<typeof fakeCluster>, s: ReturnType<typeof fakeStream>, config?: Partial<RouterConfig>): Promise<void> {
  await createRouterFilter({ clusters: { get: () => f.cluster }, ...(config ? { config: { ...DEFAULT_ROUTER_CONFIG, ...config } } : {}) }).decode(s.ctx);
}

describe('router filter', () => {
  it('answers a pool overflow with 503 UO, counts it, and neither retries nor blames the host', async () => {
    const f = fakeCluster([overflow, status(200)]);
    const s = fakeStream({ retry: policy() });
    await route(f, s);
    expect(s.local).toEqual([{ status: 503, body: 'upstream connect error or disconnect/reset before headers. reset reason: overflow', flag: 'UO' }]);
    expect(f.calls()).toBe(1);
    expect(f.counters.upstream_rq_pending_overflow.value).toBe(1);
    expect(f.counters.upstream_rq_total.value).toBe(0);
    expect(f.results).toEqual([]);
  });

  it('retries 5xx responses and counts each retry', async () => {
    const f = fakeCluster([status(503), status(503), status(200)]);
    const s = fakeStream({ retry: policy() });
    await route(f, s);
    expect(s.response.status).toBe(200);
    expect(f.counters.upstream_rq_retry.value).toBe(2);
    expect(f.counters.upstream_rq_total.value).toBe(3);
  });

  it.each([0, 1, 2, 5])('honours num_retries = %i exactly: that many retries, then the last answer with URX', async (n) => {
    const f = fakeCluster([status(503)]);
    const s = fakeStream({ retry: policy({ numRetries: n }) });
    await route(f, s);
    expect(f.calls()).toBe(n + 1);
    expect(f.counters.upstream_rq_retry.value).toBe(n);
    expect(s.response.status).toBe(503);
    expect(s.ctx.responseFlags.has('URX')).toBe(true);
  });

  it('ends a try at its per-try timeout, retries it, and answers 504 UT once retries run out', async () => {
    const f = fakeCluster([hang]);
    const s = fakeStream({ retry: policy({ numRetries: 2, perTryTimeoutMs: 20 }), decision: { timeoutMs: 10_000 } });
    await route(f, s);
    expect(f.calls()).toBe(3);
    expect(f.counters.upstream_rq_timeout.value).toBe(3);
    expect(s.local).toEqual([{ status: 504, body: 'upstream request timeout', flag: 'UT' }]);
    expect(s.ctx.responseFlags.has('URX')).toBe(true);
    expect(f.sent[0]?.req.headers['x-envoy-expected-rq-timeout-ms']).toBe('20');
  });

  it('does not retry the global route timeout', async () => {
    const f = fakeCluster([hang]);
    const s = fakeStream({ retry: policy({ numRetries: 3 }), decision: { timeoutMs: 30 } });
    await route(f, s);
    expect(f.calls()).toBe(1);
    expect(s.local[0]).toMatchObject({ status: 504, flag: 'UT' });
  });

  it('ends a try with per_try_idle_timeout when the upstream sends nothing', async () => {
    const f = fakeCluster([hang, status(200)]);
    const s = fakeStream({ retry: policy({ numRetries: 1, perTryIdleTimeoutMs: 20 }) });
    await route(f, s);
    expect(f.calls()).toBe(2);
    expect(s.response.status).toBe(200);
  });

  it('forwards a GET body with the Content-Length it was framed with', async () => {
    const f = fakeCluster([status(200)]);
    const body = 'x'.repeat(195);
    const s = fakeStream({ method: 'GET', headers: { 'content-length': '195' }, body });
    await route(f, s);
    expect(f.sent[0]?.body).toBe(body);
    expect(f.sent[0]?.req.headers['content-length']).toBe('195');
  });

  it('never sends a Content-Length for a body it does not send', async () => {
    const f = fakeCluster([status(200)]);
    const s = fakeStream({ method: 'GET', headers: {} });
    s.ctx.upstreamHeaders['transfer-encoding'] = 'chunked';
    await route(f, s);
    expect(f.sent[0]?.body).toBeUndefined();
    expect(f.sent[0]?.req.headers['content-length']).toBeUndefined();
    expect(f.sent[0]?.req.headers['transfer-encoding']).toBeUndefined();
  });

  it('cancels the upstream attempt when the downstream leaves before the response: no reply, units released', async () => {
    const f = fakeCluster([hang]);
    const s = fakeStream({ retry: policy() });
    const done = route(f, s);
    await new Promise((r) => setTimeout(r, 5));
    expect(f.host.active).toBe(1);
    s.response.destroy();
    await done;
    expect(f.host.active).toBe(0);
    expect(f.requests()).toBe(0);
    expect(f.calls()).toBe(1);
    expect(s.local).toEqual([]);
    expect(f.counters['upstream_rq_tx_reset']?.value).toBe(1);
    expect(f.counters['upstream_cx_destroy_local_with_active_rq']?.value).toBe(1);
  });

  it('cancels a retry back-off when the downstream leaves', async () => {
    const f = fakeCluster([status(503)]);
    const s = fakeStream({ retry: policy({ numRetries: 5, backOffBaseMs: 60_000, backOffMaxMs: 60_000 }) });
    const done = route(f, s);
    await new Promise((r) => setTimeout(r, 5));
    s.response.destroy();
    await done;
    expect(f.calls()).toBe(1);
    expect(f.requests()).toBe(0);
  });

  it('never calls the upstream for a downstream that already left', async () => {
    const f = fakeCluster([status(200)]);
    const s = fakeStream();
    s.response.destroy();
    await route(f, s);
    expect(f.calls()).toBe(0);
  });

  it('resets the upstream response when the downstream goes away mid-body', async () => {
    const body = new PassThrough();
    const f = fakeCluster([status(200, body)]);
    const s = fakeStream();
    await route(f, s);
    body.write('partial');
    s.response.destroy();
    await new Promise((r) => setImmediate(r));
    expect(body.destroyed).toBe(true);
  });

  it('answers 408 DT when max_stream_duration passes before the response', async () => {
    const f = fakeCluster([hang]);
    const s = fakeStream({ decision: { maxStreamDurationMs: 20 } });
    await route(f, s);
    expect(s.local).toEqual([{ status: 408, body: 'downstream duration timeout', flag: 'DT' }]);
    expect(f.host.active).toBe(0);
  });

  it('answers 408 SI when the route idle_timeout passes with no activity', async () => {
    const f = fakeCluster([hang]);
    const s = fakeStream({ decision: { idleTimeoutMs: 20 } });
    await route(f, s);
    expect(s.local).toEqual([{ status: 408, body: 'stream timeout', flag: 'SI' }]);
  });

  describe('x-envoy-* control headers', () => {
    const control = { 'x-envoy-retry-on': '5xx', 'x-envoy-max-retries': '2', 'x-envoy-upstream-rq-timeout-ms': '1234' };

    it('honours them on a trusted request: retry-on and max-retries set the policy, the timeout is used and stripped', async () => {
      const f = fakeCluster([status(503)]);
      const s = fakeStream({ headers: control, edgeRequest: false });
      await route(f, s);
      expect(f.calls()).toBe(3);
      const h = f.sent[0]!.req.headers;
      expect(h['x-envoy-upstream-rq-timeout-ms']).toBeUndefined();
      expect(h['x-envoy-expected-rq-timeout-ms']).toBe('1234');
      expect(h['x-envoy-retry-on']).toBe('5xx');
    });

    it.each([[true], [undefined]])('ignores and removes them on an edge request (edgeRequest %s)', async (edge) => {
      const f = fakeCluster([status(503)]);
      const s = fakeStream({ headers: control, ...(edge !== undefined ? { edgeRequest: edge } : {}) });
      await route(f, s);
      expect(f.calls()).toBe(1);
      const h = f.sent[0]!.req.headers;
      expect(h['x-envoy-retry-on']).toBeUndefined();
      expect(h['x-envoy-max-retries']).toBeUndefined();
      expect(h['x-envoy-upstream-rq-timeout-ms']).toBeUndefined();
      expect(h['x-envoy-expected-rq-timeout-ms']).toBeUndefined();
    });

    it('x-envoy-max-retries wins over the route num_retries', async () => {
      const f = fakeCluster([status(503)]);
      const s = fakeStream({ retry: policy({ numRetries: 4 }), headers: { 'x-envoy-max-retries': '1' }, edgeRequest: false });
      await route(f, s);
      expect(f.calls()).toBe(2);
    });

    it('x-envoy-upstream-rq-per-try-timeout-ms bounds each try', async () => {
      const f = fakeCluster([hang, status(200)]);
      const s = fakeStream({ retry: policy({ numRetries: 1 }), headers: { 'x-envoy-upstream-rq-per-try-timeout-ms': '20' }, edgeRequest: false, decision: { timeoutMs: 10_000 } });
      await route(f, s);
      expect(f.calls()).toBe(2);
      expect(s.response.status).toBe(200);
    });
  });

  describe('retry policy conditions', () => {
    it('retries only requests matching retriable_request_headers', async () => {
      const gate = compileHeaderMatcher({ name: 'x-retry-me', present_match: true } as never, new IssueCollector());
      for (const [headers, calls] of [[{}, 1], [{ 'x-retry-me': '1' }, 3]] as const) {
        const f = fakeCluster([status(503)]);
        const s = fakeStream({ retry: policy({ numRetries: 2, retriableRequestHeaders: [gate] }), headers });
        await route(f, s);
        expect(f.calls()).toBe(calls);
      }
    });

    it('retries a response matching retriable_headers under retriable-headers', async () => {
      const m = compileHeaderMatcher({ name: 'x-upstream-retry', present_match: true } as never, new IssueCollector());
      const f = fakeCluster([status(200, ended(), { 'x-upstream-retry': 'yes' }), status(201)]);
      const s = fakeStream({ retry: policy({ retryOn: new Set(['retriable-headers']), retriableHeaders: [m] }) });
      await route(f, s);
      expect(f.calls()).toBe(2);
      expect(s.response.status).toBe(201);
    });

    it('retries the retriable_status_codes under retriable-status-codes, and no others', async () => {
      const f = fakeCluster([status(418), status(404), status(200)]);
      const s = fakeStream({ retry: policy({ retryOn: new Set(['retriable-status-codes']), retriableStatusCodes: [418] }) });
      await route(f, s);
      expect(f.calls()).toBe(2);
      expect(s.response.status).toBe(404);
    });
  });

  describe('request headers', () => {
    function mutations(value: string): HeaderMutation[] {
      const issues = new IssueCollector();
      const m = compileHeaderMutations([{ header: { key: 'x-v', value }, append: null, append_action: 'APPEND_IF_EXISTS_OR_ADD', keep_empty_value: false } as never], [], issues, 'a', 'r');
      expect(issues.errors).toEqual([]);
      return m;
    }

    it('removes internal_only_headers from requests that are not internal', async () => {
      for (const [internal, kept] of [[false, false], [true, true]] as const) {
        const f = fakeCluster([status(200)]);
        const s = fakeStream({ headers: { 'x-secret': 's' }, internalRequest: internal, decision: { internalOnlyHeaders: ['x-secret'] } });
        await route(f, s);
        expect(f.sent[0]!.req.headers['x-secret'] !== undefined).toBe(kept);
      }
    });

    it('substitutes %VARIABLES% in request and response headers', async () => {
      const f = fakeCluster([status(200)]);
      const s = fakeStream({
        headers: { 'x-in': 'abc' },
        decision: { requestHeaderMutations: mutations('%REQ(x-in)%|%PROTOCOL%|%UPSTREAM_REMOTE_ADDRESS%|100%%'), responseHeaderMutations: mutations('%UPSTREAM_REMOTE_ADDRESS%') },
      });
      await route(f, s);
      expect(f.sent[0]!.req.headers['x-v']).toBe('abc|HTTP/1.1|10.0.0.7:8080|100%');
      expect(s.response.sentHeaders?.['x-v']).toBe('10.0.0.7:8080');
    });

    it('appends the original host to x-forwarded-host when the host is rewritten', async () => {
      const f = fakeCluster([status(200)]);
      const s = fakeStream({ decision: { hostRewrite: 'inner', appendXForwardedHost: true } });
      await route(f, s);
      expect(f.sent[0]!.req.authority).toBe('inner');
      expect(f.sent[0]!.req.headers['x-forwarded-host']).toBe('web');
    });

    it('counts attempts in x-envoy-attempt-count when asked', async () => {
      const f = fakeCluster([status(503), status(200)]);
      const s = fakeStream({ retry: policy({ numRetries: 1 }), decision: { includeAttemptCountInRequest: true, includeAttemptCountInResponse: true } });
      await route(f, s);
      expect(f.sent.map((x) => x.req.headers['x-envoy-attempt-count'])).toEqual(['1', '2']);
      expect(s.response.sentHeaders?.['x-envoy-attempt-count']).toBe('2');
    });
  });

  describe('outlier detection', () => {
    it('reports a per-try timeout and the route timeout as LOCAL_ORIGIN_TIMEOUT (-1), a reset as LOCAL_ORIGIN_FAILURE (0)', async () => {
      const perTry = fakeCluster([hang]);
      await route(perTry, fakeStream({ retry: policy({ numRetries: 1, perTryTimeoutMs: 10 }), decision: { timeoutMs: 10_000 } }));
      expect(perTry.results).toEqual([LOCAL_ORIGIN_TIMEOUT, LOCAL_ORIGIN_TIMEOUT]);
      const global = fakeCluster([hang]);
      await route(global, fakeStream({ decision: { timeoutMs: 10 } }));
      expect(global.results).toEqual([LOCAL_ORIGIN_TIMEOUT]);
      const reset = fakeCluster([() => Promise.reject(new UpstreamError('reset', 'socket hang up'))]);
      await route(reset, fakeStream());
      expect(reset.results).toEqual([LOCAL_ORIGIN_FAILURE]);
    });

    it('tells the detector nothing of a request that timed out in the pool queue (the host never saw it)', async () => {
      const queued = fakeCluster([() => Promise.reject(new UpstreamError('timeout', 'upstream request timeout', true))]);
      await route(queued, fakeStream());
      expect(queued.results).toEqual([]);
    });
  });

  describe('route priority', () => {
    it.each(['DEFAULT', 'HIGH'] as const)('takes requests and retries from the %s circuit breakers', async (priority) => {
      const f = fakeCluster([status(503), status(200)]);
      await route(f, fakeStream({ retry: policy({ numRetries: 1 }), decision: { priority } }));
      expect(f.priorities).toEqual([`start:${priority}`, `retry:${priority}`, `retried:${priority}`, `finish:${priority}`]);
    });
  });

  describe('auto_host_rewrite', () => {
    it('sets :authority to the chosen host\'s hostname, and appends the original to x-forwarded-host', async () => {
      const f = fakeCluster([status(200)], { hostname: 'reviews.internal' });
      const s = fakeStream({ decision: { autoHostRewrite: true, appendXForwardedHost: true } });
      await route(f, s);
      expect(f.sent[0]!.req.authority).toBe('reviews.internal');
      expect(f.sent[0]!.req.headers['x-forwarded-host']).toBe('web');
    });

    it.each([
      ['a host without a hostname', {}, { autoHostRewrite: true }],
      ['a route without auto_host_rewrite', { hostname: 'reviews.internal' }, { autoHostRewrite: false }],
    ])('leaves :authority unchanged for %s', async (_what, host, decision) => {
      const f = fakeCluster([status(200)], host);
      await route(f, fakeStream({ decision }));
      expect(f.sent[0]!.req.authority).toBe('web');
    });

    it('rewrites the authority on retries too', async () => {
      const f = fakeCluster([status(503), status(200)], { hostname: 'reviews.internal' });
      await route(f, fakeStream({ retry: policy({ numRetries: 1 }), decision: { autoHostRewrite: true } }));
      expect(f.sent.map((x) => x.req.authority)).toEqual(['reviews.internal', 'reviews.internal']);
    });
  });

  describe('x-envoy-original-path', () => {
    const removing = (): HeaderMutation[] => compileHeaderMutations([], ['x-envoy-original-path'], new IssueCollector(), 'a', 'r');

    it('carries the :path as received (query included) when the route rewrites the path, on every attempt', async () => {
      const f = fakeCluster([status(503), status(200)]);
      const s = fakeStream({ path: '/api/items?x=1', retry: policy({ numRetries: 1 }), decision: { pathRewrite: '/items' } });
      await route(f, s);
      expect(f.sent.map((x) => [x.req.path, x.req.headers['x-envoy-original-path']])).toEqual([
        ['/items?x=1', '/api/items?x=1'],
        ['/items?x=1', '/api/items?x=1'],
      ]);
    });

    it("is set after the route's header mutations (request_headers_to_remove cannot drop it) and replaces a trusted one", async () => {
      const f = fakeCluster([status(200)]);
      const s = fakeStream({ path: '/api/items', headers: { 'x-envoy-original-path': '/earlier' }, edgeRequest: false, decision: { pathRewrite: '/items', requestHeaderMutations: removing() } });
      await route(f, s);
      expect(f.sent[0]!.req.headers['x-envoy-original-path']).toBe('/api/items');
    });

    it('is not added without a rewrite, nor under suppress_envoy_headers', async () => {
      const plain = fakeCluster([status(200)]);
      await route(plain, fakeStream({ path: '/api/items' }));
      expect(plain.sent[0]!.req.headers['x-envoy-original-path']).toBeUndefined();
      const suppressed = fakeCluster([status(200)]);
      await route(suppressed, fakeStream({ path: '/api/items', decision: { pathRewrite: '/items' } }), { suppressEnvoyHeaders: true });
      expect(suppressed.sent[0]!.req.path).toBe('/items');
      expect(suppressed.sent[0]!.req.headers['x-envoy-original-path']).toBeUndefined();
    });
  });

  describe('timeout headers on retries', () => {
    // Only Date is faked: each answer moves the clock on by the time its attempt "took", so the
    // time left is exact; the router's timers stay real (and short: back-off is 1 ms).
    afterEach(() => void vi.useRealTimers());
    const after = (ms: number, code: number): Answer => () => {
      vi.setSystemTime(Date.now() + ms);
      return Promise.resolve({ status: code, headers: {}, body: ended() });
    };
    const expectedSent = (f: ReturnType<typeof fakeCluster>) => f.sent.map((x) => x.req.headers['x-envoy-expected-rq-timeout-ms']);

    it.each<[string, Partial<RetryPolicy>, string[]]>([
      ['the time left of the route timeout', {}, ['1000', '700', '400']],
      ['the per-try timeout while the time left is longer, then the time left', { perTryTimeoutMs: 500 }, ['500', '500', '400']],
    ])('x-envoy-expected-rq-timeout-ms is %s', async (_what, over, expected) => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const f = fakeCluster([after(300, 503), after(300, 503), after(0, 200)]);
      await route(f, fakeStream({ retry: policy({ numRetries: 2, ...over }), decision: { timeoutMs: 1000 } }));
      expect(expectedSent(f)).toEqual(expected);
    });

    it('is 1 ms (not 0, which would mean none) for a retry that starts with no time left', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const f = fakeCluster([after(999, 503), after(0, 200)]);
      // The back-off and host choice take the last millisecond.
      let picks = 0;
      const choose = f.cluster.chooseHost.bind(f.cluster);
      Object.assign(f.cluster, { chooseHost: (c: never) => (picks++ === 1 && vi.setSystemTime(Date.now() + 1), choose(c)) });
      await route(f, fakeStream({ retry: policy({ numRetries: 1 }), decision: { timeoutMs: 1000 } }));
      expect(expectedSent(f)).toEqual(['1000', '1']);
    });

    it('recomputes a capped grpc-timeout the same way', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      const f = fakeCluster([after(300, 503), after(0, 200)]);
      const s = fakeStream({ method: 'POST', headers: { 'content-type': 'application/grpc', 'grpc-timeout': '1S' }, retry: policy({ numRetries: 1 }), decision: { grpcTimeoutHeaderMaxMs: 0 } });
      await route(f, s);
      expect(f.sent.map((x) => x.req.headers['grpc-timeout'])).toEqual(['1000m', '700m']);
      expect(expectedSent(f)).toEqual(['1000', '700']);
    });

    it('sets none on retries under suppress_envoy_headers', async () => {
      const f = fakeCluster([status(503), status(200)]);
      await route(f, fakeStream({ retry: policy({ numRetries: 1 }), decision: { timeoutMs: 1000 } }), { suppressEnvoyHeaders: true });
      expect(expectedSent(f)).toEqual([undefined, undefined]);
    });
  });

  describe('router config', () => {
    it('adds x-envoy-upstream-service-time, x-envoy-expected-rq-timeout-ms and x-envoy-overloaded by default', async () => {
      const ok = fakeCluster([status(200)]);
      const s = fakeStream({ decision: { timeoutMs: 1000 } });
      await route(ok, s);
      expect(s.response.sentHeaders?.['x-envoy-upstream-service-time']).toMatch(/^\d+$/);
      expect(ok.sent[0]!.req.headers['x-envoy-expected-rq-timeout-ms']).toBe('1000');
      const over = fakeStream();
      await route(fakeCluster([overflow]), over);
      expect(over.responseHeaders['x-envoy-overloaded']).toBe('true');
    });

    it('suppress_envoy_headers: none of those, but x-envoy-attempt-count stays (Envoy adds it whatever the flag)', async () => {
      const ok = fakeCluster([status(200)]);
      const s = fakeStream({ decision: { timeoutMs: 1000, includeAttemptCountInRequest: true, includeAttemptCountInResponse: true } });
      await route(ok, s, { suppressEnvoyHeaders: true });
      expect(s.response.status).toBe(200);
      expect(s.response.sentHeaders?.['x-envoy-upstream-service-time']).toBeUndefined();
      expect(s.response.sentHeaders?.['x-envoy-attempt-count']).toBe('1');
      expect(ok.sent[0]!.req.headers['x-envoy-expected-rq-timeout-ms']).toBeUndefined();
      expect(ok.sent[0]!.req.headers['x-envoy-attempt-count']).toBe('1');
      const over = fakeStream();
      await route(fakeCluster([overflow]), over, { suppressEnvoyHeaders: true });
      expect(over.local).toEqual([expect.objectContaining({ status: 503, flag: 'UO' })]);
      expect(over.responseHeaders['x-envoy-overloaded']).toBeUndefined();
    });

    it('strict_check_headers: an invalid value is answered 400 IH naming it, and nothing goes upstream', async () => {
      const f = fakeCluster([status(200)]);
      const s = fakeStream({ headers: { 'x-envoy-max-retries': '3.0' }, edgeRequest: false });
      await route(f, s, { strictCheckHeaders: ['x-envoy-max-retries'] });
      expect(s.local).toEqual([{ status: 400, body: "invalid header 'x-envoy-max-retries' with value '3.0'", flag: 'IH' }]);
      expect(f.calls()).toBe(0);
      expect(f.requests()).toBe(0);
      const valid = fakeStream({ headers: { 'x-envoy-max-retries': '3' }, edgeRequest: false });
      await route(f, valid, { strictCheckHeaders: ['x-envoy-max-retries'] });
      expect(valid.response.status).toBe(200);
    });

    it('respect_expected_rq_timeout: a trusted x-envoy-expected-rq-timeout-ms bounds the request (504 UT)', async () => {
      const f = fakeCluster([hang]);
      const s = fakeStream({ headers: { 'x-envoy-expected-rq-timeout-ms': '20' }, edgeRequest: false, decision: { timeoutMs: 60_000 } });
      await route(f, s, { respectExpectedRqTimeout: true });
      expect(s.local).toEqual([{ status: 504, body: 'upstream request timeout', flag: 'UT' }]);
    });

    it.each<[string, Partial<RouterConfig>, Record<string, string>, number[]]>([
      ['counts response codes by default', {}, {}, [503, 200]],
      ['counts none with dynamic_stats false', { dynamicStats: false }, {}, []],
      ['counts none for gRPC with suppress_grpc_request_failure_code_stats', { suppressGrpcRequestFailureCodeStats: true }, { 'content-type': 'application/grpc' }, []],
      ['still counts plain HTTP with suppress_grpc_request_failure_code_stats', { suppressGrpcRequestFailureCodeStats: true }, {}, [503, 200]],
    ])('%s', async (_what, config, headers, counted) => {
      const f = fakeCluster([status(503), status(200)]);
      const codes: number[] = [];
      Object.assign(f.cluster, { recordStatus: (c: number) => void codes.push(c) });
      await route(f, fakeStream({ headers, method: 'POST', retry: policy({ numRetries: 1 }) }), config);
      expect(f.calls()).toBe(2);
      expect(codes).toEqual(counted);
    });
  });
});
