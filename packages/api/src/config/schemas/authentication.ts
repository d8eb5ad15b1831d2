// Field schemas for authentication.istio.io/v1alpha1 Policy and MeshPolicy.
import type {
  AuthenticationPolicy, AuthnPortSelector, AuthnStringMatch, Jwt, JwtTriggerRule, MutualTls,
  OriginAuthenticationMethod, PeerAuthenticationMethod, TargetSelector,
} from '../types/authentication.js';
import { bool, enm, list, type MessageSchema, msg, str, strList, strMap, u32 } from '../validate/schema.js';

const AuthnPortSelectorSchema: MessageSchema<AuthnPortSelector> = {
  name: 'PortSelector',
  fields: { number: u32, name: str },
  oneofs: [['number', 'name']],
};

const TargetSelectorSchema: MessageSchema<TargetSelector> = {
  name: 'TargetSelector',
  fields: { name: str, labels: strMap, ports: list(msg(() => AuthnPortSelectorSchema)) },
};

const MutualTlsSchema: MessageSchema<MutualTls> = {
  name: 'MutualTls',
  fields: { allowTls: bool, mode: enm('STRICT', 'PERMISSIVE') },
  deprecated: { allowTls: 'use mode: PERMISSIVE' },
};

export const AuthnStringMatchSchema: MessageSchema<AuthnStringMatch> = {
  name: 'StringMatch',
  fields: { exact: str, prefix: str, suffix: str, regex: str },
  oneofs: [['exact', 'prefix', 'suffix', 'regex']],
};

const TriggerRuleSchema: MessageSchema<JwtTriggerRule> = {
  name: 'Jwt.TriggerRule',
  fields: { excludedPaths: list(msg(() => AuthnStringMatchSchema)), includedPaths: list(msg(() => AuthnStringMatchSchema)) },
};

const JwtSchema: MessageSchema<Jwt> = {
  name: 'Jwt',
  fields: {
    issuer: str,
    audiences: strList,
    jwksUri: str,
    jwks: str,
    jwtHeaders: strList,
    jwtParams: strList,
    triggerRules: list(msg(() => TriggerRuleSchema)),
  },
};

const PeerMethodSchema: MessageSchema<PeerAuthenticationMethod> = {
  name: 'PeerAuthenticationMethod',
  fields: { mtls: msg(() => MutualTlsSchema), jwt: msg(() => JwtSchema) },
  oneofs: [['mtls', 'jwt']],
};

const OriginMethodSchema: MessageSchema<OriginAuthenticationMethod> = {
  name: 'OriginAuthenticationMethod',
  fields: { jwt: msg(() => JwtSchema) },
};

export const AuthenticationPolicySchema: MessageSchema<AuthenticationPolicy> = {
  name: 'Policy',
  fields: {
    targets: list(msg(() => TargetSelectorSchema)),
    peers: list(msg(() => PeerMethodSchema)),
    peerIsOptional: bool,
    origins: list(msg(() => OriginMethodSchema)),
    originIsOptional: bool,
    principalBinding: enm('USE_PEER', 'USE_ORIGIN'),
  },
};
