// security.istio.io/v1beta1: PeerAuthentication, RequestAuthentication (1.5+) and AuthorizationPolicy (1.3 CRD, 1.4+).
import type { SecurityWorkloadSelector } from './port.js';

export type PeerMtlsMode = 'UNSET' | 'DISABLE' | 'PERMISSIVE' | 'STRICT';

export interface PeerAuthentication {
  selector?: SecurityWorkloadSelector;
  mtls?: PeerMutualTLS;
  /** port number (as a string key) → mode; needs a selector. */
  portLevelMtls?: Record<string, PeerMutualTLS>;
}

export interface PeerMutualTLS {
  mode?: PeerMtlsMode;
}

export interface RequestAuthentication {
  selector?: SecurityWorkloadSelector;
  jwtRules?: JWTRule[];
}

export interface JWTRule {
  issuer?: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  fromHeaders?: JWTHeader[];
  fromParams?: string[];
  outputPayloadToHeader?: string;
  forwardOriginalToken?: boolean;
}

export interface JWTHeader {
  name?: string;
  prefix?: string;
}

export type AuthorizationAction = 'ALLOW' | 'DENY';

export interface AuthorizationPolicy {
  selector?: SecurityWorkloadSelector;
  /** An empty list denies everything (for ALLOW); a single `{}` rule allows everything. */
  rules?: AuthorizationRule[];
  action?: AuthorizationAction;
}

export interface AuthorizationRule {
  from?: AuthorizationFrom[];
  to?: AuthorizationTo[];
  when?: AuthorizationCondition[];
}

export interface AuthorizationFrom {
  source?: AuthorizationSource;
}

export interface AuthorizationTo {
  operation?: AuthorizationOperation;
}

export interface AuthorizationSource {
  principals?: string[];
  notPrincipals?: string[];
  requestPrincipals?: string[];
  notRequestPrincipals?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ipBlocks?: string[];
  notIpBlocks?: string[];
}

export interface AuthorizationOperation {
  hosts?: string[];
  notHosts?: string[];
  /** Port numbers as strings. */
  ports?: string[];
  notPorts?: string[];
  methods?: string[];
  notMethods?: string[];
  paths?: string[];
  notPaths?: string[];
}

export interface AuthorizationCondition {
  key?: string;
  values?: string[];
  notValues?: string[];
}
