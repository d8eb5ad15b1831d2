// RouteAction → forward decisions. Everything that does not depend on the request (cluster names,
// timeouts, retry policy, merged header operations, per-filter config, CORS) is built once per
// cluster target; at request time only the target is picked and request-dependent parts filled in.
import type { IssueCollector } from '@weft/base';
import type { ClusterWeightConfig, RouteActionConfig } from './config-types.js';
import { compileCorsChain, type CorsLevel, type CorsOptions } from './cors-chain.js';
import { CORS_FILTER_NAME } from './cors-policy.js';
import { optionalMs } from './duration.js';
import { compileHashPolicies } from './hash-policy.js';
import { compileLevelMutations, flattenHeaderMutations, type HeaderMutation } from './header-mutation.js';
import { compileMirrors, mirrorsAreDynamic, resolveMirrors, type CompiledMirror } from './mirror-policy.js';
import { compilePathRewrite } from './path-rewrite.js';
import { checkPerFilterConfigs, overlayPerFilterConfig, type PerFilterConfigChecks } from './per-filter-config.js';
import { compileRegexRewrite, type RegexRewrite } from './regex-substitution.js';
import { pathWithoutQuery } from './request-head.js';
import { compileRetryPolicy, type RetryPolicy } from './retry-policy.js';
import type { MatchContext } from './route-match.js';
import {
  DEFAULT_ROUTE_TIMEOUT_MS,
  type ForwardDecision,
  type PerFilterConfig,
  type RouteInfo,
  type VirtualHostInfo,
} from './route-decision.js';
import { pickWeighted, type WeightedChoice } from './weighted-clusters.js';

/** What the enclosing levels contribute, compiled once by the route table. */
export interface ForwardScope extends CorsOptions {
  readonly route: RouteInfo;
  readonly virtualHost: VirtualHostInfo;
  /** Header operations of the route, virtual host and route configuration, in Envoy's order. */
  readonly requestHeaderMutations: readonly HeaderMutation[];
  readonly responseHeaderMutations: readonly HeaderMutation[];
  /** Route configuration, virtual host and route per-filter configs merged. */
  readonly perFilterConfig: PerFilterConfig;
  /** CORS sources of route, virtual host and route configuration, most specific first. */
  readonly corsLevels: readonly CorsLevel[];
  readonly virtualHostRetry?: RetryPolicy;
  readonly inheritedMirrors: readonly CompiledMirror[];
  readonly mostSpecificHeaderMutationsWins: boolean;
  /** RouteConfiguration.internal_only_headers, lower-case. */
  readonly internalOnlyHeaders: readonly string[];
  /** Checks of typed_per_filter_config entries (a weighted cluster entry's own). */
  readonly perFilterConfigChecks?: PerFilterConfigChecks;
}

export interface CompiledForward {
  decide(ctx: MatchContext, matched: number): ForwardDecision;
}

interface Target {
  readonly clusterHeader?: string;
  readonly base: ForwardDecision;
}

const NOT_FOUND_STATUS: Readonly<Record<string, number>> = { SERVICE_UNAVAILABLE: 503, NOT_FOUND: 404, INTERNAL_SERVER_ERROR: 500 };

export function compileForward(action: RouteActionConfig, scope: ForwardScope, issues: IssueCollector): CompiledForward {
  const mirrors =
    action.request_mirror_policies.length > 0
      ? compileMirrors(action.request_mirror_policies, issues.at('request_mirror_policies'))
      : scope.inheritedMirrors;
  const shared = sharedParts(action, scope, mirrors, issues);
  const entries = clusterEntries(action, issues);
  const targets: Target[] = entries.configs.map((entry, i) =>
    target(entry, shared, scope, issues.at('weighted_clusters', 'clusters', i)),
  );
  const pathRewrite = compilePathRewrite(action.prefix_rewrite, action.regex_rewrite, issues, {
    prefix: 'prefix_rewrite',
    regex: 'regex_rewrite',
  });
  const hostRewrite = dynamicHostRewrite(action, issues);
  const dynamicMirrors = mirrorsAreDynamic(mirrors) ? mirrors : undefined;
  const choice = entries.choice;
  return {
    decide(ctx, matched) {
      const t = choice && targets.length > 1 ? targets[pickWeighted(choice, ctx.head, ctx.random)] : targets[0];
      if (!t) throw new Error('route action compiled without a cluster target');
      if (!pathRewrite && !hostRewrite && !t.clusterHeader && !dynamicMirrors) return t.base;
      const rewrittenHost = hostRewrite?.(ctx);
      return {
        ...t.base,
        ...(t.clusterHeader ? { cluster: ctx.head.header(t.clusterHeader) ?? '' } : {}),
        ...(pathRewrite ? { pathRewrite: pathRewrite(ctx.head.path, matched) } : {}),
        ...(rewrittenHost ? { hostRewrite: rewrittenHost } : {}),
        ...(dynamicMirrors ? { mirrors: resolveMirrors(dynamicMirrors, ctx.head) } : {}),
      };
    },
  };
}

