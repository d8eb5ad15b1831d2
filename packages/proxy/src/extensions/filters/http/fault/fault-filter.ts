// envoy.filters.http.fault: fixed delay (response flag DI) and abort (FI) with percentages; a
// per-route HTTPFault in typed_per_filter_config replaces the filter-level config.
import type { ProtoRegistry } from '@weft/api';
import type { FilterStatus, HttpFilter, StreamContext } from '../../../../http/http-filter.js';

export const FAULT_FILTER = 'envoy.filters.http.fault';
const HTTP_FAULT = 'envoy.extensions.filters.http.fault.v3.HTTPFault';

interface Fraction {
  numerator: number;
  denominator: 'HUNDRED' | 'TEN_THOUSAND' | 'MILLION' | string;
}

interface FaultConfig {
  delay?: { fixed_delay?: { seconds: string; nanos: number } | null; percentage?: Fraction | null } | null;
  abort?: { http_status?: number; grpc_status?: number; percentage?: Fraction | null; error_type?: string } | null;
  max_active_faults?: { value: number } | null;
}

const DENOMINATOR: Record<string, number> = { HUNDRED: 100, TEN_THOUSAND: 10_000, MILLION: 1_000_000 };

function hit(f: Fraction | null | undefined, random: () => number): boolean {
  // An unset percentage means 100% (Envoy's FaultDelay/FaultAbort default).
  if (!f) return true;
  return random() * (DENOMINATOR[f.denominator] ?? 100) < f.numerator;
}

/** Envoy's fault filter stats (`http.<stat_prefix>.fault.delays_injected` / `aborts_injected`). */
export interface FaultCounters {
  readonly delays: { value: number };
  readonly aborts: { value: number };
}

export function createFaultFilter(registry: ProtoRegistry, filterConfig: FaultConfig, random: () => number = Math.random, counters?: FaultCounters): HttpFilter {
  const cache = new WeakMap<object, FaultConfig>();
  const configFor = (ctx: StreamContext): FaultConfig => {
    const any = ctx.perFilterConfig(FAULT_FILTER);
    if (!any) return filterConfig;
    let c = cache.get(any);
    if (!c) cache.set(any, (c = registry.unpack<FaultConfig>(any)));
    return c;
  };
  let active = 0;
  return {
    name: FAULT_FILTER,
    async decode(ctx): Promise<FilterStatus> {
      const config = configFor(ctx);
      if (config.max_active_faults && active >= config.max_active_faults.value) return 'continue';
      const d = config.delay;
      if (d?.fixed_delay && hit(d.percentage, random)) {
        const ms = Number(d.fixed_delay.seconds) * 1000 + Math.floor(d.fixed_delay.nanos / 1e6);
        active++;
        ctx.responseFlags.add('DI');
        if (counters) counters.delays.value++;
        await new Promise((r) => setTimeout(r, ms));
        active--;
      }
      const a = config.abort;
      if (a && (a.http_status || a.grpc_status !== undefined) && hit(a.percentage, random)) {
        ctx.responseFlags.add('FI');
        if (counters) counters.aborts.value++;
        if (a.error_type === 'grpc_status' && a.grpc_status !== undefined) {
          ctx.responseHeaders['grpc-status'] = String(a.grpc_status);
          ctx.responseHeaders['grpc-message'] = 'fault filter abort';
          ctx.sendLocalReply(200, '');
        } else {
          ctx.sendLocalReply(a.http_status ?? 500, 'fault filter abort');
        }
        return 'stop';
      }
      return 'continue';
    },
  };
}

export function decodeFaultConfig(registry: ProtoRegistry, any: { type_url: string; value: Uint8Array } | null | undefined): FaultConfig {
  return any ? registry.unpack<FaultConfig>(any) : {};
}

export { HTTP_FAULT };
