// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/extensions/filters/http/health_check/v3/health_check.proto

import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../../google/protobuf/BoolValue.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../../../google/protobuf/Duration.js';
import type { Percent as _envoy_type_v3_Percent, Percent__Output as _envoy_type_v3_Percent__Output } from '../../../../../../envoy/type/v3/Percent.js';
import type { HeaderMatcher as _envoy_config_route_v3_HeaderMatcher, HeaderMatcher__Output as _envoy_config_route_v3_HeaderMatcher__Output } from '../../../../../../envoy/config/route/v3/HeaderMatcher.js';

export interface HealthCheck {
  'pass_through_mode'?: (_google_protobuf_BoolValue | null);
  'cache_time'?: (_google_protobuf_Duration | null);
  'cluster_min_healthy_percentages'?: ({[key: string]: _envoy_type_v3_Percent});
  'headers'?: (_envoy_config_route_v3_HeaderMatcher)[];
}

export interface HealthCheck__Output {
  'pass_through_mode': (_google_protobuf_BoolValue__Output | null);
  'cache_time': (_google_protobuf_Duration__Output | null);
  'cluster_min_healthy_percentages': ({[key: string]: _envoy_type_v3_Percent__Output});
  'headers': (_envoy_config_route_v3_HeaderMatcher__Output)[];
}
