// envoy.extensions.filters.http.fault.v3.HTTPFault compiled once: fixed or header-controlled
// delays, aborts (HTTP or gRPC status) and response rate limits, each with its percentage (unset
// is 0%, as in Envoy); the request must match upstream_cluster, downstream_nodes and headers.
// Every problem is reported with its path, for the filter's own config (LDS) and for per-route
// configs in typed_per_filter_config (RDS, through checkFaultPerRoute); the runtime keys need no
// runtime layer (their defaults, the configured values, apply).
import type { IssueCollector } from '@weft/base';
import { acceptNotEnforced } from '../../../../config/not-enforced.js';
import { compileHeaderMatchers, type HeaderMatch, type PerFilterConfigCheck } from '../../../../router/index.js';

export const HTTP_FAULT_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.fault.v3.HTTPFault';

export interface FractionConfig {
  numerator: number;
  denominator: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION' | string;
}

type Decoded<T> = T | null | undefined;

/** HTTPFault as the proto registry decodes it (oneof names included). */
export interface FaultConfig {
  delay?: Decoded<{ fixed_delay?: Decoded<{ seconds: string | number; nanos: number }>; header_delay?: Decoded<object>; fault_delay_secifier?: string; percentage?: Decoded<FractionConfig> }>;
  abort?: Decoded<{ http_status?: number; grpc_status?: number; header_abort?: Decoded<object>; error_type?: string; percentage?: Decoded<FractionConfig> }>;
  response_rate_limit?: Decoded<{ fixed_limit?: Decoded<{ limit_kbps: string | number }>; header_limit?: Decoded<object>; limit_type?: string; percentage?: Decoded<FractionConfig> }>;
  max_active_faults?: Decoded<{ value: number }>;
  upstream_cluster?: string;
  downstream_nodes?: readonly string[];
  headers?: readonly Parameters<typeof compileHeaderMatchers>[0][number][];
  filter_metadata?: Decoded<object>;
}

export interface Fraction {
  readonly numerator: number;
  readonly denominator: number;
}

/** A fault's value: fixed, or read from a request header (`header`). */
export type FaultValue = { readonly fixed: number } | { readonly header: true };

export interface CompiledFault {
  readonly delay?: { readonly ms: FaultValue; readonly percentage: Fraction };
  readonly abort?: { readonly status: { readonly http: number } | { readonly grpc: number } | { readonly header: true }; readonly percentage: Fraction };
  readonly rateLimit?: { readonly kbps: FaultValue; readonly percentage: Fraction };
  readonly maxActiveFaults?: number;
  readonly upstreamCluster?: string;
  readonly downstreamNodes: readonly string[];
  readonly headers: readonly HeaderMatch[];
}

const DENOMINATOR: Readonly<Record<string, number>> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

function fraction(f: Decoded<FractionConfig>, issues: IssueCollector): Fraction {
  if (!f) return { numerator: 0, denominator: 100 };
  const denominator = DENOMINATOR[f.denominator];
  if (denominator === undefined) issues.at('denominator').error(`unknown denominator ${f.denominator}`);
  return { numerator: f.numerator, denominator: denominator ?? 100 };
}

function durationMs(d: { seconds: string | number; nanos: number }): number {
  return Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6);
}

export function compileFaultConfig(config: FaultConfig, issues: IssueCollector): CompiledFault {
  const out: { -readonly [K in keyof CompiledFault]: CompiledFault[K] } = {
    downstreamNodes: config.downstream_nodes ?? [],
    headers: compileHeaderMatchers(config.headers ?? [], issues.at('headers')),
  };
  const d = config.delay;
  if (d) {
    const at = issues.at('delay');
    const percentage = fraction(d.percentage, at.at('percentage'));
    if (d.header_delay) out.delay = { ms: { header: true }, percentage };
    else if (d.fixed_delay) {
      const ms = durationMs(d.fixed_delay);
      if (ms < 0) at.at('fixed_delay').error('must not be negative');
      out.delay = { ms: { fixed: Math.max(0, ms) }, percentage };
    } else at.error('one of fixed_delay and header_delay is required');
  }
  const a = config.abort;
  if (a) {
    const at = issues.at('abort');
    const percentage = fraction(a.percentage, at.at('percentage'));
    if (a.error_type === 'header_abort' || a.header_abort) out.abort = { status: { header: true }, percentage };
    else if (a.error_type === 'grpc_status' && a.grpc_status !== undefined) out.abort = { status: { grpc: a.grpc_status }, percentage };
    else if (a.error_type === 'http_status' || (a.http_status !== undefined && a.http_status !== 0)) {
      const status = a.http_status ?? 0;
      if (status < 200 || status >= 600) at.at('http_status').error(`${status} is not in [200, 600)`);
      out.abort = { status: { http: status }, percentage };
    } else at.error('one of http_status, grpc_status and header_abort is required');
  }
  const r = config.response_rate_limit;
  if (r) {
    const at = issues.at('response_rate_limit');
    const percentage = fraction(r.percentage, at.at('percentage'));
    if (r.header_limit) out.rateLimit = { kbps: { header: true }, percentage };
    else if (r.fixed_limit) {
      const kbps = Number(r.fixed_limit.limit_kbps);
      if (!(kbps >= 1)) at.at('fixed_limit', 'limit_kbps').error('must be at least 1');
      out.rateLimit = { kbps: { fixed: kbps }, percentage };
    } else at.error('one of fixed_limit and header_limit is required');
  }
  if (config.max_active_faults) out.maxActiveFaults = config.max_active_faults.value;
  if (config.upstream_cluster) out.upstreamCluster = config.upstream_cluster;
  if (config.filter_metadata) acceptNotEnforced(issues, 'filter_metadata', 'no access log reads fault dynamic metadata');
  return out;
}

/**
 * The route table's check of a per-route HTTPFault (typed_per_filter_config): decoded and compiled
 * as the filter will compile it, so a bad one fails the route configuration with its path.
 */
export function checkFaultPerRoute(unpack: (any: Parameters<PerFilterConfigCheck>[0]) => unknown): PerFilterConfigCheck {
  return (any, issues) => {
    let config: FaultConfig;
    try {
      config = unpack(any) as FaultConfig;
    } catch (e) {
      issues.error(`cannot decode HTTPFault: ${(e as Error).message}`);
      return;
    }
    compileFaultConfig(config, issues);
  };
}
