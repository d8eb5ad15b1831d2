// envoy.filters.http.fault: delays (response flag DI), aborts (FI) and response rate limits, fixed
// or controlled by the request's x-envoy-fault-* headers when header_delay / header_abort /
// header_limit are configured, each with its percentage; max_active_faults bounds concurrent faults
// (faults_overflow). A per-route HTTPFault in typed_per_filter_config replaces the filter's config.
import type { ProtoRegistry } from '@weft/api';
import { IssueCollector } from '@weft/base';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import type { FilterStatus, HttpFilter, StreamContext } from '../../../../http/http-filter.js';
import { matchAllHeaders, type HeaderSource } from '../../../../router/index.js';
import { compileFaultConfig, type CompiledFault, type FaultConfig, type FaultValue, type Fraction } from './fault-config.js';

export const FAULT_FILTER = 'envoy.filters.http.fault';
const HTTP_FAULT = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

/** Envoy's fault filter stats (`http.<stat_prefix>.fault.*`); the optional ones are bumped when given. */
export interface FaultCounters {
  readonly delays: { value: number };
  readonly aborts: { value: number };
  readonly overflow?: { value: number };
  readonly rateLimited?: { value: number };
  /** The active_faults gauge. */
  readonly active?: { value: number };
}

/** The x-envoy-fault-* request headers (Envoy's fault filter header controls). */
export const FAULT_HEADERS = {
  abort: 'x-envoy-fault-abort-request',
  abortGrpc: 'x-envoy-fault-abort-grpc-request',
  abortPercentage: 'x-envoy-fault-abort-request-percentage',
  delay: 'x-envoy-fault-delay-request',
  delayPercentage: 'x-envoy-fault-delay-request-percentage',
  throughput: 'x-envoy-fault-throughput-response',
  throughputPercentage: 'x-envoy-fault-throughput-response-percentage',
} as const;

function header(ctx: StreamContext, name: string): string | undefined {
  const v = ctx.downstreamHeaders[name];
  return Array.isArray(v) ? v[0] : v;
}

function uint(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text.trim()) ? Number(text) : undefined;
}

/** The configured percentage, or the header's numerator capped at it (same denominator). */
function percentageOf(ctx: StreamContext, configured: Fraction, controlledBy: string | undefined): Fraction {
  if (!controlledBy) return configured;
  const n = uint(header(ctx, controlledBy));
  return n === undefined ? configured : { numerator: Math.min(n, configured.numerator), denominator: configured.denominator };
}

const hit = (f: Fraction, random: () => number): boolean => random() * f.denominator < f.numerator;

function valueOf(ctx: StreamContext, v: FaultValue, name: string): number | undefined {
  return 'fixed' in v ? v.fixed : uint(header(ctx, name));
}

function headSource(ctx: StreamContext): HeaderSource {
  const routed = (ctx as Partial<RoutedStream>).head;
  if (routed) return routed;
  return { header: (n) => header(ctx, n) };
}

/** upstream_cluster, downstream_nodes and headers all match. */
function applies(ctx: StreamContext, f: CompiledFault): boolean {
  if (f.upstreamCluster !== undefined) {
    const d = (ctx as Partial<RoutedStream>).decision;
    if (d?.kind !== 'forward' || d.cluster !== f.upstreamCluster) return false;
  }
  if (f.downstreamNodes.length > 0 && !f.downstreamNodes.includes(header(ctx, 'x-envoy-downstream-service-node') ?? '')) return false;
  return f.headers.length === 0 || matchAllHeaders(f.headers, headSource(ctx));
}

type Abort = { http: number } | { grpc: number };

function abortOf(ctx: StreamContext, f: CompiledFault, random: () => number): Abort | undefined {
  const a = f.abort;
  if (!a) return undefined;
  let status: Abort | undefined;
  if ('header' in a.status) {
    const http = uint(header(ctx, FAULT_HEADERS.abort));
    const grpc = uint(header(ctx, FAULT_HEADERS.abortGrpc));
    // An HTTP status header wins over a gRPC one; one outside [200, 600) is ignored.
    if (http !== undefined && http >= 200 && http < 600) status = { http };
    else if (grpc !== undefined && grpc <= 0xffffffff) status = { grpc };
  } else status = a.status;
  if (!status) return undefined;
  const controlledBy = 'header' in a.status ? FAULT_HEADERS.abortPercentage : undefined;
  return hit(percentageOf(ctx, a.percentage, controlledBy), random) ? status : undefined;
}

