// envoy.extensions.filters.http.router.v3.Router, the router filter's own config, read field by field
// (nothing dropped silently): suppress_envoy_headers, strict_check_headers, respect_expected_rq_timeout,
// dynamic_stats and suppress_grpc_request_failure_code_stats are implemented; start_child_span,
// upstream_log and upstream_log_options only change observability and are accepted, not enforced;
// upstream_http_filters (and any other field set) is refused with its path, so the LDS update is NACKed.
import type { IssueCollector } from '@weft/base';
import { acceptNotEnforced } from '../../../../config/not-enforced.js';
import { isStrictCheckedHeader, type StrictCheckedHeader } from './strict-check-headers.js';

/** The Router message as the proto registry decodes it (defaults filled in). */
export interface RouterMessage {
  readonly dynamic_stats?: { readonly value: boolean } | null;
  readonly start_child_span?: boolean;
  readonly upstream_log?: readonly unknown[];
  readonly upstream_log_options?: object | null;
  readonly suppress_envoy_headers?: boolean;
  readonly strict_check_headers?: readonly string[];
  readonly respect_expected_rq_timeout?: boolean;
  readonly suppress_grpc_request_failure_code_stats?: boolean;
  readonly upstream_http_filters?: readonly unknown[];
}

export interface RouterConfig {
  /**
   * suppress_envoy_headers: the router adds none of its own x-envoy-* headers (Envoy's list:
   * x-envoy-upstream-service-time and x-envoy-overloaded on responses, x-envoy-expected-rq-timeout-ms
   * and x-envoy-original-path on upstream requests). x-envoy-attempt-count is the route's choice and
   * stays, as in Envoy.
   */
  readonly suppressEnvoyHeaders: boolean;
  /** strict_check_headers: a request whose value of one of these is invalid is answered 400 (IH). */
  readonly strictCheckHeaders: readonly StrictCheckedHeader[];
  /** respect_expected_rq_timeout: a trusted x-envoy-expected-rq-timeout-ms (set by an egress proxy) is the route timeout. */
  readonly respectExpectedRqTimeout: boolean;
  /** dynamic_stats (default true): false stops the per-response `upstream_rq_<code>` / `upstream_rq_<N>xx` counters. */
  readonly dynamicStats: boolean;
  /** suppress_grpc_request_failure_code_stats: gRPC requests charge no `upstream_rq_<code>` / `upstream_rq_<N>xx`. */
  readonly suppressGrpcRequestFailureCodeStats: boolean;
}

/** Envoy's defaults: what `{}` means. */
export const DEFAULT_ROUTER_CONFIG: RouterConfig = {
  suppressEnvoyHeaders: false,
  strictCheckHeaders: [],
  respectExpectedRqTimeout: false,
  dynamicStats: true,
  suppressGrpcRequestFailureCodeStats: false,
};

/** Fields read below; any other field that is set is refused. */
const KNOWN = new Set([
  'dynamic_stats',
  'start_child_span',
  'upstream_log',
  'upstream_log_options',
  'suppress_envoy_headers',
  'strict_check_headers',
  'respect_expected_rq_timeout',
  'suppress_grpc_request_failure_code_stats',
  'upstream_http_filters',
]);

function isSet(v: unknown): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '') return false;
  return !Array.isArray(v) || v.length > 0;
}

/** Compiles the router's typed_config; `issues` is at the filter's `typed_config`. */
export function compileRouterConfig(msg: RouterMessage | undefined, issues: IssueCollector): RouterConfig {
  if (!msg) return DEFAULT_ROUTER_CONFIG;
  for (const [k, v] of Object.entries(msg)) {
    if (!KNOWN.has(k) && isSet(v)) issues.at(k).error(`router field ${k} is not supported by weft-proxy`);
  }
  if (msg.start_child_span) acceptNotEnforced(issues, 'start_child_span', 'no tracer: no child span is started for the upstream call');
  if (isSet(msg.upstream_log)) acceptNotEnforced(issues, 'upstream_log', 'upstream access logs are not written (the connection manager\'s access_log is)');
  if (msg.upstream_log_options) acceptNotEnforced(issues, 'upstream_log_options', 'upstream access logs are not written');
  // Upstream HTTP filters run on every attempt and may answer locally: semantics, so refused.
  if (isSet(msg.upstream_http_filters)) issues.at('upstream_http_filters').error('upstream HTTP filters are not supported by weft-proxy');
  const strict: StrictCheckedHeader[] = [];
  (msg.strict_check_headers ?? []).forEach((name, i) => {
    // Envoy's proto validation: only these five headers have a checker.
    if (isStrictCheckedHeader(name)) strict.push(name);
    else issues.at('strict_check_headers', i).error(`'${name}' cannot be strictly checked (x-envoy-upstream-rq-timeout-ms, x-envoy-upstream-rq-per-try-timeout-ms, x-envoy-max-retries, x-envoy-retry-on and x-envoy-retry-grpc-on can)`);
  });
  return {
    suppressEnvoyHeaders: msg.suppress_envoy_headers ?? false,
    strictCheckHeaders: strict,
    respectExpectedRqTimeout: msg.respect_expected_rq_timeout ?? false,
    dynamicStats: msg.dynamic_stats?.value ?? true,
    suppressGrpcRequestFailureCodeStats: msg.suppress_grpc_request_failure_code_stats ?? false,
  };
}
