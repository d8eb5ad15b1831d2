// What the route table answers for one request: forward to a cluster, redirect, respond directly, or
// no route (Envoy's 404 with response flag NR). Static parts are computed once per route at compile
// time; a decision for a route without request-dependent parts is a shared, frozen object.
import type { Any__Output, Route__Output, VirtualHost__Output } from './config-types.js';
import type { CorsPolicy } from './cors-policy.js';
import type { HashPolicy } from './hash-policy.js';
import type { HeaderMutation, HeaderToAdd } from './header-mutation.js';
import type { MirrorPolicy } from './mirror-policy.js';
import type { RetryPolicy } from './retry-policy.js';

/** The route as stats and access logs name it, with its configuration for anything else. */
export interface RouteInfo {
  readonly name: string;
  readonly config: Route__Output;
}

export interface VirtualHostInfo {
  readonly name: string;
  readonly config: VirtualHost__Output;
}

/** Filter name → typed_per_filter_config Any, already resolved most specific first. */
export type PerFilterConfig = ReadonlyMap<string, Any__Output>;

export interface ForwardDecision {
  readonly kind: 'forward';
  /** The upstream cluster; '' when cluster_header named none (the router answers clusterNotFoundStatus). */
  readonly cluster: string;
  readonly route: RouteInfo;
  readonly virtualHost: VirtualHostInfo;
  /**
   * The new path after prefix_rewrite or regex_rewrite, WITHOUT the query string: the upstream
   * `:path` is this plus the original query (Envoy never rewrites the query). Undefined when unchanged.
   */
  readonly pathRewrite?: string;
  /** The new `:authority` from host_rewrite_literal, host_rewrite_header or host_rewrite_path_regex. */
  readonly hostRewrite?: string;
  /** auto_host_rewrite: the router sets `:authority` to the chosen endpoint's hostname. */
  readonly autoHostRewrite: boolean;
  readonly appendXForwardedHost: boolean;
  /** route.timeout; 15000 when unset, 0 disables it. */
  readonly timeoutMs: number;
  readonly idleTimeoutMs?: number;
  readonly perTryTimeoutMs?: number;
  readonly maxStreamDurationMs?: number;
  /** Cap on a gRPC client's grpc-timeout (max_stream_duration.grpc_timeout_header_max or max_grpc_timeout); 0 = no cap. */
  readonly grpcTimeoutHeaderMaxMs?: number;
  readonly grpcTimeoutHeaderOffsetMs?: number;
  readonly retry?: RetryPolicy;
  readonly mirrors: readonly MirrorPolicy[];
  readonly hashPolicies: readonly HashPolicy[];
  /** Request header operations in Envoy's order; apply in sequence (later entries win). Exact. */
  readonly requestHeaderMutations: readonly HeaderMutation[];
  readonly responseHeaderMutations: readonly HeaderMutation[];
  /** The same operations as remove-all-then-add lists (see flattenHeaderMutations for the caveat). */
  readonly requestHeadersToAdd: readonly HeaderToAdd[];
  readonly requestHeadersToRemove: readonly string[];
  readonly responseHeadersToAdd: readonly HeaderToAdd[];
  readonly responseHeadersToRemove: readonly string[];
  readonly perFilterConfig: PerFilterConfig;
  /** The most specific CORS policy, when any level has one. */
  readonly cors?: CorsPolicy;
  /** Every CORS policy that applies, most specific first (the CORS filter's fallback chain). */
  readonly corsPolicies: readonly CorsPolicy[];
  /** upgrade_type (lower-case) → enabled, when the route configures upgrades. */
  readonly upgradeConfigs?: ReadonlyMap<string, boolean>;
  /** What the router answers when the cluster does not exist (cluster_not_found_response_code). */
  readonly clusterNotFoundStatus: number;
  readonly priority: 'DEFAULT' | 'HIGH';
  readonly includeAttemptCountInRequest: boolean;
  readonly includeAttemptCountInResponse: boolean;
  /** RouteConfiguration.internal_only_headers (lower-case): removed from requests that are not internal. */
  readonly internalOnlyHeaders: readonly string[];
}

export interface RedirectDecision {
  readonly kind: 'redirect';
  readonly status: number;
  readonly location: string;
  /** Absent for the virtual host's require_tls redirect, which is no configured route. */
  readonly route?: RouteInfo;
  readonly virtualHost: VirtualHostInfo;
  readonly responseHeaderMutations: readonly HeaderMutation[];
  readonly responseHeadersToAdd: readonly HeaderToAdd[];
  readonly responseHeadersToRemove: readonly string[];
}

export interface DirectDecision {
  readonly kind: 'direct';
  readonly status: number;
  /** The body as text (inline_bytes decoded as UTF-8); absent when the response has none. */
  readonly body?: string;
  /** The body's exact bytes (inline_bytes as configured), present whenever `body` is. */
  readonly bodyBytes?: Uint8Array;
  readonly route: RouteInfo;
  readonly virtualHost: VirtualHostInfo;
  readonly responseHeaderMutations: readonly HeaderMutation[];
  readonly responseHeadersToAdd: readonly HeaderToAdd[];
  readonly responseHeadersToRemove: readonly string[];
}

export interface NoRouteDecision {
  readonly kind: 'no-route';
  /** The virtual host that matched the authority but had no matching route, if any. */
  readonly virtualHost?: VirtualHostInfo;
}

export type RouteDecision = ForwardDecision | RedirectDecision | DirectDecision | NoRouteDecision;

/** Envoy's default route timeout (DEFAULT_ROUTE_TIMEOUT_MS). */
export const DEFAULT_ROUTE_TIMEOUT_MS = 15_000;
