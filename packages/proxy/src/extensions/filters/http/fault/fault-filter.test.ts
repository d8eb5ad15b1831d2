import { loadProtoRegistry } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { StreamContext } from '../../../../http/http-filter.js';
import { compileFaultConfig, createFaultFilter, type FaultConfig, type FaultCounters } from './fault-filter.js';

const registry = loadProtoRegistry();

/** Decodes an HTTPFault written as proto3 JSON the way the proxy receives it. */
function config(json: Record<string, unknown>): FaultConfig {
  return registry.unpack<FaultConfig>(registry.pack('envoy.extensions.filters.http.fault.v3.HTTPFault', json));
}

function stream(headers: Record<string, string> = {}) {
  const replies: { status: number; body: string }[] = [];
  const ctx = {
    downstreamHeaders: headers,
    responseHeaders: {} as Record<string, string>,
    responseFlags: new Set<string>(),
    perFilterConfig: () => undefined,
    get responded() {
      return replies.length > 0;
    },
    sendLocalReply: (status: number, body: string) => replies.push({ status, body }),
  } as unknown as StreamContext;
  return { ctx, replies };
}

function counters(): FaultCounters & { overflow: { value: number }; active: { value: number }; rateLimited: { value: number } } {
  return { delays: { value: 0 }, aborts: { value: 0 }, overflow: { value: 0 }, active: { value: 0 }, rateLimited: { value: 0 } };
}

/** A fixed sequence of random draws in [0, 1). */
function draws(...values: number[]): () => number {
  let i = 0;
  return () => values[i++ % values.length]!;
}

const abort = (numerator: number, denominator = 'HUNDRED') => config({ abort: { http_status: 503, percentage: { numerator, denominator } } });

