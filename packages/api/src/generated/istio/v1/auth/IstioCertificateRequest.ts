// Original file: packages/api/proto/security/v1alpha1/ca.proto

import type { Long } from '@grpc/proto-loader';

export interface IstioCertificateRequest {
  'csr'?: (string);
  'subject_id'?: (string);
  'validity_duration'?: (number | string | Long);
}

export interface IstioCertificateRequest__Output {
  'csr': (string);
  'subject_id': (string);
  'validity_duration': (string);
}
