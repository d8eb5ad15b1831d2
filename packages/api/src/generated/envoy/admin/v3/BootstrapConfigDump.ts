// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/admin/v3/config_dump.proto

import type { Bootstrap as _envoy_config_bootstrap_v3_Bootstrap, Bootstrap__Output as _envoy_config_bootstrap_v3_Bootstrap__Output } from '../../../envoy/config/bootstrap/v3/Bootstrap.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';

export interface BootstrapConfigDump {
  'bootstrap'?: (_envoy_config_bootstrap_v3_Bootstrap | null);
  'last_updated'?: (_google_protobuf_Timestamp | null);
}

export interface BootstrapConfigDump__Output {
  'bootstrap': (_envoy_config_bootstrap_v3_Bootstrap__Output | null);
  'last_updated': (_google_protobuf_Timestamp__Output | null);
}
