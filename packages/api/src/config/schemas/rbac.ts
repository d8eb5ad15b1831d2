// Field schemas for rbac.istio.io/v1alpha1 kinds.
import type { AccessRule, RbacConfig, RbacConstraint, RbacSubject, RbacTarget, RoleRef, ServiceRole, ServiceRoleBinding } from '../types/rbac.js';
import { enm, i32, list, type MessageSchema, msg, str, strList, strMap } from '../validate/schema.js';
import { WorkloadSelectorSchema } from './port.js';

const ENFORCEMENT = enm('ENFORCED', 'PERMISSIVE');

const RbacTargetSchema: MessageSchema<RbacTarget> = {
  name: 'RbacConfig.Target',
  fields: { services: strList, namespaces: strList, workloadSelectors: list(msg(() => WorkloadSelectorSchema)) },
};

export const RbacConfigSchema: MessageSchema<RbacConfig> = {
  name: 'RbacConfig',
  fields: {
    mode: enm('OFF', 'ON', 'ON_WITH_INCLUSION', 'ON_WITH_EXCLUSION'),
    inclusion: msg(() => RbacTargetSchema),
    exclusion: msg(() => RbacTargetSchema),
    enforcementMode: ENFORCEMENT,
  },
};

const ConstraintSchema: MessageSchema<RbacConstraint> = { name: 'AccessRule.Constraint', fields: { key: str, values: strList } };

export const AccessRuleSchema: MessageSchema<AccessRule> = {
  name: 'AccessRule',
  fields: {
    services: strList,
    hosts: strList,
    notHosts: strList,
    paths: strList,
    notPaths: strList,
    methods: strList,
    notMethods: strList,
    ports: list(i32),
    notPorts: list(i32),
    constraints: list(msg(() => ConstraintSchema)),
  },
};

export const ServiceRoleSchema: MessageSchema<ServiceRole> = {
  name: 'ServiceRole',
  fields: { rules: list(msg(() => AccessRuleSchema)) },
};

const SubjectSchema: MessageSchema<RbacSubject> = {
  name: 'Subject',
  fields: {
    user: str,
    names: strList,
    notNames: strList,
    group: str,
    groups: strList,
    notGroups: strList,
    namespaces: strList,
    notNamespaces: strList,
    ips: strList,
    notIps: strList,
    properties: strMap,
  },
  deprecated: { group: 'use groups' },
};

const RoleRefSchema: MessageSchema<RoleRef> = { name: 'RoleRef', fields: { kind: str, name: str } };

export const ServiceRoleBindingSchema: MessageSchema<ServiceRoleBinding> = {
  name: 'ServiceRoleBinding',
  fields: {
    subjects: list(msg(() => SubjectSchema)),
    roleRef: msg(() => RoleRefSchema),
    actions: list(msg(() => AccessRuleSchema)),
    role: str,
    mode: ENFORCEMENT,
  },
};
