// A RouteConfiguration compiled once into a RouteTable: virtual host selection by :authority, then the
// first route whose match holds, then its action. Pure and allocation-light per request: no regex or
// config is compiled while routing, and routes without request-dependent parts answer shared objects.
import { IssueCollector, type ValidationResult } from '@weft/base';
import type { Any__Output, RouteConfiguration__Output, Route__Output, VirtualHost__Output } from './config-types.js';
import type { CorsLevel } from './cors-chain.js';
import { CORS_FILTER_NAME, type CorsPolicy } from './cors-policy.js';
import { compileDirectResponse, DEFAULT_MAX_DIRECT_RESPONSE_BODY_BYTES } from './direct-response.js';
import { compileLevelMutations, flattenHeaderMutations, type HeaderMutation } from './header-mutation.js';
import { compileMirrors, type CompiledMirror } from './mirror-policy.js';
import { checkPerFilterConfigs, NO_PER_FILTER_CONFIG, overlayPerFilterConfig, type PerFilterConfigChecks } from './per-filter-config.js';
import { compileRedirect, tlsRedirectLocation } from './redirect.js';
import { pathEnd, type RequestHead } from './request-head.js';
import { compileRetryPolicy, type RetryPolicy } from './retry-policy.js';
import { compileForward, type ForwardScope } from './route-action.js';
import type { NoRouteDecision, PerFilterConfig, RouteDecision, RouteInfo, VirtualHostInfo } from './route-decision.js';
import { compileRouteMatch, type CompiledRouteMatch, type MatchContext } from './route-match.js';
import { VirtualHostSelector } from './virtual-host-selector.js';

export interface RouteTableOptions {
  /** Decodes an Any (e.g. `(a) => registry.unpack(a)`); needed only for typed CORS policies. */
  readonly unpack?: (any: Any__Output) => unknown;
  /**
   * Checks of typed_per_filter_config entries by type URL (the fault filter's HTTPFault...): an entry
   * that fails fails the whole route configuration, with its path.
   */
  readonly perFilterConfigChecks?: PerFilterConfigChecks;
}

export interface RouteTable {
  readonly name: string;
  /** Headers the connection manager strips from external requests (internal_only_headers). */
  readonly internalOnlyHeaders: readonly string[];
  /** The routing decision for one request; `random` returns uniform draws in [0, 1). */
  route(head: RequestHead, random: () => number): RouteDecision;
  /** The virtual host an :authority selects, for stats or debugging. */
  virtualHostFor(authority: string): VirtualHostInfo | undefined;
}

interface CompiledRoute {
  readonly match: CompiledRouteMatch;
  decide(ctx: MatchContext, matched: number): RouteDecision;
}

interface CompiledVirtualHost {
  readonly info: VirtualHostInfo;
  readonly requireTls: 'NONE' | 'EXTERNAL_ONLY' | 'ALL';
  readonly routes: readonly CompiledRoute[];
  readonly noRoute: NoRouteDecision;
}

/** Route configuration level pieces shared by every virtual host. */
interface ConfigScope {
  readonly rc: RouteConfiguration__Output;
  readonly options: RouteTableOptions;
  readonly corsCache: WeakMap<object, CorsPolicy | null>;
  readonly request: readonly HeaderMutation[];
  readonly response: readonly HeaderMutation[];
  readonly perFilterConfig: PerFilterConfig;
  readonly mirrors: readonly CompiledMirror[];
  readonly internalOnlyHeaders: readonly string[];
}

const NO_ROUTE: NoRouteDecision = Object.freeze({ kind: 'no-route' });
const NO_HEADERS = Object.freeze({ responseHeaderMutations: [], responseHeadersToAdd: [], responseHeadersToRemove: [] });

