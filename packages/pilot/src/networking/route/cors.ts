// CorsPolicy → the CORS filter's per-route config (Istio 1.3 translateCORSPolicy), in v3 form:
// envoy.extensions.filters.http.cors.v3.CorsPolicy under typed_per_filter_config `envoy.filters.http.cors`.
import type { CorsPolicy } from '@weft/api';
import { stringMatcher } from './route-match.js';
import { durationOf, typedConfig } from './proto-values.js';

export const CORS_FILTER = 'envoy.filters.http.cors';
export const CORS_POLICY_TYPE = 'envoy.extensions.filters.http.cors.v3.CorsPolicy';

/**
 * The policy object. `allowOrigin` entries are exact origins (Envoy's CORS filter treats a matcher
 * that matches `*` as "any origin"); lists join with `,`; max_age is whole seconds as a string;
 * the filter is enabled for 100% of requests, as Istio sets it.
 */
export function translateCorsPolicy(cors: CorsPolicy): Record<string, unknown> {
  const origins = [
    ...(cors.allowOrigin ?? []).map((o) => ({ exact: o })),
    ...(cors.allowOrigins ?? []).map(stringMatcher).filter((m) => m !== undefined),
  ];
  const maxAge = durationOf(cors.maxAge);
  const join = (list: string[] | undefined) => (list && list.length > 0 ? list.join(',') : undefined);
  const out: Record<string, unknown> = {
    filter_enabled: { default_value: { numerator: 100, denominator: 'HUNDRED' } },
  };
  if (origins.length > 0) out['allow_origin_string_match'] = origins;
  const methods = join(cors.allowMethods);
  if (methods) out['allow_methods'] = methods;
  const headers = join(cors.allowHeaders);
  if (headers) out['allow_headers'] = headers;
  const expose = join(cors.exposeHeaders);
  if (expose) out['expose_headers'] = expose;
  if (maxAge) out['max_age'] = maxAge.seconds;
  if (cors.allowCredentials !== undefined) out['allow_credentials'] = { value: cors.allowCredentials };
  return out;
}

export function corsFilterConfig(cors: CorsPolicy | undefined): { type_url: string; value: Uint8Array } | undefined {
  return cors ? typedConfig(CORS_POLICY_TYPE, translateCorsPolicy(cors)) : undefined;
}
