// Original file: packages/api/proto/mixer/v1/check.proto

import type { HeaderOperation as _istio_mixer_v1_HeaderOperation, HeaderOperation__Output as _istio_mixer_v1_HeaderOperation__Output } from '../../../istio/mixer/v1/HeaderOperation.js';

export interface RouteDirective {
  'request_header_operations'?: (_istio_mixer_v1_HeaderOperation)[];
  'response_header_operations'?: (_istio_mixer_v1_HeaderOperation)[];
  'direct_response_code'?: (number);
  'direct_response_body'?: (string);
}

export interface RouteDirective__Output {
  'request_header_operations': (_istio_mixer_v1_HeaderOperation__Output)[];
  'response_header_operations': (_istio_mixer_v1_HeaderOperation__Output)[];
  'direct_response_code': (number);
  'direct_response_body': (string);
}
