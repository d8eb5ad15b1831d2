// Gateway (networking/v1alpha3/gateway.proto): listeners on ingress/egress gateway pods.
import type { Port } from './port.js';

export interface Gateway {
  servers?: Server[];
  /** Labels of the gateway pods, matched in every namespace in Istio 1.x. */
  selector?: Record<string, string>;
}

export interface Server {
  port?: Port;
  bind?: string;
  /** `namespace/dnsName` or `dnsName`; `*` for all. */
  hosts?: string[];
  tls?: ServerTLSSettings;
  defaultEndpoint?: string;
  name?: string;
}

export type ServerTLSMode = 'PASSTHROUGH' | 'SIMPLE' | 'MUTUAL' | 'AUTO_PASSTHROUGH' | 'ISTIO_MUTUAL';
export type TLSProtocol = 'TLS_AUTO' | 'TLSV1_0' | 'TLSV1_1' | 'TLSV1_2' | 'TLSV1_3';

export interface ServerTLSSettings {
  httpsRedirect?: boolean;
  /** PASSTHROUGH when unset. */
  mode?: ServerTLSMode;
  serverCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  /** SDS credential (Kubernetes secret) name; replaces the file paths. */
  credentialName?: string;
  subjectAltNames?: string[];
  verifyCertificateSpki?: string[];
  verifyCertificateHash?: string[];
  minProtocolVersion?: TLSProtocol;
  maxProtocolVersion?: TLSProtocol;
  cipherSuites?: string[];
}
