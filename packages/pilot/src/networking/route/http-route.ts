// One VirtualService HTTP rule → Envoy routes (Istio 1.3 route.go translateRoute and
// BuildHTTPRoutesForVirtualService): one route per match block, in order, first match wins.
import type { Destination, HTTPMatchRequest, HTTPRoute, HTTPRouteDestination, Route, VirtualService } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import type { Service } from '../../model/service.js';
import { parseClusterName } from '../names.js';
import { corsFilterConfig, CORS_FILTER } from './cors.js';
import { destinationCluster } from './destination.js';
import { faultFilterConfig, FAULT_FILTER } from './fault.js';
import type { HashPolicy } from './hash-policy.js';
import { headerMutations, mergeMutations, nonEmptyMutations } from './header-operations.js';
import { durationOf, integerToFractional, percentToFractional, ZERO_DURATION } from './proto-values.js';
import { convertRetryPolicy } from './retry-policy.js';
import { isCatchAllMatch, isCatchAllRoute, translateRouteMatch } from './route-match.js';
import { resolveGatewayName, virtualServiceConfigPath } from './virtual-service.js';
import { labelsSelect, type Labels } from './workload.js';

export type RouteAction = NonNullable<Route['route']>;
type ClusterWeight = NonNullable<NonNullable<RouteAction['weighted_clusters']>['clusters']>[number];

/** Everything route translation needs besides the VirtualService: where, for whom, and lookups. */
export interface HttpRouteContext {
  /** The port of the listener (sidecar) or server (gateway) the routes are for. */
  readonly listenerPort: number;
  /** `mesh` for sidecars; resolved `namespace/name` of the gateways for a gateway proxy. */
  readonly gatewayNames: ReadonlySet<string>;
  /** Label sets of the proxy's workload, for `sourceLabels` (empty for gateways). */
  readonly workloadLabels: readonly Labels[];
  /** A service by fully qualified host name, for the destination port. */
  readonly service: (hostname: string) => Service | undefined;
  /** The consistent-hash policy of a destination's DestinationRule. */
  readonly hashPolicy: (destination: Destination) => HashPolicy | undefined;
}

/** Name of the route Istio puts on catch-all default routes. */
export const DEFAULT_ROUTE_NAME = 'default';

/** Istio's sourceMatchHTTP: match-level gateways, else the workload's labels must select. */
function sourceMatches(match: HTTPMatchRequest | undefined, vs: Config<VirtualService>, rctx: HttpRouteContext): boolean {
  if (!match) return true;
  if (match.gateways && match.gateways.length > 0) {
    return match.gateways.some((g) => rctx.gatewayNames.has(resolveGatewayName(g, vs.metadata.namespace)));
  }
  return labelsSelect(rctx.workloadLabels, match.sourceLabels);
}

/**
 * Istio's getRouteOperation (the tracing span name): `host:port<path>` when the route has one
 * cluster, else `<vsName>:<listenerPort><path>`; the path is `prefix*`, the exact path or `/*`.
 */
export function routeOperation(route: Route, vsName: string, listenerPort: number): string {
  const m = route.match;
  const path = m?.prefix !== undefined ? `${m.prefix}*` : m?.path !== undefined ? m.path : m?.safe_regex ? m.safe_regex.regex ?? '/*' : '/*';
  const parsed = route.route?.cluster ? parseClusterName(route.route.cluster) : undefined;
  if (parsed) return `${parsed.host}:${parsed.port}${path}`;
  return `${vsName}:${listenerPort}${path}`;
}

const REDIRECT_CODES: Readonly<Record<number, string>> = {
  301: 'MOVED_PERMANENTLY',
  302: 'FOUND',
  303: 'SEE_OTHER',
  307: 'TEMPORARY_REDIRECT',
  308: 'PERMANENT_REDIRECT',
};

/** Request mirroring (1.4+ mirrorPercent, 1.5+ mirrorPercentage; 100% when neither is set; 0 turns it off). */
function mirrorPolicy(http: HTTPRoute, rctx: HttpRouteContext): RouteAction['request_mirror_policies'] {
  const mirror = http.mirror;
  if (!mirror?.host) return undefined;
  let fraction;
  if (http.mirrorPercentage) {
    if ((http.mirrorPercentage.value ?? 0) <= 0) return undefined;
    fraction = percentToFractional(http.mirrorPercentage.value ?? 0);
  } else if (http.mirrorPercent !== undefined) {
    if (http.mirrorPercent <= 0) return undefined;
    fraction = integerToFractional(http.mirrorPercent);
  } else {
    fraction = integerToFractional(100);
  }
  const cluster = destinationCluster(mirror, rctx.service(mirror.host), rctx.listenerPort);
  return [{ cluster, runtime_fraction: { default_value: fraction } }];
}

