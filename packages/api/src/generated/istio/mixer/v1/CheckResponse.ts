// Original file: packages/api/proto/mixer/v1/check.proto

import type { Status as _google_rpc_Status, Status__Output as _google_rpc_Status__Output } from '../../../google/rpc/Status.js';
import type { Duration as _google_protobuf_Duration, Duration__Output as _google_protobuf_Duration__Output } from '../../../google/protobuf/Duration.js';
import type { ReferencedAttributes as _istio_mixer_v1_ReferencedAttributes, ReferencedAttributes__Output as _istio_mixer_v1_ReferencedAttributes__Output } from '../../../istio/mixer/v1/ReferencedAttributes.js';
import type { RouteDirective as _istio_mixer_v1_RouteDirective, RouteDirective__Output as _istio_mixer_v1_RouteDirective__Output } from '../../../istio/mixer/v1/RouteDirective.js';
import type { Long } from '@grpc/proto-loader';

export interface _istio_mixer_v1_CheckResponse_PreconditionResult {
  'status'?: (_google_rpc_Status | null);
  'valid_duration'?: (_google_protobuf_Duration | null);
  'valid_use_count'?: (number);
  'referenced_attributes'?: (_istio_mixer_v1_ReferencedAttributes | null);
  'route_directive'?: (_istio_mixer_v1_RouteDirective | null);
}

export interface _istio_mixer_v1_CheckResponse_PreconditionResult__Output {
  'status': (_google_rpc_Status__Output | null);
  'valid_duration': (_google_protobuf_Duration__Output | null);
  'valid_use_count': (number);
  'referenced_attributes': (_istio_mixer_v1_ReferencedAttributes__Output | null);
  'route_directive': (_istio_mixer_v1_RouteDirective__Output | null);
}

export interface _istio_mixer_v1_CheckResponse_QuotaResult {
  'valid_duration'?: (_google_protobuf_Duration | null);
  'granted_amount'?: (number | string | Long);
  'status'?: (_google_rpc_Status | null);
  'referenced_attributes'?: (_istio_mixer_v1_ReferencedAttributes | null);
}

export interface _istio_mixer_v1_CheckResponse_QuotaResult__Output {
  'valid_duration': (_google_protobuf_Duration__Output | null);
  'granted_amount': (string);
  'status': (_google_rpc_Status__Output | null);
  'referenced_attributes': (_istio_mixer_v1_ReferencedAttributes__Output | null);
}

export interface CheckResponse {
  'precondition'?: (_istio_mixer_v1_CheckResponse_PreconditionResult | null);
  'quotas'?: ({[key: string]: _istio_mixer_v1_CheckResponse_QuotaResult});
}

export interface CheckResponse__Output {
  'precondition': (_istio_mixer_v1_CheckResponse_PreconditionResult__Output | null);
  'quotas': ({[key: string]: _istio_mixer_v1_CheckResponse_QuotaResult__Output});
}
