// Original file: packages/api/proto/security/v1alpha1/ca.proto


export interface IstioCertificateResponse {
  'cert_chain'?: (string)[];
}

export interface IstioCertificateResponse__Output {
  'cert_chain': (string)[];
}
