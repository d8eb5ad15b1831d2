// The decoded xDS route types the router reads, named once. @weft/api exports the top-level messages;
// the nested ones are reached through their fields, so no deep imports into generated code are needed.
import type { Any__Output, RouteConfiguration__Output, Route__Output, VirtualHost__Output } from '@weft/api';

export type { Any__Output, RouteConfiguration__Output, Route__Output, VirtualHost__Output };

export type RouteMatchConfig = NonNullable<Route__Output['match']>;
export type RouteActionConfig = NonNullable<Route__Output['route']>;
export type RedirectActionConfig = NonNullable<Route__Output['redirect']>;
export type DirectResponseConfig = NonNullable<Route__Output['direct_response']>;
export type HeaderMatcherConfig = RouteMatchConfig['headers'][number];
export type QueryParameterMatcherConfig = RouteMatchConfig['query_parameters'][number];
export type StringMatcherConfig = NonNullable<HeaderMatcherConfig['string_match']>;
export type RegexMatcherConfig = NonNullable<RouteMatchConfig['safe_regex']>;
export type RegexMatchAndSubstituteConfig = NonNullable<RouteActionConfig['regex_rewrite']>;
export type RuntimeFractionalPercentConfig = NonNullable<RouteMatchConfig['runtime_fraction']>;
export type FractionalPercentConfig = NonNullable<RuntimeFractionalPercentConfig['default_value']>;
export type WeightedClusterConfig = NonNullable<RouteActionConfig['weighted_clusters']>;
export type ClusterWeightConfig = WeightedClusterConfig['clusters'][number];
export type RetryPolicyConfig = NonNullable<RouteActionConfig['retry_policy']>;
export type HashPolicyConfig = RouteActionConfig['hash_policy'][number];
export type MirrorPolicyConfig = RouteActionConfig['request_mirror_policies'][number];
export type CorsPolicyConfig = NonNullable<RouteActionConfig['cors']>;
export type HeaderValueOptionConfig = Route__Output['request_headers_to_add'][number];
export type DurationConfig = NonNullable<RouteActionConfig['timeout']>;
export type TypedPerFilterConfig = Route__Output['typed_per_filter_config'];
