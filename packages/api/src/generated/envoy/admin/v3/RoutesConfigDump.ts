// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/admin/v3/config_dump_shared.proto

import type { Any as _google_protobuf_Any, Any__Output as _google_protobuf_Any__Output } from '../../../google/protobuf/Any.js';
import type { Timestamp as _google_protobuf_Timestamp, Timestamp__Output as _google_protobuf_Timestamp__Output } from '../../../google/protobuf/Timestamp.js';
import type { UpdateFailureState as _envoy_admin_v3_UpdateFailureState, UpdateFailureState__Output as _envoy_admin_v3_UpdateFailureState__Output } from '../../../envoy/admin/v3/UpdateFailureState.js';
import type { ClientResourceStatus as _envoy_admin_v3_ClientResourceStatus, ClientResourceStatus__Output as _envoy_admin_v3_ClientResourceStatus__Output } from '../../../envoy/admin/v3/ClientResourceStatus.js';

export interface _envoy_admin_v3_RoutesConfigDump_DynamicRouteConfig {
  'version_info'?: (string);
  'route_config'?: (_google_protobuf_Any | null);
  'last_updated'?: (_google_protobuf_Timestamp | null);
  'error_state'?: (_envoy_admin_v3_UpdateFailureState | null);
  'client_status'?: (_envoy_admin_v3_ClientResourceStatus);
}

export interface _envoy_admin_v3_RoutesConfigDump_DynamicRouteConfig__Output {
  'version_info': (string);
  'route_config': (_google_protobuf_Any__Output | null);
  'last_updated': (_google_protobuf_Timestamp__Output | null);
  'error_state': (_envoy_admin_v3_UpdateFailureState__Output | null);
  'client_status': (_envoy_admin_v3_ClientResourceStatus__Output);
}

export interface _envoy_admin_v3_RoutesConfigDump_StaticRouteConfig {
  'route_config'?: (_google_protobuf_Any | null);
  'last_updated'?: (_google_protobuf_Timestamp | null);
}

export interface _envoy_admin_v3_RoutesConfigDump_StaticRouteConfig__Output {
  'route_config': (_google_protobuf_Any__Output | null);
  'last_updated': (_google_protobuf_Timestamp__Output | null);
}

export interface RoutesConfigDump {
  'static_route_configs'?: (_envoy_admin_v3_RoutesConfigDump_StaticRouteConfig)[];
  'dynamic_route_configs'?: (_envoy_admin_v3_RoutesConfigDump_DynamicRouteConfig)[];
}

export interface RoutesConfigDump__Output {
  'static_route_configs': (_envoy_admin_v3_RoutesConfigDump_StaticRouteConfig__Output)[];
  'dynamic_route_configs': (_envoy_admin_v3_RoutesConfigDump_DynamicRouteConfig__Output)[];
}
