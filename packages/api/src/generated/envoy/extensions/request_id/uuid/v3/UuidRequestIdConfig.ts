// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/extensions/request_id/uuid/v3/uuid.proto

import type { BoolValue as _google_protobuf_BoolValue, BoolValue__Output as _google_protobuf_BoolValue__Output } from '../../../../../google/protobuf/BoolValue.js';

export interface UuidRequestIdConfig {
  'pack_trace_reason'?: (_google_protobuf_BoolValue | null);
  'use_request_id_for_trace_sampling'?: (_google_protobuf_BoolValue | null);
}

export interface UuidRequestIdConfig__Output {
  'pack_trace_reason': (_google_protobuf_BoolValue__Output | null);
  'use_request_id_for_trace_sampling': (_google_protobuf_BoolValue__Output | null);
}
