// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/config/endpoint/v3/load_report.proto

import type { Locality as _envoy_config_core_v3_Locality, Locality__Output as _envoy_config_core_v3_Locality__Output } from '../../../../envoy/config/core/v3/Locality.js';
import type { EndpointLoadMetricStats as _envoy_config_endpoint_v3_EndpointLoadMetricStats, EndpointLoadMetricStats__Output as _envoy_config_endpoint_v3_EndpointLoadMetricStats__Output } from '../../../../envoy/config/endpoint/v3/EndpointLoadMetricStats.js';
import type { UpstreamEndpointStats as _envoy_config_endpoint_v3_UpstreamEndpointStats, UpstreamEndpointStats__Output as _envoy_config_endpoint_v3_UpstreamEndpointStats__Output } from '../../../../envoy/config/endpoint/v3/UpstreamEndpointStats.js';
import type { UnnamedEndpointLoadMetricStats as _envoy_config_endpoint_v3_UnnamedEndpointLoadMetricStats, UnnamedEndpointLoadMetricStats__Output as _envoy_config_endpoint_v3_UnnamedEndpointLoadMetricStats__Output } from '../../../../envoy/config/endpoint/v3/UnnamedEndpointLoadMetricStats.js';
import type { Long } from '@grpc/proto-loader';

export interface UpstreamLocalityStats {
  'locality'?: (_envoy_config_core_v3_Locality | null);
  'total_successful_requests'?: (number | string | Long);
  'total_requests_in_progress'?: (number | string | Long);
  'total_error_requests'?: (number | string | Long);
  'load_metric_stats'?: (_envoy_config_endpoint_v3_EndpointLoadMetricStats)[];
  'priority'?: (number);
  'upstream_endpoint_stats'?: (_envoy_config_endpoint_v3_UpstreamEndpointStats)[];
  'total_issued_requests'?: (number | string | Long);
  'total_active_connections'?: (number | string | Long);
  'total_new_connections'?: (number | string | Long);
  'total_fail_connections'?: (number | string | Long);
  'cpu_utilization'?: (_envoy_config_endpoint_v3_UnnamedEndpointLoadMetricStats | null);
  'mem_utilization'?: (_envoy_config_endpoint_v3_UnnamedEndpointLoadMetricStats | null);
  'application_utilization'?: (_envoy_config_endpoint_v3_UnnamedEndpointLoadMetricStats | null);
}

export interface UpstreamLocalityStats__Output {
  'locality': (_envoy_config_core_v3_Locality__Output | null);
  'total_successful_requests': (string);
  'total_requests_in_progress': (string);
  'total_error_requests': (string);
  'load_metric_stats': (_envoy_config_endpoint_v3_EndpointLoadMetricStats__Output)[];
  'priority': (number);
  'upstream_endpoint_stats': (_envoy_config_endpoint_v3_UpstreamEndpointStats__Output)[];
  'total_issued_requests': (string);
  'total_active_connections': (string);
  'total_new_connections': (string);
  'total_fail_connections': (string);
  'cpu_utilization': (_envoy_config_endpoint_v3_UnnamedEndpointLoadMetricStats__Output | null);
  'mem_utilization': (_envoy_config_endpoint_v3_UnnamedEndpointLoadMetricStats__Output | null);
  'application_utilization': (_envoy_config_endpoint_v3_UnnamedEndpointLoadMetricStats__Output | null);
}
