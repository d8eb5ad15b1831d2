import { describe, expect, it } from 'vitest';
import type { HeaderMap } from '../../../../http/headers.js';
import type { ForwardDecision } from '../../../../router/index.js';
import { finalTimeouts, formatGrpcTimeout, parseGrpcTimeout, setTimeoutHeaders } from './upstream-timeouts.js';

const route = (over: Partial<ForwardDecision> = {}) => ({ timeoutMs: 15_000, ...over }) as ForwardDecision;

describe('final timeouts', () => {
  it.each([
    ['1S', 1000],
    ['250m', 250],
    ['2M', 120_000],
    ['1H', 3_600_000],
    ['1500u', 2],
    ['1n', 1],
    ['123456789m', undefined],
    ['10', undefined],
  ])('grpc-timeout %s is %s ms', (v, ms) => {
    expect(parseGrpcTimeout(v)).toBe(ms);
  });

  it('formats grpc-timeout in at most 8 digits', () => {
    expect(formatGrpcTimeout(1500)).toBe('1500m');
    expect(formatGrpcTimeout(200_000_000)).toBe('200000S');
  });

  it('uses the route timeout and sets x-envoy-expected-rq-timeout-ms', () => {
    const h: HeaderMap = {};
    expect(finalTimeouts(route(), undefined, h, false, true)).toEqual({ globalMs: 15_000, perTryMs: 0 });
    expect(h['x-envoy-expected-rq-timeout-ms']).toBe('15000');
  });

  it.each([
    // header, max, offset → global
    ['5S', 0, undefined, 5000],
    ['5S', 2000, undefined, 2000],
    [undefined, 0, undefined, 0],
    [undefined, 3000, undefined, 3000],
    ['5S', 0, 1000, 4000],
    ['5S', 0, 9000, 5000],
  ])('gRPC: grpc-timeout %s, grpc_timeout_header_max %s, offset %s → %s ms', (header, max, offset, expected) => {
    const h: HeaderMap = header ? { 'grpc-timeout': header } : {};
    const d = route({ grpcTimeoutHeaderMaxMs: max, ...(offset !== undefined ? { grpcTimeoutHeaderOffsetMs: offset } : {}) });
    expect(finalTimeouts(d, undefined, h, true, true).globalMs).toBe(expected);
    if (expected > 0) expect(h['grpc-timeout']).toBe(`${expected}m`);
  });

  it('ignores grpc-timeout without grpc_timeout_header_max, and on non-gRPC requests', () => {
    expect(finalTimeouts(route(), undefined, { 'grpc-timeout': '1S' }, true, true).globalMs).toBe(15_000);
    expect(finalTimeouts(route({ grpcTimeoutHeaderMaxMs: 0 }), undefined, { 'grpc-timeout': '1S' }, false, true).globalMs).toBe(15_000);
  });

  it('takes x-envoy-upstream-rq-timeout-ms and -per-try-timeout-ms on trusted requests, and strips them always', () => {
    for (const trusted of [true, false]) {
      const h: HeaderMap = { 'x-envoy-upstream-rq-timeout-ms': '500', 'x-envoy-upstream-rq-per-try-timeout-ms': '100' };
      const t = finalTimeouts(route(), undefined, h, false, trusted);
      expect(t).toEqual(trusted ? { globalMs: 500, perTryMs: 100 } : { globalMs: 15_000, perTryMs: 0 });
      expect(h['x-envoy-upstream-rq-timeout-ms']).toBeUndefined();
      expect(h['x-envoy-upstream-rq-per-try-timeout-ms']).toBeUndefined();
    }
  });

  it('drops a per-try timeout not below the global timeout', () => {
    expect(finalTimeouts(route({ timeoutMs: 100 }), 100, {}, false, true).perTryMs).toBe(0);
    expect(finalTimeouts(route({ timeoutMs: 0 }), 100, {}, false, true).perTryMs).toBe(100);
  });

  describe('respect_expected_rq_timeout', () => {
    const respect = { respectExpectedRqTimeout: true };

    it("takes a trusted x-envoy-expected-rq-timeout-ms as the route timeout and leaves x-envoy-upstream-rq-timeout-ms alone (the egress proxy's)", () => {
      const h: HeaderMap = { 'x-envoy-expected-rq-timeout-ms': '700', 'x-envoy-upstream-rq-timeout-ms': '500' };
      expect(finalTimeouts(route(), undefined, h, false, true, respect)).toEqual({ globalMs: 700, perTryMs: 0 });
      expect(h['x-envoy-upstream-rq-timeout-ms']).toBe('500');
      expect(h['x-envoy-expected-rq-timeout-ms']).toBe('700');
    });

    it('falls back to x-envoy-upstream-rq-timeout-ms without the expected header, and ignores it when off or untrusted', () => {
      expect(finalTimeouts(route(), undefined, { 'x-envoy-upstream-rq-timeout-ms': '500' }, false, true, respect).globalMs).toBe(500);
      const off: HeaderMap = { 'x-envoy-expected-rq-timeout-ms': '700' };
      expect(finalTimeouts(route(), undefined, off, false, true).globalMs).toBe(15_000);
      expect(off['x-envoy-expected-rq-timeout-ms']).toBe('15000');
      expect(finalTimeouts(route(), undefined, { 'x-envoy-expected-rq-timeout-ms': '700' }, false, false, respect).globalMs).toBe(15_000);
    });

    it('keeps the route timeout when the expected header is not a number', () => {
      expect(finalTimeouts(route(), undefined, { 'x-envoy-expected-rq-timeout-ms': 'soon' }, false, true, respect).globalMs).toBe(15_000);
    });
  });

  it('sets no x-envoy-expected-rq-timeout-ms under suppress_envoy_headers, and leaves an incoming one as it is', () => {
    const none: HeaderMap = {};
    expect(finalTimeouts(route(), undefined, none, false, true, { setExpectedRqTimeout: false }).globalMs).toBe(15_000);
    expect(none['x-envoy-expected-rq-timeout-ms']).toBeUndefined();
    const incoming: HeaderMap = { 'x-envoy-expected-rq-timeout-ms': '42' };
    finalTimeouts(route(), undefined, incoming, false, true, { setExpectedRqTimeout: false });
    expect(incoming['x-envoy-expected-rq-timeout-ms']).toBe('42');
  });
});

describe('timeout headers for an attempt', () => {
  const both = { expected: true, grpcTimeout: true };
  it.each<[number, number, number, string | undefined]>([
    // global, per-try, elapsed → sent
    [1000, 0, 0, '1000'],
    [1000, 0, 300, '700'],
    [1000, 400, 300, '400'],
    [1000, 400, 700, '300'],
    [1000, 0, 1000, '1'],
    [1000, 400, 1500, '1'],
    [0, 400, 60_000, '400'],
    [0, 0, 5, undefined],
  ])('global %i ms, per-try %i ms, %i ms after the request completed: %s', (globalMs, perTryMs, elapsed, sent) => {
    const h: HeaderMap = {};
    setTimeoutHeaders({ globalMs, perTryMs }, elapsed, h, both);
    expect(h['x-envoy-expected-rq-timeout-ms']).toBe(sent);
    expect(h['grpc-timeout']).toBe(sent === undefined ? undefined : `${sent}m`);
  });

  it('writes only the headers asked for', () => {
    const h: HeaderMap = { 'grpc-timeout': '5S' };
    setTimeoutHeaders({ globalMs: 1000, perTryMs: 0 }, 100, h, { expected: false, grpcTimeout: false });
    expect(h).toEqual({ 'grpc-timeout': '5S' });
  });
});
