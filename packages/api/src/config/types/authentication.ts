// authentication.istio.io/v1alpha1 Policy and MeshPolicy (Istio 1.0-1.5): peer (mTLS) and origin (JWT) authentication.

/** Spec of both `Policy` (namespaced) and `MeshPolicy` (cluster-wide, named `default`). */
export interface AuthenticationPolicy {
  targets?: TargetSelector[];
  peers?: PeerAuthenticationMethod[];
  peerIsOptional?: boolean;
  origins?: OriginAuthenticationMethod[];
  originIsOptional?: boolean;
  principalBinding?: 'USE_PEER' | 'USE_ORIGIN';
}

export interface TargetSelector {
  /** Service short name. */
  name?: string;
  /** Declared but never implemented in Istio 1.x. */
  labels?: Record<string, string>;
  ports?: AuthnPortSelector[];
}

/** One of `number` or `name`. */
export interface AuthnPortSelector {
  number?: number;
  name?: string;
}

/** One of `mtls` or `jwt`; `mtls: {}` means STRICT. */
export interface PeerAuthenticationMethod {
  mtls?: MutualTls;
  jwt?: Jwt;
}

export interface MutualTls {
  /** Deprecated precursor of mode PERMISSIVE. */
  allowTls?: boolean;
  mode?: 'STRICT' | 'PERMISSIVE';
}

export interface OriginAuthenticationMethod {
  jwt?: Jwt;
}

export interface Jwt {
  issuer?: string;
  audiences?: string[];
  jwksUri?: string;
  jwks?: string;
  jwtHeaders?: string[];
  jwtParams?: string[];
  triggerRules?: JwtTriggerRule[];
}

export interface JwtTriggerRule {
  excludedPaths?: AuthnStringMatch[];
  includedPaths?: AuthnStringMatch[];
}

/** Exactly one of exact, prefix, suffix, regex. */
export interface AuthnStringMatch {
  exact?: string;
  prefix?: string;
  suffix?: string;
  regex?: string;
}
