// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/extensions/filters/http/jwt_authn/v3/config.proto

import type { RouteMatch as _envoy_config_route_v3_RouteMatch, RouteMatch__Output as _envoy_config_route_v3_RouteMatch__Output } from '../../../../../../envoy/config/route/v3/RouteMatch.js';
import type { JwtRequirement as _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirement, JwtRequirement__Output as _envoy_extensions_filters_http_jwt_authn_v3_JwtRequirement__Output } from '../../../../../../envoy/extensions/filters/http/jwt_authn/v3/JwtRequirement.js';

export interface RequirementRule {
  'match'?: (_envoy_config_route_v3_RouteMatch | null);
  'requires'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtRequirement | null);
  'requirement_name'?: (string);
  'requirement_type'?: "requires"|"requirement_name";
}

export interface RequirementRule__Output {
  'match': (_envoy_config_route_v3_RouteMatch__Output | null);
  'requires'?: (_envoy_extensions_filters_http_jwt_authn_v3_JwtRequirement__Output | null);
  'requirement_name'?: (string);
  'requirement_type'?: "requires"|"requirement_name";
}
