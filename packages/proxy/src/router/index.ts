// The proxy's route table (Envoy's source/common/router config): pure matching and decisions.
export { compileRouteConfiguration, type RouteTable, type RouteTableOptions } from './route-table.js';
export { checkPerFilterConfigs, type PerFilterConfigCheck, type PerFilterConfigChecks } from './per-filter-config.js';
export {
  DEFAULT_ROUTE_TIMEOUT_MS,
  type DirectDecision,
  type ForwardDecision,
  type NoRouteDecision,
  type PerFilterConfig,
  type RedirectDecision,
  type RouteDecision,
  type RouteInfo,
  type VirtualHostInfo,
} from './route-decision.js';
export {
  createRequestHead,
  pathWithoutQuery,
  readHeader,
  type HeaderSource,
  type RequestHead,
  type RequestHeadInit,
} from './request-head.js';
export {
  applyHeaderMutations,
  compileHeaderMutations,
  flattenHeaderMutations,
  type HeaderAppendAction,
  type HeaderToAdd,
  type HeaderMutation,
  type HeaderValueFormatter,
  type MutableHeaders,
} from './header-mutation.js';
export { compileStringMatcher, type StringMatch } from './string-matcher.js';
export { compileHeaderMatcher, compileHeaderMatchers, matchAllHeaders, type HeaderMatch } from './header-matcher.js';
export { compileQueryMatcher, firstQueryValue, type QueryMatch } from './query-matcher.js';
export {
  backtrackingRisk,
  compileFullMatchRegex,
  compileSearchRegex,
  compileSubstitution,
  replaceAll,
  type Substitution,
} from './re2-regex.js';
export { compileRegexRewrite, type RegexRewrite } from './regex-substitution.js';
export { VirtualHostSelector, stripPort, type VirtualHostSelectorOptions } from './virtual-host-selector.js';
export { compileRouteMatch, isGrpcRequest, type CompiledRouteMatch, type MatchContext, type PathSpecifier } from './route-match.js';
export { compileRetryPolicy, DEFAULT_BASE_INTERVAL_MS, PREVIOUS_HOSTS, type RetryPolicy } from './retry-policy.js';
export { compileHashPolicies, type HashPolicy } from './hash-policy.js';
export { compileCorsPolicy, CORS_FILTER_NAME, CORS_POLICY_TYPE_URL, type CorsPolicy } from './cors-policy.js';
export type { MirrorPolicy } from './mirror-policy.js';
export { fractionHit, fractionOf, perMillion, type Fraction } from './fractional-percent.js';
export { pickWeighted, type WeightedChoice } from './weighted-clusters.js';
export { routeConfigurationFromJson, ROUTE_CONFIGURATION_TYPE } from './route-config-json.js';
