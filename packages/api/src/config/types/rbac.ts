// rbac.istio.io/v1alpha1 (Istio 1.0-1.5): ClusterRbacConfig/RbacConfig switch, ServiceRole, ServiceRoleBinding.

export type RbacMode = 'OFF' | 'ON' | 'ON_WITH_INCLUSION' | 'ON_WITH_EXCLUSION';
export type RbacEnforcementMode = 'ENFORCED' | 'PERMISSIVE';

/** Spec of ClusterRbacConfig and the deprecated RbacConfig; the singleton is named `default`. */
export interface RbacConfig {
  mode?: RbacMode;
  inclusion?: RbacTarget;
  exclusion?: RbacTarget;
  enforcementMode?: RbacEnforcementMode;
}

export interface RbacTarget {
  services?: string[];
  namespaces?: string[];
  /** Istio 1.1-1.2 only. */
  workloadSelectors?: { labels?: Record<string, string> }[];
}

export interface ServiceRole {
  rules?: AccessRule[];
}

export interface AccessRule {
  services?: string[];
  hosts?: string[];
  notHosts?: string[];
  paths?: string[];
  notPaths?: string[];
  methods?: string[];
  notMethods?: string[];
  ports?: number[];
  notPorts?: number[];
  constraints?: RbacConstraint[];
}

export interface RbacConstraint {
  key?: string;
  values?: string[];
}

export interface ServiceRoleBinding {
  subjects?: RbacSubject[];
  roleRef?: RoleRef;
  /** Istio 1.2: inline rules instead of a roleRef. */
  actions?: AccessRule[];
  /** Istio 1.2: role name; a leading `/` means the root namespace. */
  role?: string;
  mode?: RbacEnforcementMode;
}

export interface RbacSubject {
  user?: string;
  names?: string[];
  notNames?: string[];
  /** Deprecated; use groups. */
  group?: string;
  groups?: string[];
  notGroups?: string[];
  namespaces?: string[];
  notNamespaces?: string[];
  ips?: string[];
  notIps?: string[];
  properties?: Record<string, string>;
}

export interface RoleRef {
  /** Must be `ServiceRole`. */
  kind?: string;
  name?: string;
}
