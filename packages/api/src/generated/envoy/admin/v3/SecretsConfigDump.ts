// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/admin/v3/config_dump.proto

import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';
import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.js';
import type { UpdateFailureState as _envoy_admin_v3_UpdateFailureState, UpdateFailureState__Output as _envoy_admin_v3_UpdateFailureState__Output } from '../../../envoy/admin/v3/UpdateFailureState.js';
import type { ClientResourceStatus as _envoy_admin_v3_ClientResourceStatus, ClientResourceStatus__Output as _envoy_admin_v3_ClientResourceStatus__Output } from '../../../envoy/admin/v3/ClientResourceStatus.js';

export interface _envoy_admin_v3_SecretsConfigDump_DynamicSecret {
  'name'?: (string);
  'version_info'?: (string);
  'last_updated'?: (_google_protobuf_Timestamp | null);
  'secret'?: (_google_protobuf_Any | null);
  'error_state'?: (_envoy_admin_v3_UpdateFailureState | null);
  'client_status'?: (_envoy_admin_v3_ClientResourceStatus);
}

export interface _envoy_admin_v3_SecretsConfigDump_DynamicSecret__Output {
  'name': (string);
  'version_info': (string);
  'last_updated': (_google_protobuf_Timestamp__Output | null);
  'secret': (_google_protobuf_Any__Output | null);
  'error_state': (_envoy_admin_v3_UpdateFailureState__Output | null);
  'client_status': (_envoy_admin_v3_ClientResourceStatus__Output);
}

export interface _envoy_admin_v3_SecretsConfigDump_StaticSecret {
  'name'?: (string);
  'last_updated'?: (_google_protobuf_Timestamp | null);
  'secret'?: (_google_protobuf_Any | null);
}

export interface _envoy_admin_v3_SecretsConfigDump_StaticSecret__Output {
  'name': (string);
  'last_updated': (_google_protobuf_Timestamp__Output | null);
  'secret': (_google_protobuf_Any__Output | null);
}

export interface SecretsConfigDump {
  'static_secrets'?: (_envoy_admin_v3_SecretsConfigDump_StaticSecret)[];
  'dynamic_active_secrets'?: (_envoy_admin_v3_SecretsConfigDump_DynamicSecret)[];
  'dynamic_warming_secrets'?: (_envoy_admin_v3_SecretsConfigDump_DynamicSecret)[];
}

export interface SecretsConfigDump__Output {
  'static_secrets': (_envoy_admin_v3_SecretsConfigDump_StaticSecret__Output)[];
  'dynamic_active_secrets': (_envoy_admin_v3_SecretsConfigDump_DynamicSecret__Output)[];
  'dynamic_warming_secrets': (_envoy_admin_v3_SecretsConfigDump_DynamicSecret__Output)[];
}
