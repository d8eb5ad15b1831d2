// envoy.filters.http.grpc_stats: per-cluster counters of gRPC calls in `cluster.<name>.grpc.`, by
// service and method when configured so (stats_for_all_methods, individual_method_stats_allowlist),
// else without them: success/failure/total from the call's grpc-status, request_message_count and
// response_message_count from the message framing, upstream_rq_time with enable_upstream_stats.
// istiod sends it with emit_filter_state and stats_for_all_methods=false.
import type { Http2ServerRequest } from 'node:http2';
import type { IssueCollector } from '@weft/base';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import type { FilterStatus, HttpFilter } from '../../../../http/http-filter.js';
import type { StatScope } from '../../../../stats/stat-store.js';
import { beforeResponseHeaders, onResponseData } from '../response-hook.js';
import { GrpcFrameCounter } from './grpc-frame-counter.js';

export const GRPC_STATS_FILTER = 'envoy.filters.http.grpc_stats';
export const GRPC_STATS_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.grpc_stats.v3.FilterConfig';

/** The decoded envoy.extensions.filters.http.grpc_stats.v3.FilterConfig fields this filter reads. */
export interface GrpcStatsConfig {
  readonly emit_filter_state?: boolean;
  readonly individual_method_stats_allowlist?: { readonly services?: readonly { readonly name: string; readonly method_names?: readonly string[] }[] } | null;
  readonly stats_for_all_methods?: { readonly value: boolean } | null;
  readonly enable_upstream_stats?: boolean;
  readonly replace_dots_in_grpc_service_name?: boolean;
}

/** What emit_filter_state keeps per stream (Envoy's FilterObject, read by access logs). */
export interface GrpcMessageCounts {
  requestMessages: number;
  responseMessages: number;
}

const filterState = new WeakMap<object, GrpcMessageCounts>();

/** The message counts of a gRPC stream when the filter runs with emit_filter_state; else undefined. */
export function grpcMessageCountsOf(ctx: object): GrpcMessageCounts | undefined {
  return filterState.get(ctx);
}

type MethodPolicy = { readonly kind: 'all'; readonly replaceDots: boolean } | { readonly kind: 'none' } | { readonly kind: 'allow'; readonly methods: ReadonlySet<string> };

export interface GrpcStatsFilterDeps {
  readonly stats: StatScope;
  readonly now?: () => number;
}

/** Validates the config (an empty allowlist entry is an error, as Envoy's validation rules say). */
export function checkGrpcStatsConfig(config: GrpcStatsConfig, issues: IssueCollector): void {
  (config.individual_method_stats_allowlist?.services ?? []).forEach((s, i) => {
    const at = issues.at('individual_method_stats_allowlist', 'services', i);
    if (!s.name) at.at('name').error('must not be empty');
    if ((s.method_names ?? []).length === 0) at.at('method_names').error('must list at least one method');
  });
}

function methodPolicy(c: GrpcStatsConfig): MethodPolicy {
  if (c.individual_method_stats_allowlist) {
    const methods = new Set<string>();
    for (const s of c.individual_method_stats_allowlist.services ?? []) for (const m of s.method_names ?? []) methods.add(`${s.name}/${m}`);
    return { kind: 'allow', methods };
  }
  // Neither set means stats_for_all_methods=false (the v3 default).
  return c.stats_for_all_methods?.value ? { kind: 'all', replaceDots: c.replace_dots_in_grpc_service_name ?? false } : { kind: 'none' };
}

/** `application/grpc` and `application/grpc+proto` etc., as Envoy's isGrpcRequestHeaders. */
function isGrpc(contentType: unknown): boolean {
  return typeof contentType === 'string' && (contentType === 'application/grpc' || contentType.startsWith('application/grpc+') || contentType.startsWith('application/grpc;'));
}

