// The Kubernetes-style envelope every config object travels in, and the typed union of Istio kinds.
import type { AuthenticationPolicy } from './types/authentication.js';
import type { DestinationRule } from './types/destination-rule.js';
import type { EnvoyFilter } from './types/envoy-filter.js';
import type { Gateway } from './types/gateway.js';
import type { AttributeManifest, MixerHandler, MixerInstance, MixerRule, OpaqueSpec } from './types/mixer.js';
import type { RbacConfig, ServiceRole, ServiceRoleBinding } from './types/rbac.js';
import type { AuthorizationPolicy, PeerAuthentication, RequestAuthentication } from './types/security.js';
import type { ServiceEntry } from './types/service-entry.js';
import type { Sidecar } from './types/sidecar.js';
import type { VirtualService } from './types/virtual-service.js';
import type { WorkloadEntry } from './types/workload-entry.js';

/** Kubernetes ObjectMeta, as much of it as config files carry. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  ownerReferences?: unknown[];
  finalizers?: string[];
  clusterName?: string;
  managedFields?: unknown[];
  selfLink?: string;
}

/** `{ apiVersion, kind, metadata, spec }`; `status` is accepted and ignored. */
export interface ConfigObject<S = unknown, K extends string = string> {
  apiVersion: string;
  kind: K;
  metadata: ObjectMeta;
  spec: S;
  status?: unknown;
}

/** Spec type of each kind Weft types in full; other known kinds carry an OpaqueSpec. */
export interface SpecByKind {
  VirtualService: VirtualService;
  DestinationRule: DestinationRule;
  Gateway: Gateway;
  ServiceEntry: ServiceEntry;
  Sidecar: Sidecar;
  WorkloadEntry: WorkloadEntry;
  EnvoyFilter: EnvoyFilter;
  PeerAuthentication: PeerAuthentication;
  RequestAuthentication: RequestAuthentication;
  AuthorizationPolicy: AuthorizationPolicy;
  Policy: AuthenticationPolicy;
  MeshPolicy: AuthenticationPolicy;
  ClusterRbacConfig: RbacConfig;
  RbacConfig: RbacConfig;
  ServiceRole: ServiceRole;
  ServiceRoleBinding: ServiceRoleBinding;
  rule: MixerRule;
  handler: MixerHandler;
  instance: MixerInstance;
  attributemanifest: AttributeManifest;
}

/** A typed config object; narrow on `kind` to get the spec type. */
export type IstioConfig =
  | { [K in keyof SpecByKind]: ConfigObject<SpecByKind[K], K> }[keyof SpecByKind]
  | ConfigObject<OpaqueSpec>;

/**
 * Narrows a config to one typed kind. (A plain `kind ===` check cannot narrow, because the opaque
 * variant's kind is any string.)
 */
export function isKind<K extends keyof SpecByKind>(config: IstioConfig, kind: K): config is Extract<IstioConfig, { kind: K }> {
  return config.kind === kind;
}