/** Compiles a decoded RouteConfiguration; every problem is reported with its path (a NACK's detail). */
export function compileRouteConfiguration(
  rc: RouteConfiguration__Output,
  options: RouteTableOptions = {},
): ValidationResult<RouteTable> {
  const issues = new IssueCollector();
  const scope: ConfigScope = {
    rc,
    options,
    corsCache: new WeakMap(),
    ...compileLevelMutations(rc, issues),
    perFilterConfig: overlayPerFilterConfig(NO_PER_FILTER_CONFIG, rc.typed_per_filter_config),
    mirrors: compileMirrors(rc.request_mirror_policies, issues.at('request_mirror_policies')),
    internalOnlyHeaders: compileInternalOnlyHeaders(rc.internal_only_headers, issues.at('internal_only_headers')),
  };
  checkPerFilterConfigs(rc.typed_per_filter_config, options.perFilterConfigChecks, issues);
  if (rc.vhds) issues.at('vhds').warn('VHDS is not supported; only the inline virtual hosts are used');
  const selector = new VirtualHostSelector<CompiledVirtualHost>({ ignorePortInHostMatching: rc.ignore_port_in_host_matching });
  rc.virtual_hosts.forEach((vh, i) => {
    const at = issues.at('virtual_hosts', i);
    selector.add(vh.domains, compileVirtualHost(vh, scope, at), at.at('domains'));
  });
  const stripParams = rc.ignore_path_parameters_in_path_matching;
  const table: RouteTable = {
    name: rc.name,
    internalOnlyHeaders: scope.internalOnlyHeaders,
    route(head, random) {
      const vh = selector.select(head.authority);
      if (!vh) return NO_ROUTE;
      if (vh.requireTls !== 'NONE' && needsTlsRedirect(vh.requireTls, head)) {
        const location = tlsRedirectLocation(head);
        return { kind: 'redirect', status: 301, location, virtualHost: vh.info, ...NO_HEADERS };
      }
      const ctx: MatchContext = { head, pathForMatching: pathForMatching(head.path, stripParams), random };
      for (const r of vh.routes) {
        // Requests without :path (HTTP/1 CONNECT) can match only CONNECT routes.
        if (!head.path && r.match.pathSpecifier !== 'connect_matcher') continue;
        const matched = r.match.match(ctx);
        if (matched >= 0) return r.decide(ctx, matched);
      }
      return vh.noRoute;
    },
    virtualHostFor(authority) {
      return selector.select(authority)?.info;
    },
  };
  return issues.result(table);
}

function compileVirtualHost(vh: VirtualHost__Output, scope: ConfigScope, issues: IssueCollector): CompiledVirtualHost {
  const info: VirtualHostInfo = Object.freeze({ name: vh.name, config: vh });
  if (vh.matcher) issues.at('matcher').error('the matcher tree is not supported; use routes');
  checkPerFilterConfigs(vh.typed_per_filter_config, scope.options.perFilterConfigChecks, issues);
  const vhScope = {
    info,
    ...compileLevelMutations(vh, issues),
    perFilterConfig: overlayPerFilterConfig(scope.perFilterConfig, vh.typed_per_filter_config),
    cors: { typed: vh.typed_per_filter_config[CORS_FILTER_NAME], legacy: vh.cors },
    retry: vh.retry_policy ? compileRetryPolicy(vh.retry_policy, issues.at('retry_policy')) : undefined,
    mirrors:
      vh.request_mirror_policies.length > 0
        ? compileMirrors(vh.request_mirror_policies, issues.at('request_mirror_policies'))
        : scope.mirrors,
  };
  return {
    info,
    requireTls: vh.require_tls,
    routes: vh.routes.map((r, i) => compileRoute(r, vhScope, scope, issues.at('routes', i))),
    noRoute: Object.freeze({ kind: 'no-route', virtualHost: info }),
  };
}

interface VirtualHostScope {
  readonly info: VirtualHostInfo;
  readonly request: readonly HeaderMutation[];
  readonly response: readonly HeaderMutation[];
  readonly perFilterConfig: PerFilterConfig;
  readonly cors: CorsLevel;
  readonly retry: RetryPolicy | undefined;
  readonly mirrors: readonly CompiledMirror[];
}

