// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/admin/v3/config_dump.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.js';

export interface ConfigDump {
  'configs'?: (_google_protobuf_Any)[];
}

export interface ConfigDump__Output {
  'configs': (_google_protobuf_Any__Output)[];
}
