import { describe, expect, it } from 'vitest';
import { IssueCollector } from '@weft/base';
import { compileRouterConfig, DEFAULT_ROUTER_CONFIG, type RouterMessage } from './router-config.js';

/** The message as the registry decodes `{}`: every field at its proto3 default. */
const EMPTY: RouterMessage = {
  dynamic_stats: null,
  start_child_span: false,
  upstream_log: [],
  upstream_log_options: null,
  suppress_envoy_headers: false,
  strict_check_headers: [],
  respect_expected_rq_timeout: false,
  suppress_grpc_request_failure_code_stats: false,
  upstream_http_filters: [],
};

function compile(over: Partial<Record<keyof RouterMessage | string, unknown>>) {
  const issues = new IssueCollector('router');
  const config = compileRouterConfig({ ...EMPTY, ...over } as RouterMessage, issues);
  return { config, errors: issues.errors, warnings: issues.warnings };
}

describe('router config', () => {
  it("reads `{}` (istiod's router config) and no config at all as Envoy's defaults, with nothing to say", () => {
    expect(compile({})).toEqual({ config: DEFAULT_ROUTER_CONFIG, errors: [], warnings: [] });
    expect(compileRouterConfig(undefined, new IssueCollector())).toEqual(DEFAULT_ROUTER_CONFIG);
  });

  it('implements suppress_envoy_headers, strict_check_headers, respect_expected_rq_timeout, dynamic_stats and suppress_grpc_request_failure_code_stats', () => {
    const r = compile({
      suppress_envoy_headers: true,
      strict_check_headers: ['x-envoy-max-retries', 'x-envoy-retry-on'],
      respect_expected_rq_timeout: true,
      dynamic_stats: { value: false },
      suppress_grpc_request_failure_code_stats: true,
    });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.config).toEqual({
      suppressEnvoyHeaders: true,
      strictCheckHeaders: ['x-envoy-max-retries', 'x-envoy-retry-on'],
      respectExpectedRqTimeout: true,
      dynamicStats: false,
      suppressGrpcRequestFailureCodeStats: true,
    });
    expect(compile({ dynamic_stats: { value: true } }).config.dynamicStats).toBe(true);
  });

  it.each([
    ['start_child_span', { start_child_span: true }],
    ['upstream_log', { upstream_log: [{ name: 'envoy.access_loggers.file' }] }],
    ['upstream_log_options', { upstream_log_options: { flush_upstream_log_on_upstream_stream: true } }],
  ])('accepts %s as observability only: a warning at its path, marked accepted-not-enforced', (field, over) => {
    const r = compile(over);
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([{ path: `router.${field}`, message: expect.stringMatching(/^accepted, not enforced: /) }]);
  });

  it('NACKs upstream_http_filters with its path', () => {
    expect(compile({ upstream_http_filters: [{ name: 'envoy.filters.http.buffer' }] }).errors).toEqual([{ path: 'router.upstream_http_filters', message: 'upstream HTTP filters are not supported by weft-proxy' }]);
  });

  it('NACKs a strict_check_headers entry Envoy has no checker for, at its index', () => {
    const r = compile({ strict_check_headers: ['x-envoy-retry-on', 'x-envoy-expected-rq-timeout-ms'] });
    expect(r.errors).toEqual([{ path: 'router.strict_check_headers[1]', message: expect.stringContaining("'x-envoy-expected-rq-timeout-ms' cannot be strictly checked") }]);
  });

  it('NACKs a field it does not know, naming it', () => {
    expect(compile({ some_future_field: true }).errors).toEqual([{ path: 'router.some_future_field', message: 'router field some_future_field is not supported by weft-proxy' }]);
  });
});
