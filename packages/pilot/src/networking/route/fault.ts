// HTTPFaultInjection → the fault filter's per-route config (Istio 1.3 translateFault), placed in
// typed_per_filter_config under `envoy.filters.http.fault`.
import type { HTTPFaultInjection } from '@weft/api';
import { durationOf, integerToFractional, percentToFractional, typedConfig } from './proto-values.js';

export const FAULT_FILTER = 'envoy.filters.http.fault';
export const HTTP_FAULT_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

function percentage(p: { percentage?: { value?: number }; percent?: number }) {
  // `percentage` (1.1+) wins; else the deprecated integer `percent`, which Istio passes through even when 0.
  return p.percentage ? percentToFractional(p.percentage.value ?? 0) : integerToFractional(p.percent ?? 0);
}

/**
 * The HTTPFault message, or undefined when neither a fixed delay nor an HTTP-status abort remains
 * (exponential delays and gRPC/HTTP2 aborts were never implemented in Istio 1.x and are dropped).
 */
export function translateFault(fault: HTTPFaultInjection): object | undefined {
  const out: Record<string, unknown> = {};
  const fixed = durationOf(fault.delay?.fixedDelay);
  if (fault.delay && fixed) out['delay'] = { fixed_delay: fixed, percentage: percentage(fault.delay) };
  if (fault.abort && fault.abort.httpStatus !== undefined) {
    out['abort'] = { http_status: fault.abort.httpStatus, percentage: percentage(fault.abort) };
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The packed per-route fault config, or undefined when there is nothing to inject. */
export function faultFilterConfig(fault: HTTPFaultInjection | undefined): { type_url: string; value: Uint8Array } | undefined {
  const f = fault ? translateFault(fault) : undefined;
  return f ? typedConfig(HTTP_FAULT_TYPE, f) : undefined;
}
