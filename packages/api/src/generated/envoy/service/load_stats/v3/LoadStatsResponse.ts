// Original file: node_modules/@grpc/grpc-js-xds/deps/envoy-api/envoy/service/load_stats/v3/lrs.proto

import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../../google/protobuf/Duration.js';

export interface LoadStatsResponse {
  'clusters'?: (string)[];
  'load_reporting_interval'?: (_google_protobuf_Duration | null);
  'report_endpoint_granularity'?: (boolean);
  'send_all_clusters'?: (boolean);
}

export interface LoadStatsResponse__Output {
  'clusters': (string)[];
  'load_reporting_interval': (_google_protobuf_Duration__Output | null);
  'report_endpoint_granularity': (boolean);
  'send_all_clusters': (boolean);
}