function compileRoute(route: Route__Output, vh: VirtualHostScope, rc: ConfigScope, issues: IssueCollector): CompiledRoute {
  const info: RouteInfo = Object.freeze({ name: route.name, config: route });
  const match = route.match
    ? compileRouteMatch(route.match, issues.at('match'))
    : (issues.at('match').error('a match is required'), { pathSpecifier: 'prefix' as const, match: () => -1 });
  const own = compileLevelMutations(route, issues);
  checkPerFilterConfigs(route.typed_per_filter_config, rc.options.perFilterConfigChecks, issues);
  // Envoy evaluates route, virtual host, then route configuration (the last applied wins), or the
  // reverse when most_specific_header_mutations_wins is set.
  const mostSpecificWins = rc.rc.most_specific_header_mutations_wins;
  const order = <T>(routeLevel: readonly T[], vhLevel: readonly T[], rcLevel: readonly T[]): readonly T[] =>
    mostSpecificWins ? [...rcLevel, ...vhLevel, ...routeLevel] : [...routeLevel, ...vhLevel, ...rcLevel];
  const request = order(own.request, vh.request, rc.request);
  const response = order(own.response, vh.response, rc.response);
  const flatResponse = flattenHeaderMutations(response);
  const localReplyHeaders = {
    responseHeaderMutations: response,
    responseHeadersToAdd: flatResponse.toAdd,
    responseHeadersToRemove: flatResponse.toRemove,
  };

  switch (route.action) {
    case 'route': {
      const action = route.route;
      if (!action) break;
      const scope: ForwardScope = {
        route: info,
        virtualHost: vh.info,
        requestHeaderMutations: request,
        responseHeaderMutations: response,
        perFilterConfig: overlayPerFilterConfig(vh.perFilterConfig, route.typed_per_filter_config),
        corsLevels: [
          { typed: route.typed_per_filter_config[CORS_FILTER_NAME], legacy: action.cors },
          vh.cors,
          { typed: rc.rc.typed_per_filter_config[CORS_FILTER_NAME] },
        ],
        ...(vh.retry ? { virtualHostRetry: vh.retry } : {}),
        inheritedMirrors: vh.mirrors,
        mostSpecificHeaderMutationsWins: mostSpecificWins,
        internalOnlyHeaders: rc.internalOnlyHeaders,
        corsCache: rc.corsCache,
        ...(rc.options.unpack ? { unpack: rc.options.unpack } : {}),
        ...(rc.options.perFilterConfigChecks ? { perFilterConfigChecks: rc.options.perFilterConfigChecks } : {}),
      };
      const forward = compileForward(action, scope, issues.at('route'));
      return { match, decide: (ctx, matched) => forward.decide(ctx, matched) };
    }
    case 'redirect': {
      if (!route.redirect) break;
      const redirect = compileRedirect(route.redirect, issues.at('redirect'));
      const status = redirect.status;
      return {
        match,
        decide: (ctx, matched) => ({
          kind: 'redirect',
          status,
          location: redirect.location(ctx.head, matched),
          route: info,
          virtualHost: vh.info,
          ...localReplyHeaders,
        }),
      };
    }
    case 'direct_response': {
      if (!route.direct_response) break;
      const maxBody = rc.rc.max_direct_response_body_size_bytes?.value ?? DEFAULT_MAX_DIRECT_RESPONSE_BODY_BYTES;
      const direct = compileDirectResponse(route.direct_response, maxBody, issues.at('direct_response'));
      const decision: RouteDecision = Object.freeze({
        kind: 'direct',
        ...direct,
        route: info,
        virtualHost: vh.info,
        ...localReplyHeaders,
      });
      return { match, decide: () => decision };
    }
    case 'filter_action':
    case 'non_forwarding_action':
      issues.at(route.action).error(`${route.action} routes are not supported`);
      return { match, decide: () => NO_ROUTE };
  }
  issues.error('one of route, redirect or direct_response is required');
  return { match, decide: () => NO_ROUTE };
}

/** internal_only_headers: lower-case header names; pseudo-headers and `host` cannot be removed. */
function compileInternalOnlyHeaders(names: readonly string[], issues: IssueCollector): string[] {
  const out: string[] = [];
  names.forEach((raw, i) => {
    const name = raw.toLowerCase();
    if (!/^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(name) || name === 'host') issues.at(i).error(`${JSON.stringify(raw)} is not a header that can be removed`);
    else out.push(name);
  });
  return out;
}

/** require_tls: ALL redirects every plain-text request, EXTERNAL_ONLY those not marked x-envoy-internal. */
function needsTlsRedirect(requireTls: 'EXTERNAL_ONLY' | 'ALL', head: RequestHead): boolean {
  const scheme = head.header('x-forwarded-proto') ?? head.scheme;
  if (scheme === 'https') return false;
  return requireTls === 'ALL' || head.header('x-envoy-internal') !== 'true';
}

/** The path the matchers see: without query and fragment, and without `;params` when configured. */
function pathForMatching(path: string, stripParams: boolean): string {
  let end = pathEnd(path);
  if (stripParams) {
    const semi = path.indexOf(';');
    if (semi >= 0 && semi < end) end = semi;
  }
  return end === path.length ? path : path.slice(0, end);
}
