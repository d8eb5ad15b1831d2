// Field schemas for security.istio.io PeerAuthentication, RequestAuthentication and AuthorizationPolicy.
import type {
  AuthorizationCondition, AuthorizationFrom, AuthorizationOperation, AuthorizationPolicy, AuthorizationRule,
  AuthorizationSource, AuthorizationTo, JWTHeader, JWTRule, PeerAuthentication, PeerMutualTLS, RequestAuthentication,
} from '../types/security.js';
import { bool, enm, list, map, type MessageSchema, msg, str, strList } from '../validate/schema.js';
import { SecurityWorkloadSelectorSchema } from './port.js';

const PeerMutualTLSSchema: MessageSchema<PeerMutualTLS> = {
  name: 'PeerAuthentication.MutualTLS',
  fields: { mode: enm('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT') },
};

export const PeerAuthenticationSchema: MessageSchema<PeerAuthentication> = {
  name: 'PeerAuthentication',
  fields: {
    selector: msg(() => SecurityWorkloadSelectorSchema),
    mtls: msg(() => PeerMutualTLSSchema),
    portLevelMtls: map(msg(() => PeerMutualTLSSchema)),
  },
};

const JWTHeaderSchema: MessageSchema<JWTHeader> = { name: 'JWTHeader', fields: { name: str, prefix: str } };

const JWTRuleSchema: MessageSchema<JWTRule> = {
  name: 'JWTRule',
  fields: {
    issuer: str,
    audiences: strList,
    jwksUri: str,
    jwks: str,
    fromHeaders: list(msg(() => JWTHeaderSchema)),
    fromParams: strList,
    outputPayloadToHeader: str,
    forwardOriginalToken: bool,
  },
};

export const RequestAuthenticationSchema: MessageSchema<RequestAuthentication> = {
  name: 'RequestAuthentication',
  fields: { selector: msg(() => SecurityWorkloadSelectorSchema), jwtRules: list(msg(() => JWTRuleSchema)) },
};

const SourceSchema: MessageSchema<AuthorizationSource> = {
  name: 'Source',
  fields: {
    principals: strList,
    notPrincipals: strList,
    requestPrincipals: strList,
    notRequestPrincipals: strList,
    namespaces: strList,
    notNamespaces: strList,
    ipBlocks: strList,
    notIpBlocks: strList,
  },
};

const OperationSchema: MessageSchema<AuthorizationOperation> = {
  name: 'Operation',
  fields: {
    hosts: strList,
    notHosts: strList,
    ports: strList,
    notPorts: strList,
    methods: strList,
    notMethods: strList,
    paths: strList,
    notPaths: strList,
  },
};

const FromSchema: MessageSchema<AuthorizationFrom> = { name: 'Rule.From', fields: { source: msg(() => SourceSchema) } };
const ToSchema: MessageSchema<AuthorizationTo> = { name: 'Rule.To', fields: { operation: msg(() => OperationSchema) } };
const ConditionSchema: MessageSchema<AuthorizationCondition> = {
  name: 'Condition',
  fields: { key: str, values: strList, notValues: strList },
};

const RuleSchema: MessageSchema<AuthorizationRule> = {
  name: 'Rule',
  fields: { from: list(msg(() => FromSchema)), to: list(msg(() => ToSchema)), when: list(msg(() => ConditionSchema)) },
};

export const AuthorizationPolicySchema: MessageSchema<AuthorizationPolicy> = {
  name: 'AuthorizationPolicy',
  fields: {
    selector: msg(() => SecurityWorkloadSelectorSchema),
    rules: list(msg(() => RuleSchema)),
    action: enm('ALLOW', 'DENY'),
  },
};
