// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/type/matcher/v3/string.proto

import type { StringMatcher as _envoy_type_matcher_v3_StringMatcher, StringMatcher__Output as _envoy_type_matcher_v3_StringMatcher__Output } from '../../../../envoy/type/matcher/v3/StringMatcher.js';

export interface ListStringMatcher {
  'patterns'?: (_envoy_type_matcher_v3_StringMatcher)[];
}

export interface ListStringMatcher__Output {
  'patterns': (_envoy_type_matcher_v3_StringMatcher__Output)[];
}
