// Original file: packages/api/proto/mixer/v1/check.proto

import type { CompressedAttributes as _istio_mixer_v1_CompressedAttributes, CompressedAttributes__Output as _istio_mixer_v1_CompressedAttributes__Output } from '../../../istio/mixer/v1/CompressedAttributes.js';
import type { Long } from '@grpc/proto-loader';

export interface _istio_mixer_v1_CheckRequest_QuotaParams {
  'amount'?: (number | string | Long);
  'best_effort'?: (boolean);
}

export interface _istio_mixer_v1_CheckRequest_QuotaParams__Output {
  'amount': (string);
  'best_effort': (boolean);
}

export interface CheckRequest {
  'attributes'?: (_istio_mixer_v1_CompressedAttributes | null);
  'global_word_count'?: (number);
  'deduplication_id'?: (string);
  'quotas'?: ({[key: string]: _istio_mixer_v1_CheckRequest_QuotaParams});
}

export interface CheckRequest__Output {
  'attributes': (_istio_mixer_v1_CompressedAttributes__Output | null);
  'global_word_count': (number);
  'deduplication_id': (string);
  'quotas': ({[key: string]: _istio_mixer_v1_CheckRequest_QuotaParams__Output});
}