describe('fault filter', () => {
  it.each([
    // percentage, draw, aborted?
    [50, 0.49, true],
    [50, 0.5, false],
    [0, 0, false],
    [100, 0.999, true],
  ])('aborts at %s percent when the draw is %s: %s', async (pct, draw, aborted) => {
    const c = counters();
    const s = stream();
    const status = await createFaultFilter(registry, abort(pct), draws(draw), c).decode(s.ctx);
    expect(status).toBe(aborted ? 'stop' : 'continue');
    expect(s.replies).toEqual(aborted ? [{ status: 503, body: 'fault filter abort' }] : []);
    expect(s.ctx.responseFlags.has('FI')).toBe(aborted);
    expect(c.aborts.value).toBe(aborted ? 1 : 0);
  });

  it('reads the percentage denominator (TEN_THOUSAND)', async () => {
    const s = stream();
    expect(await createFaultFilter(registry, abort(1, 'TEN_THOUSAND'), draws(0.00009)).decode(s.ctx)).toBe('stop');
    expect(await createFaultFilter(registry, abort(1, 'TEN_THOUSAND'), draws(0.0001)).decode(stream().ctx)).toBe('continue');
  });

  it('treats an unset percentage as 0%, as Envoy does', async () => {
    const s = stream();
    expect(await createFaultFilter(registry, config({ abort: { http_status: 500 } }), draws(0)).decode(s.ctx)).toBe('continue');
  });

  it('aborts with a gRPC status as a 200 carrying grpc-status', async () => {
    const s = stream();
    await createFaultFilter(registry, config({ abort: { grpc_status: 14, percentage: { numerator: 100 } } }), draws(0)).decode(s.ctx);
    expect(s.replies).toEqual([{ status: 200, body: '' }]);
    expect(s.ctx.responseHeaders['grpc-status']).toBe('14');
  });

  it('delays by fixed_delay, flags DI, counts it, then continues', async () => {
    const c = counters();
    const s = stream();
    const started = Date.now();
    const status = await createFaultFilter(registry, config({ delay: { fixed_delay: { seconds: 0, nanos: 30_000_000 }, percentage: { numerator: 100 } } }), draws(0), c).decode(s.ctx);
    expect(status).toBe('continue');
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(s.ctx.responseFlags.has('DI')).toBe(true);
    expect(c.delays.value).toBe(1);
  });

  describe('header-controlled faults', () => {
    const headerAbort = config({ abort: { header_abort: {}, percentage: { numerator: 50 } } });

    it.each([
      [{ 'x-envoy-fault-abort-request': '429' }, 0, 429],
      [{ 'x-envoy-fault-abort-request': '429', 'x-envoy-fault-abort-request-percentage': '10' }, 0.09, 429],
      [{ 'x-envoy-fault-abort-request': '429', 'x-envoy-fault-abort-request-percentage': '10' }, 0.1, undefined],
      // The header's percentage is capped at the configured 50%.
      [{ 'x-envoy-fault-abort-request': '429', 'x-envoy-fault-abort-request-percentage': '100' }, 0.6, undefined],
      [{ 'x-envoy-fault-abort-request': '700' }, 0, undefined],
      [{}, 0, undefined],
    ])('abort headers %j with draw %f answer %s', async (headers, draw, expected) => {
      const s = stream(headers);
      await createFaultFilter(registry, headerAbort, draws(draw)).decode(s.ctx);
      expect(s.replies[0]?.status).toBe(expected);
    });

    it('aborts with x-envoy-fault-abort-grpc-request', async () => {
      const s = stream({ 'x-envoy-fault-abort-grpc-request': '8' });
      await createFaultFilter(registry, headerAbort, draws(0)).decode(s.ctx);
      expect(s.ctx.responseHeaders['grpc-status']).toBe('8');
    });

    it('ignores the headers when header_abort is not configured', async () => {
      const s = stream({ 'x-envoy-fault-abort-request': '429' });
      await createFaultFilter(registry, config({ delay: { fixed_delay: { seconds: 0, nanos: 0 }, percentage: { numerator: 0 } } }), draws(0)).decode(s.ctx);
      expect(s.replies).toEqual([]);
    });

    it('delays by x-envoy-fault-delay-request milliseconds', async () => {
      const c = counters();
      const s = stream({ 'x-envoy-fault-delay-request': '30' });
      const started = Date.now();
      await createFaultFilter(registry, config({ delay: { header_delay: {}, percentage: { numerator: 100 } } }), draws(0), c).decode(s.ctx);
      expect(Date.now() - started).toBeGreaterThanOrEqual(25);
      expect(c.delays.value).toBe(1);
    });

    it('rate limits the response from x-envoy-fault-throughput-response', async () => {
      const c = counters();
      const s = stream({ 'x-envoy-fault-throughput-response': '4' });
      await createFaultFilter(registry, config({ response_rate_limit: { header_limit: {}, percentage: { numerator: 100 } } }), draws(0), c).decode(s.ctx);
      expect(s.ctx.faultResponseRateKbps).toBe(4);
      expect(c.rateLimited.value).toBe(1);
    });
  });

  it('matches headers, upstream_cluster and downstream_nodes before injecting', async () => {
    const f = config({ abort: { http_status: 500, percentage: { numerator: 100 } }, headers: [{ name: 'x-user', exact_match: 'jason' }], downstream_nodes: ['a'] });
    const filter = createFaultFilter(registry, f, draws(0));
    expect(await filter.decode(stream({ 'x-user': 'jason' }).ctx)).toBe('continue');
    expect(await filter.decode(stream({ 'x-envoy-downstream-service-node': 'a' }).ctx)).toBe('continue');
    expect(await filter.decode(stream({ 'x-user': 'jason', 'x-envoy-downstream-service-node': 'a' }).ctx)).toBe('stop');
  });

  it('stops injecting at max_active_faults and counts the overflow', async () => {
    const c = counters();
    const filter = createFaultFilter(registry, config({ delay: { fixed_delay: { seconds: 0, nanos: 50_000_000 }, percentage: { numerator: 100 } }, max_active_faults: { value: 1 } }), draws(0), c);
    const first = filter.decode(stream().ctx);
    await new Promise((r) => setTimeout(r, 5));
    expect(c.active.value).toBe(1);
    const second = stream();
    await filter.decode(second.ctx);
    expect(second.ctx.responseFlags.has('DI')).toBe(false);
    expect(c.overflow.value).toBe(1);
    await first;
  });

  it.each([
    [{ abort: { http_status: 100 } }, 'abort.http_status'],
    [{ abort: {} }, 'abort'],
    [{ delay: {} }, 'delay'],
    [{ response_rate_limit: { fixed_limit: { limit_kbps: 0 } } }, 'response_rate_limit.fixed_limit.limit_kbps'],
  ])('rejects %j at %s', (json, path) => {
    const issues = new IssueCollector();
    compileFaultConfig(config(json), issues);
    expect(issues.errors.map((e) => e.path)).toContain(path);
  });
});
