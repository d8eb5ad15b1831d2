// The CORS policy a route resolves to, normalized for the CORS filter with its origin matchers compiled
// once. Sources: typed_per_filter_config `envoy.filters.http.cors` (what Pilot emits) or the
// deprecated `cors` fields of RouteAction and VirtualHost.
import type { IssueCollector } from '@weft/base';
import type { CorsPolicyConfig, RuntimeFractionalPercentConfig, StringMatcherConfig } from './config-types.js';
import { ALWAYS, perMillion, runtimeFractionOf } from './fractional-percent.js';
import { compileStringMatcher, type StringMatch } from './string-matcher.js';

export const CORS_FILTER_NAME = 'envoy.filters.http.cors';
export const CORS_POLICY_TYPE_URL = 'type.googleapis.com/envoy.extensions.filters.http.cors.v3.CorsPolicy';

export interface CorsPolicy {
  readonly allowOrigins: readonly StringMatch[];
  readonly allowMethods: string;
  readonly allowHeaders: string;
  readonly exposeHeaders: string;
  readonly maxAge: string;
  readonly allowCredentials?: boolean;
  /** Share of requests the policy is enforced on, in parts per million (default 100%). */
  readonly filterEnabledPerMillion: number;
  /** Share evaluated in shadow mode (stats only), when configured. */
  readonly shadowEnabledPerMillion?: number;
  readonly allowPrivateNetworkAccess?: boolean;
  readonly forwardNotMatchingPreflights?: boolean;
}

/** The fields both CorsPolicy messages (route v3 and the CORS filter's v3) share. */
export interface CorsPolicySource {
  readonly allow_origin_string_match: readonly StringMatcherConfig[];
  readonly allow_methods: string;
  readonly allow_headers: string;
  readonly expose_headers: string;
  readonly max_age: string;
  readonly allow_credentials: { readonly value: boolean } | null;
  readonly filter_enabled?: RuntimeFractionalPercentConfig | null;
  readonly shadow_enabled: RuntimeFractionalPercentConfig | null;
  readonly allow_private_network_access: { readonly value: boolean } | null;
  readonly forward_not_matching_preflights: { readonly value: boolean } | null;
}

// Both generated CorsPolicy types must stay assignable to the shared shape.
const _routeCorsIsSource: (c: CorsPolicyConfig) => CorsPolicySource = (c) => c;
void _routeCorsIsSource;

export function compileCorsPolicy(source: CorsPolicySource, issues: IssueCollector): CorsPolicy {
  const shadow = source.shadow_enabled;
  return {
    allowOrigins: source.allow_origin_string_match.map((m, i) => compileStringMatcher(m, issues.at('allow_origin_string_match', i))),
    allowMethods: source.allow_methods,
    allowHeaders: source.allow_headers,
    exposeHeaders: source.expose_headers,
    maxAge: source.max_age,
    ...(source.allow_credentials ? { allowCredentials: source.allow_credentials.value } : {}),
    filterEnabledPerMillion: perMillion(runtimeFractionOf(source.filter_enabled, ALWAYS)),
    ...(shadow ? { shadowEnabledPerMillion: perMillion(runtimeFractionOf(shadow, ALWAYS)) } : {}),
    ...(source.allow_private_network_access ? { allowPrivateNetworkAccess: source.allow_private_network_access.value } : {}),
    ...(source.forward_not_matching_preflights
      ? { forwardNotMatchingPreflights: source.forward_not_matching_preflights.value }
      : {}),
  };
}