type Shared = Omit<
  ForwardDecision,
  | 'cluster'
  | 'requestHeaderMutations'
  | 'responseHeaderMutations'
  | 'requestHeadersToAdd'
  | 'requestHeadersToRemove'
  | 'responseHeadersToAdd'
  | 'responseHeadersToRemove'
  | 'perFilterConfig'
  | 'cors'
  | 'corsPolicies'
>;

/** The parts of the decision every cluster target of this route shares. */
function sharedParts(
  action: RouteActionConfig,
  scope: ForwardScope,
  mirrors: readonly CompiledMirror[],
  issues: IssueCollector,
): Shared {
  // A route's retry policy replaces the virtual host's wholesale (buildRetryPolicy).
  const retry = action.retry_policy
    ? compileRetryPolicy(action.retry_policy, issues.at('retry_policy'))
    : scope.virtualHostRetry;
  const msd = action.max_stream_duration;
  const grpcMax = optionalMs(msd?.grpc_timeout_header_max) ?? optionalMs(action.max_grpc_timeout);
  const grpcOffset = optionalMs(msd?.grpc_timeout_header_offset) ?? optionalMs(action.grpc_timeout_offset);
  return {
    kind: 'forward',
    route: scope.route,
    virtualHost: scope.virtualHost,
    ...(action.host_rewrite_specifier === 'host_rewrite_literal' && action.host_rewrite_literal
      ? { hostRewrite: action.host_rewrite_literal }
      : {}),
    autoHostRewrite: action.host_rewrite_specifier === 'auto_host_rewrite' && action.auto_host_rewrite?.value === true,
    appendXForwardedHost: action.append_x_forwarded_host,
    timeoutMs: optionalMs(action.timeout) ?? DEFAULT_ROUTE_TIMEOUT_MS,
    ...defined('idleTimeoutMs', optionalMs(action.idle_timeout)),
    ...defined('perTryTimeoutMs', retry?.perTryTimeoutMs),
    ...defined('maxStreamDurationMs', optionalMs(msd?.max_stream_duration)),
    ...defined('grpcTimeoutHeaderMaxMs', grpcMax),
    ...defined('grpcTimeoutHeaderOffsetMs', grpcOffset),
    ...(retry ? { retry } : {}),
    mirrors: mirrors.flatMap((m) => (m.fixed ? [m.fixed] : [])),
    hashPolicies: compileHashPolicies(action.hash_policy, issues.at('hash_policy')),
    ...upgrades(action, issues),
    clusterNotFoundStatus: NOT_FOUND_STATUS[action.cluster_not_found_response_code] ?? 503,
    priority: action.priority === 'HIGH' ? 'HIGH' : 'DEFAULT',
    includeAttemptCountInRequest: scope.virtualHost.config.include_request_attempt_count,
    includeAttemptCountInResponse: scope.virtualHost.config.include_attempt_count_in_response,
    internalOnlyHeaders: scope.internalOnlyHeaders,
  };
}

/** One cluster target: its decision with the weighted-cluster entry's own headers, configs and host. */
function target(entry: ClusterWeightConfig | undefined, shared: Shared, scope: ForwardScope, issues: IssueCollector): Target {
  const own = entry ? compileLevelMutations(entry, issues) : { request: [], response: [] };
  const entryFilters = entry?.typed_per_filter_config ?? {};
  checkPerFilterConfigs(entryFilters, scope.perFilterConfigChecks, issues);
  const cors = compileCorsChain([{ typed: entryFilters[CORS_FILTER_NAME] }, ...scope.corsLevels], scope, issues);
  const literal = entry?.host_rewrite_specifier === 'host_rewrite_literal' ? entry.host_rewrite_literal : undefined;
  // Envoy applies the weighted-cluster entry's headers first, then the route's chain.
  const request = concat(own.request, scope.requestHeaderMutations);
  const response = concat(own.response, scope.responseHeaderMutations);
  const flatRequest = flattenHeaderMutations(request);
  const flatResponse = flattenHeaderMutations(response);
  const base: ForwardDecision = Object.freeze({
    // A weighted entry's host is applied before the route's, so the route's rewrite wins when both exist.
    ...(literal ? { hostRewrite: literal } : {}),
    ...shared,
    cluster: entry ? entry.name : '',
    requestHeaderMutations: request,
    responseHeaderMutations: response,
    requestHeadersToAdd: flatRequest.toAdd,
    requestHeadersToRemove: flatRequest.toRemove,
    responseHeadersToAdd: flatResponse.toAdd,
    responseHeadersToRemove: flatResponse.toRemove,
    perFilterConfig: overlayPerFilterConfig(scope.perFilterConfig, entryFilters),
    ...(cors[0] ? { cors: cors[0] } : {}),
    corsPolicies: cors,
  });
  return entry?.cluster_header ? { clusterHeader: entry.cluster_header.toLowerCase(), base } : { base };
}

interface Entries {
  /** Weighted entries, or one undefined entry for a plain cluster / cluster_header route. */
  configs: Array<ClusterWeightConfig | undefined>;
  choice?: WeightedChoice;
}

