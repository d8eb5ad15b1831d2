import { describe, expect, it } from 'vitest';
import { invalidStrictHeader, STRICT_CHECKABLE_HEADERS, type StrictCheckedHeader } from './strict-check-headers.js';

describe('strict_check_headers', () => {
  it.each<[StrictCheckedHeader, string, boolean]>([
    ['x-envoy-upstream-rq-timeout-ms', '100', true],
    ['x-envoy-upstream-rq-timeout-ms', ' +100 ', true],
    ['x-envoy-upstream-rq-timeout-ms', '18446744073709551615', true],
    ['x-envoy-upstream-rq-timeout-ms', '18446744073709551616', false],
    ['x-envoy-upstream-rq-timeout-ms', '1.5', false],
    ['x-envoy-upstream-rq-timeout-ms', '-1', false],
    ['x-envoy-upstream-rq-timeout-ms', '', false],
    ['x-envoy-upstream-rq-per-try-timeout-ms', '10ms', false],
    ['x-envoy-max-retries', '3', true],
    ['x-envoy-max-retries', '3.0', false],
    ['x-envoy-retry-on', '5xx,gateway-error, connect-failure ', true],
    ['x-envoy-retry-on', 'reset,retriable-4xx,refused-stream,retriable-status-codes,retriable-headers', true],
    ['x-envoy-retry-on', '5xx,,reset', true],
    ['x-envoy-retry-on', '', true],
    ['x-envoy-retry-on', '5 xx', false],
    ['x-envoy-retry-on', '5xx,cancelled', false],
    ['x-envoy-retry-grpc-on', 'cancelled,deadline-exceeded,internal,resource-exhausted,unavailable', true],
    ['x-envoy-retry-grpc-on', '5xx', false],
  ])('%s: %j is valid: %s', (name, value, ok) => {
    const bad = invalidStrictHeader({ [name]: value }, [name]);
    expect(bad).toEqual(ok ? undefined : { name, value });
  });

  it('passes absent headers and unchecked ones, and reports the first invalid one in the configured order', () => {
    expect(invalidStrictHeader({}, STRICT_CHECKABLE_HEADERS)).toBeUndefined();
    expect(invalidStrictHeader({ 'x-envoy-max-retries': 'x' }, ['x-envoy-retry-on'])).toBeUndefined();
    const headers = { 'x-envoy-max-retries': 'x', 'x-envoy-retry-on': 'y' };
    expect(invalidStrictHeader(headers, ['x-envoy-retry-on', 'x-envoy-max-retries'])).toEqual({ name: 'x-envoy-retry-on', value: 'y' });
  });

  it('checks a repeated header as its comma-joined value', () => {
    expect(invalidStrictHeader({ 'x-envoy-retry-on': ['5xx', 'reset'] }, ['x-envoy-retry-on'])).toBeUndefined();
    expect(invalidStrictHeader({ 'x-envoy-max-retries': ['1', '2'] }, ['x-envoy-max-retries'])).toEqual({ name: 'x-envoy-max-retries', value: '1,2' });
  });
});
