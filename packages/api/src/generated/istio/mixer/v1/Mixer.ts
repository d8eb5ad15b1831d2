// Original file: packages/api/proto/mixer/v1/service.proto

import type { MethodDefinition } from '@grpc/proto-loader'
import type { CheckRequest as _istio_mixer_v1_CheckRequest, CheckRequest__Output as _istio_mixer_v1_CheckRequest__Output } from '../../../istio/mixer/v1/CheckRequest.js';
import type { CheckResponse as _istio_mixer_v1_CheckResponse, CheckResponse__Output as _istio_mixer_v1_CheckResponse__Output } from '../../../istio/mixer/v1/CheckResponse.js';
import type { ReportRequest as _istio_mixer_v1_ReportRequest, ReportRequest__Output as _istio_mixer_v1_ReportRequest__Output } from '../../../istio/mixer/v1/ReportRequest.js';
import type { ReportResponse as _istio_mixer_v1_ReportResponse, ReportResponse__Output as _istio_mixer_v1_ReportResponse__Output } from '../../../istio/mixer/v1/ReportResponse.js';

export interface MixerDefinition {
  Check: MethodDefinition<_istio_mixer_v1_CheckRequest, _istio_mixer_v1_CheckResponse, _istio_mixer_v1_CheckRequest__Output, _istio_mixer_v1_CheckResponse__Output>
  Report: MethodDefinition<_istio_mixer_v1_ReportRequest, _istio_mixer_v1_ReportResponse, _istio_mixer_v1_ReportRequest__Output, _istio_mixer_v1_ReportResponse__Output>
}