/** The forward action: clusters, weights, per-destination headers, retries, timeout, rewrite, mirror, hash. */
function forwardAction(http: HTTPRoute, rctx: HttpRouteContext): { action: RouteAction; lifted: ReturnType<typeof headerMutations> | undefined } {
  const timeout = durationOf(http.timeout) ?? ZERO_DURATION;
  const action: RouteAction = { timeout, max_stream_duration: { grpc_timeout_header_max: timeout } };
  const retry = convertRetryPolicy(http.retries);
  if (retry) action.retry_policy = retry;
  if (http.rewrite?.uri) action.prefix_rewrite = http.rewrite.uri;
  if (http.rewrite?.authority) action.host_rewrite_literal = http.rewrite.authority;
  const mirror = mirrorPolicy(http, rctx);
  if (mirror) action.request_mirror_policies = mirror;
  const destinations: HTTPRouteDestination[] = http.route ?? [];
  const weighted: { weight: ClusterWeight; mutations: ReturnType<typeof headerMutations> }[] = [];
  const hashPolicies: HashPolicy[] = [];
  for (const dst of destinations) {
    // Zero weights are dropped, unless the destination is the only one (then it gets 100).
    let weight = dst.weight ?? 0;
    if (weight === 0) {
      if (destinations.length !== 1) continue;
      weight = 100;
    }
    const destination = dst.destination ?? {};
    const name = destinationCluster(destination, rctx.service(destination.host ?? ''), rctx.listenerPort);
    const mutations = headerMutations(dst.headers, dst);
    weighted.push({ weight: { name, weight: { value: weight }, ...nonEmptyMutations(mutations) }, mutations });
    const hash = rctx.hashPolicy(destination);
    if (hash) hashPolicies.push(hash);
  }
  if (hashPolicies.length > 0) action.hash_policy = hashPolicies;
  const only = weighted.length === 1 ? weighted[0] : undefined;
  if (only) {
    action.cluster = only.weight.name ?? '';
    return { action, lifted: only.mutations };
  }
  action.weighted_clusters = { clusters: weighted.map((w) => w.weight) };
  return { action, lifted: undefined };
}

/**
 * One HTTP rule with one of its match blocks → an Envoy route, or undefined when the match does not
 * apply here (source labels, gateways, or a `port` other than the listener's).
 */
export function translateHttpRoute(
  vs: Config<VirtualService>,
  http: HTTPRoute,
  match: HTTPMatchRequest | undefined,
  rctx: HttpRouteContext,
): Route | undefined {
  if (!sourceMatches(match, vs, rctx)) return undefined;
  if (match?.port && match.port !== rctx.listenerPort) return undefined;
  const name = match?.name ? `${http.name ?? ''}.${match.name}` : http.name;
  const out: Route = {
    ...(name ? { name } : {}),
    match: translateRouteMatch(match),
    metadata: { filter_metadata: { istio: { fields: { config: { string_value: virtualServiceConfigPath(vs) } } } } },
  };
  let mutations = headerMutations(http.headers, http);
  if (http.redirect) {
    const code = REDIRECT_CODES[http.redirect.redirectCode ?? 301];
    if (!code) return undefined; // Istio leaves such a route without an action, which Envoy rejects.
    out.redirect = {
      ...(http.redirect.authority ? { host_redirect: http.redirect.authority } : {}),
      ...(http.redirect.uri ? { path_redirect: http.redirect.uri } : {}),
      response_code: code as 'MOVED_PERMANENTLY',
    };
  } else {
    const { action, lifted } = forwardAction(http, rctx);
    out.route = action;
    if (lifted) mutations = mergeMutations(mutations, lifted);
  }
  Object.assign(out, nonEmptyMutations(mutations));
  out.decorator = { operation: routeOperation(out, vs.metadata.name, rctx.listenerPort) };
  const perFilter: Record<string, { type_url: string; value: Uint8Array }> = {};
  const cors = http.redirect ? undefined : corsFilterConfig(http.corsPolicy);
  if (cors) perFilter[CORS_FILTER] = cors;
  const fault = faultFilterConfig(http.fault);
  if (fault) perFilter[FAULT_FILTER] = fault;
  if (Object.keys(perFilter).length > 0) out.typed_per_filter_config = perFilter;
  return out;
}

/**
 * All routes of a VirtualService for one listener port, in rule order. A rule without matches, or a
 * catch-all match, ends the list: later rules could never match.
 */
export function buildHttpRoutesForVirtualService(vs: Config<VirtualService>, rctx: HttpRouteContext): Route[] {
  const out: Route[] = [];
  for (const http of vs.spec.http ?? []) {
    if (!http.match || http.match.length === 0) {
      const r = translateHttpRoute(vs, http, undefined, rctx);
      if (r) out.push(r);
      return out;
    }
    for (const match of http.match) {
      const r = translateHttpRoute(vs, http, match, rctx);
      if (!r) continue;
      out.push(r);
      if (isCatchAllMatch(match)) return out;
    }
  }
  return out;
}

/** Istio's BuildDefaultHTTPOutboundRoute: `/` to the service's cluster, timeout off, default retries. */
export function defaultOutboundRoute(cluster: string, operation: string, hash?: HashPolicy): Route {
  const route: RouteAction = {
    cluster,
    timeout: ZERO_DURATION,
    retry_policy: convertRetryPolicy(undefined),
    max_stream_duration: { grpc_timeout_header_max: ZERO_DURATION },
    ...(hash ? { hash_policy: [hash] } : {}),
  };
  return { name: DEFAULT_ROUTE_NAME, match: translateRouteMatch(undefined), route, decorator: { operation } };
}

/** Istio's BuildDefaultHTTPInboundRoute: `/` to the inbound cluster, timeout off, no retries. */
export function defaultInboundRoute(cluster: string, operation: string): Route {
  return {
    name: DEFAULT_ROUTE_NAME,
    match: translateRouteMatch(undefined),
    route: { cluster, timeout: ZERO_DURATION, max_stream_duration: { grpc_timeout_header_max: ZERO_DURATION } },
    decorator: { operation },
  };
}

/**
 * Istio's CombineVHostRoutes, for two VirtualServices on one gateway host: all specific routes in
 * order, then the catch-all routes, so one VirtualService's `/` does not hide the other's paths.
 */
export function combineVirtualHostRoutes(first: readonly Route[], second: readonly Route[]): Route[] {
  const all = [...first, ...second];
  return [...all.filter((r) => !isCatchAllRoute(r)), ...all.filter(isCatchAllRoute)];
}
