// Original file: packages/api/proto/security/v1alpha1/ca.proto

import type { MethodDefinition } from '@grpc/proto-loader'
import type { IstioCertificateRequest as _istio_v1_auth_IstioCertificateRequest, IstioCertificateRequest__Output as _istio_v1_auth_IstioCertificateRequest__Output } from '../../../istio/v1/auth/IstioCertificateRequest.js';
import type { IstioCertificateResponse as _istio_v1_auth_IstioCertificateResponse, IstioCertificateResponse__Output as _istio_v1_auth_IstioCertificateResponse__Output } from '../../../istio/v1/auth/IstioCertificateResponse.js';

export interface IstioCertificateServiceDefinition {
  CreateCertificate: MethodDefinition<_istio_v1_auth_IstioCertificateRequest, _istio_v1_auth_IstioCertificateResponse, _istio_v1_auth_IstioCertificateRequest__Output, _istio_v1_auth_IstioCertificateResponse__Output>
}
