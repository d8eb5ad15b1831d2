// Fully qualified protobuf names of Citadel's CSR API (legacy package istio.v1.auth).

/** The gRPC service: /istio.v1.auth.IstioCertificateService/CreateCertificate. */
export const ISTIO_CERTIFICATE_SERVICE = 'istio.v1.auth.IstioCertificateService';

/** Message type names, for the proto registry. */
export const CaMessage = {
  IstioCertificateRequest: 'istio.v1.auth.IstioCertificateRequest',
  IstioCertificateResponse: 'istio.v1.auth.IstioCertificateResponse',
} as const;
