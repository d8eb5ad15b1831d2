// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/config/accesslog/v3/accesslog.proto

import type { ComparisonFilter as _envoy_config_accesslog_v3_ComparisonFilter, ComparisonFilter__Output as _envoy_config_accesslog_v3_ComparisonFilter__Output } from '../../../../envoy/config/accesslog/v3/ComparisonFilter.js';

export interface DurationFilter {
  'comparison'?: (_envoy_config_accesslog_v3_ComparisonFilter | null);
}

export interface DurationFilter__Output {
  'comparison': (_envoy_config_accesslog_v3_ComparisonFilter__Output | null);
}