function clusterEntries(action: RouteActionConfig, issues: IssueCollector): Entries {
  switch (action.cluster_specifier) {
    case 'cluster':
    case 'cluster_header':
      return { configs: [singleCluster(action, issues)] };
    case 'weighted_clusters':
      return weightedEntries(action, issues.at('weighted_clusters'));
    case 'cluster_specifier_plugin':
    case 'inline_cluster_specifier_plugin':
      issues.at(action.cluster_specifier).error('cluster specifier plugins are not supported');
      return { configs: [undefined] };
    default:
      issues.error('one of cluster, cluster_header or weighted_clusters is required');
      return { configs: [undefined] };
  }
}

/** A plain cluster or cluster_header route, phrased as a one-entry weighted cluster. */
function singleCluster(action: RouteActionConfig, issues: IssueCollector): ClusterWeightConfig {
  const name = action.cluster_specifier === 'cluster' ? (action.cluster ?? '') : '';
  const header = action.cluster_specifier === 'cluster_header' ? (action.cluster_header ?? '') : '';
  if (!name && !header) issues.at(action.cluster_specifier ?? 'cluster').error('a cluster name is required');
  return {
    name,
    cluster_header: header,
    weight: { value: 1 },
    metadata_match: null,
    request_headers_to_add: [],
    request_headers_to_remove: [],
    response_headers_to_add: [],
    response_headers_to_remove: [],
    typed_per_filter_config: {},
  };
}

function weightedEntries(action: RouteActionConfig, issues: IssueCollector): Entries {
  const wc = action.weighted_clusters;
  const clusters = wc?.clusters ?? [];
  if (clusters.length === 0) issues.at('clusters').error('at least one weighted cluster is required');
  const weights = clusters.map((c, i) => {
    if (Boolean(c.name) === Boolean(c.cluster_header)) {
      issues.at('clusters', i).error('exactly one of name and cluster_header is required');
    }
    if (!c.weight) issues.at('clusters', i, 'weight').error('a weight is required');
    return c.weight?.value ?? 0;
  });
  const sum = weights.reduce((a, b) => a + b, 0);
  const declared = wc?.total_weight?.value;
  if (sum === 0) issues.error('the sum of weights must be greater than 0');
  if (sum > 0xffffffff) issues.error('the sum of weights must fit in 32 bits');
  // Older Envoys require total_weight, when given, to equal the sum; later ones ignore it.
  if (declared !== undefined && declared > 0 && declared !== sum) {
    issues.at('total_weight').error(`weights sum to ${sum}, not total_weight ${declared}`);
  }
  const header = wc?.random_value_specifier === 'header_name' && wc.header_name ? wc.header_name.toLowerCase() : undefined;
  return {
    configs: clusters.length > 0 ? clusters : [undefined],
    choice: { weights, total: Math.max(1, sum), ...(header ? { randomValueHeader: header } : {}) },
  };
}

/** host_rewrite_header and host_rewrite_path_regex, which depend on the request. */
function dynamicHostRewrite(
  action: RouteActionConfig,
  issues: IssueCollector,
): ((ctx: MatchContext) => string | undefined) | undefined {
  if (action.host_rewrite_specifier === 'host_rewrite_header' && action.host_rewrite_header) {
    const name = action.host_rewrite_header.toLowerCase();
    return (ctx) => ctx.head.header(name) || undefined;
  }
  if (action.host_rewrite_specifier === 'host_rewrite_path_regex' && action.host_rewrite_path_regex) {
    const at = issues.at('host_rewrite_path_regex');
    const rewrite: RegexRewrite | undefined = compileRegexRewrite(action.host_rewrite_path_regex, at);
    if (!rewrite) return undefined;
    return (ctx) => rewrite(pathWithoutQuery(ctx.head.path)) || undefined;
  }
  return undefined;
}

function upgrades(action: RouteActionConfig, issues: IssueCollector): { upgradeConfigs?: ReadonlyMap<string, boolean> } {
  if (action.upgrade_configs.length === 0) return {};
  const map = new Map<string, boolean>();
  action.upgrade_configs.forEach((u, i) => {
    const at = issues.at('upgrade_configs', i);
    const type = u.upgrade_type.toLowerCase();
    const enabled = u.enabled?.value ?? true;
    if (map.has(type)) at.error(`duplicate upgrade ${u.upgrade_type}`);
    // As at the connection manager: websocket is the upgrade weft tunnels. Disabling any type is
    // enforced (the upgrade is refused 403), so only an enabled other type is refused here.
    if (enabled && type !== 'websocket') at.at('upgrade_type').error(`upgrade type ${u.upgrade_type} is not supported (websocket is)`);
    if (u.connect_config) at.at('connect_config').error('CONNECT termination is not supported');
    map.set(type, enabled);
  });
  return { upgradeConfigs: map };
}

function defined<K extends string>(key: K, value: number | undefined): { [P in K]?: number } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: number };
}

function concat<T>(a: readonly T[], b: readonly T[]): readonly T[] {
  return a.length === 0 ? b : b.length === 0 ? a : [...a, ...b];
}