/** `/package.Service/Method` → ['package.Service', 'Method'], else undefined. */
function serviceAndMethod(path: string): [string, string] | undefined {
  const q = path.indexOf('?');
  const p = q >= 0 ? path.slice(0, q) : path;
  const slash = p.indexOf('/', 1);
  if (!p.startsWith('/') || slash < 2 || slash === p.length - 1 || p.indexOf('/', slash + 1) !== -1) return undefined;
  return [p.slice(1, slash), p.slice(slash + 1)];
}

/** Envoy's httpToGrpcStatus, for responses that carry no grpc-status (local replies). */
function grpcStatusFromHttp(status: number): number {
  switch (status) {
    case 400:
      return 13;
    case 401:
      return 16;
    case 403:
      return 7;
    case 404:
      return 12;
    case 429:
    case 502:
    case 503:
    case 504:
      return 14;
    default:
      return 2;
  }
}

export function createGrpcStatsFilter(config: GrpcStatsConfig, deps: GrpcStatsFilterDeps): HttpFilter {
  const policy = methodPolicy(config);
  const emitFilterState = config.emit_filter_state ?? false;
  const upstreamStats = config.enable_upstream_stats ?? false;
  const now = deps.now ?? Date.now;
  const prefixOf = (cluster: string, path: string): string => {
    const base = `cluster.${cluster}.grpc.`;
    if (policy.kind === 'none') return base;
    const sm = serviceAndMethod(path);
    if (!sm) return base;
    if (policy.kind === 'allow') return policy.methods.has(`${sm[0]}/${sm[1]}`) ? `${base}${sm[0]}.${sm[1]}.` : base;
    return `${base}${policy.replaceDots ? sm[0].replaceAll('.', '_') : sm[0]}.${sm[1]}.`;
  };
  return {
    name: GRPC_STATS_FILTER,
    decode(raw): FilterStatus {
      const ctx = raw as RoutedStream;
      if (ctx.decision.kind !== 'forward' || !ctx.decision.cluster || !isGrpc(ctx.downstreamHeaders['content-type'])) return 'continue';
      const prefix = prefixOf(ctx.decision.cluster, ctx.path);
      const stats = deps.stats;
      const counts: GrpcMessageCounts = { requestMessages: 0, responseMessages: 0 };
      if (emitFilterState) filterState.set(ctx, counts);
      const started = now();
      // Request messages: the HTTP/2 stream's data as it arrives (a second listener only observes it).
      const h2 = (ctx.body as Partial<Http2ServerRequest>).stream;
      if (h2) {
        const requests = new GrpcFrameCounter();
        const counter = stats.counter(`${prefix}request_message_count`);
        h2.on('data', (chunk: Buffer) => {
          const n = requests.push(chunk);
          if (n === 0) return;
          counts.requestMessages += n;
          counter.add(n);
        });
      }
      const responses = new GrpcFrameCounter();
      const responseCounter = stats.counter(`${prefix}response_message_count`);
      onResponseData(ctx, (chunk) => {
        const n = responses.push(chunk);
        if (n === 0) return;
        counts.responseMessages += n;
        responseCounter.add(n);
      });
      // A trailers-only response carries grpc-status in its headers.
      let headerStatus: unknown;
      beforeResponseHeaders(ctx, (h) => (headerStatus = h['grpc-status']));
      ctx.response.once('close', () => {
        const res = ctx.response as { headersSent: boolean; statusCode: number; stream?: { sentTrailers?: Record<string, unknown> } };
        // A stream reset before any response has no status to charge (as in Envoy).
        if (!res.headersSent) return;
        const trailer = res.stream?.sentTrailers?.['grpc-status'];
        const text = trailer ?? headerStatus;
        const code = text !== undefined ? Number(text) : grpcStatusFromHttp(res.statusCode);
        stats.counter(`${prefix}${code === 0 ? 'success' : 'failure'}`).inc();
        stats.counter(`${prefix}total`).inc();
        if (upstreamStats) stats.histogram(`${prefix}upstream_rq_time`, 'Milliseconds').record(now() - started);
      });
      return 'continue';
    },
  };
}
