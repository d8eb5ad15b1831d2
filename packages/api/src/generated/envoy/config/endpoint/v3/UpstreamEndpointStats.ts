// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/config/endpoint/v3/load_report.proto

import type { Address as _envoy_config_core_v3_Address, Address__Output as _envoy_config_core_v3_Address__Output } from '../../../../envoy/config/core/v3/Address.js';
import type { EndpointLoadMetricStats as _envoy_config_endpoint_v3_EndpointLoadMetricStats, EndpointLoadMetricStats__Output as _envoy_config_endpoint_v3_EndpointLoadMetricStats__Output } from '../../../../envoy/config/endpoint/v3/EndpointLoadMetricStats.js';
import type { Struct as _google_protobuf_Struct, Struct__Output as _google_protobuf_Struct__Output } from '../../../../google/protobuf/Struct.js';
import type { Long } from '@grpc/proto-loader';

export interface UpstreamEndpointStats {
  'address'?: (_envoy_config_core_v3_Address | null);
  'total_successful_requests'?: (number | string | Long);
  'total_requests_in_progress'?: (number | string | Long);
  'total_error_requests'?: (number | string | Long);
  'load_metric_stats'?: (_envoy_config_endpoint_v3_EndpointLoadMetricStats)[];
  'metadata'?: (_google_protobuf_Struct | null);
  'total_issued_requests'?: (number | string | Long);
}

export interface UpstreamEndpointStats__Output {
  'address': (_envoy_config_core_v3_Address__Output | null);
  'total_successful_requests': (string);
  'total_requests_in_progress': (string);
  'total_error_requests': (string);
  'load_metric_stats': (_envoy_config_endpoint_v3_EndpointLoadMetricStats__Output)[];
  'metadata': (_google_protobuf_Struct__Output | null);
  'total_issued_requests': (string);
}