function delayOf(ctx: StreamContext, f: CompiledFault, random: () => number): number | undefined {
  const d = f.delay;
  if (!d) return undefined;
  const ms = valueOf(ctx, d.ms, FAULT_HEADERS.delay);
  if (ms === undefined) return undefined;
  const controlledBy = 'header' in d.ms ? FAULT_HEADERS.delayPercentage : undefined;
  return hit(percentageOf(ctx, d.percentage, controlledBy), random) ? ms : undefined;
}

function rateLimitOf(ctx: StreamContext, f: CompiledFault, random: () => number): number | undefined {
  const r = f.rateLimit;
  if (!r) return undefined;
  const kbps = valueOf(ctx, r.kbps, FAULT_HEADERS.throughput);
  if (kbps === undefined || kbps < 1) return undefined;
  const controlledBy = 'header' in r.kbps ? FAULT_HEADERS.throughputPercentage : undefined;
  return hit(percentageOf(ctx, r.percentage, controlledBy), random) ? kbps : undefined;
}

/**
 * `issues`, when given, receives the filter-level config's problems (a NACK names them under the
 * filter's typed_config); per-route configs are compiled when first used.
 */
export function createFaultFilter(registry: ProtoRegistry, filterConfig: FaultConfig, random: () => number = Math.random, counters?: FaultCounters, issues?: IssueCollector): HttpFilter {
  const own = compileFaultConfig(filterConfig, issues ?? new IssueCollector());
  const cache = new WeakMap<object, CompiledFault>();
  const configFor = (ctx: StreamContext): CompiledFault => {
    const any = ctx.perFilterConfig(FAULT_FILTER);
    if (!any) return own;
    let c = cache.get(any);
    if (!c) cache.set(any, (c = compileFaultConfig(registry.unpack<FaultConfig>(any), new IssueCollector())));
    return c;
  };
  let active = 0;
  const setActive = (n: number) => {
    active = n;
    if (counters?.active) counters.active.value = n;
  };
  /**
   * A stream with a fault counts as active until it ends (Envoy decrements on stream destruction).
   * Returns false when the stream has no response to watch: the caller releases it when done.
   */
  const hold = (ctx: StreamContext): boolean => {
    setActive(active + 1);
    const response = (ctx as Partial<RoutedStream>).response;
    if (!response || response.destroyed) return false;
    response.once('close', () => setActive(active - 1));
    return true;
  };
  return {
    name: FAULT_FILTER,
    async decode(ctx): Promise<FilterStatus> {
      const f = configFor(ctx);
      if (!f.delay && !f.abort && !f.rateLimit) return 'continue';
      if (!applies(ctx, f)) return 'continue';
      if (f.maxActiveFaults !== undefined && active >= f.maxActiveFaults) {
        if (counters?.overflow) counters.overflow.value++;
        return 'continue';
      }
      let held = false;
      let tied = true;
      const take = () => {
        if (held) return;
        held = true;
        tied = hold(ctx);
      };
      try {
        const kbps = rateLimitOf(ctx, f, random);
        if (kbps !== undefined) {
          ctx.faultResponseRateKbps = kbps;
          if (counters?.rateLimited) counters.rateLimited.value++;
          take();
        }
        const ms = delayOf(ctx, f, random);
        if (ms !== undefined) {
          take();
          ctx.responseFlags.add('DI');
          if (counters) counters.delays.value++;
          await new Promise((r) => setTimeout(r, ms));
          if (ctx.responded) return 'stop';
        }
        const abort = abortOf(ctx, f, random);
        if (!abort) return 'continue';
        take();
        ctx.responseFlags.add('FI');
        if (counters) counters.aborts.value++;
        if ('grpc' in abort) {
          ctx.responseHeaders['grpc-status'] = String(abort.grpc);
          ctx.responseHeaders['grpc-message'] = 'fault filter abort';
          ctx.sendLocalReply(200, '');
        } else {
          ctx.sendLocalReply(abort.http, 'fault filter abort');
        }
        return 'stop';
      } finally {
        if (held && !tied) setActive(active - 1);
      }
    },
  };
}

export function decodeFaultConfig(registry: ProtoRegistry, any: { type_url: string; value: Uint8Array } | null | undefined): FaultConfig {
  return any ? registry.unpack<FaultConfig>(any) : {};
}

export { HTTP_FAULT, compileFaultConfig, type FaultConfig };
