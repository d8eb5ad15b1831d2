// The table of config kinds Weft knows, keyed by group/version/kind: which versions serve each kind,
// its scope, and whether Istio deprecated it. Data only; validators are looked up elsewhere by kind.

export interface KindInfo {
  readonly group: string;
  readonly kind: string;
  /** API versions that serve this kind, oldest first. */
  readonly versions: readonly string[];
  readonly plural: string;
  readonly clusterScoped: boolean;
  /** Set when Istio deprecated the kind; reported as a warning. */
  readonly deprecation?: string;
}

const NETWORKING = 'networking.istio.io';
const SECURITY = 'security.istio.io';
const AUTHN = 'authentication.istio.io';
const RBAC = 'rbac.istio.io';
const MIXER = 'config.istio.io';

const ALL_NETWORKING = ['v1alpha3', 'v1beta1', 'v1'] as const;
const RBAC_DEPRECATION = 'rbac.istio.io/v1alpha1 is deprecated since Istio 1.4 and removed in 1.6; use security.istio.io/v1beta1 AuthorizationPolicy';
const AUTHN_DEPRECATION = 'authentication.istio.io/v1alpha1 was replaced by security.istio.io/v1beta1 PeerAuthentication and RequestAuthentication in Istio 1.5';
const LEGACY_MIXER = (kind: string, as: 'handler' | 'instance'): string =>
  `legacy Mixer kind "${kind}" has no CRD after Istio 1.1; write it as a ${as} with ${as === 'handler' ? 'compiledAdapter' : 'compiledTemplate'}: ${kind}`;

const namespaced = (group: string, kind: string, versions: readonly string[], plural: string, deprecation?: string): KindInfo => ({
  group,
  kind,
  versions,
  plural,
  clusterScoped: false,
  ...(deprecation !== undefined ? { deprecation } : {}),
});

/** Per-adapter kinds of Istio 1.0-1.1 (each a handler with compiledAdapter). */
export const LEGACY_ADAPTER_KINDS = [
  'bypass', 'circonus', 'cloudwatch', 'denier', 'dogstatsd', 'fluentd', 'kubernetesenv', 'listchecker', 'memquota',
  'noop', 'opa', 'prometheus', 'rbac', 'redisquota', 'signalfx', 'solarwinds', 'stackdriver', 'statsd', 'stdio', 'zipkin',
] as const;

/** Per-template kinds of Istio 1.0-1.1 (each an instance with compiledTemplate). */
export const LEGACY_TEMPLATE_KINDS = [
  'apikey', 'authorization', 'checknothing', 'edge', 'kubernetes', 'listentry', 'logentry', 'metric', 'quota',
  'reportnothing', 'tracespan',
] as const;

export const KNOWN_KINDS: readonly KindInfo[] = [
  namespaced(NETWORKING, 'VirtualService', ALL_NETWORKING, 'virtualservices'),
  namespaced(NETWORKING, 'DestinationRule', ALL_NETWORKING, 'destinationrules'),
  namespaced(NETWORKING, 'Gateway', ALL_NETWORKING, 'gateways'),
  namespaced(NETWORKING, 'ServiceEntry', ALL_NETWORKING, 'serviceentries'),
  // Sidecar and WorkloadEntry were promoted to v1 with the others in Istio 1.22.
  namespaced(NETWORKING, 'Sidecar', ALL_NETWORKING, 'sidecars'),
  namespaced(NETWORKING, 'WorkloadEntry', ALL_NETWORKING, 'workloadentries'),
  namespaced(NETWORKING, 'EnvoyFilter', ['v1alpha3'], 'envoyfilters'),
  namespaced(SECURITY, 'PeerAuthentication', ['v1beta1', 'v1'], 'peerauthentications'),
  namespaced(SECURITY, 'RequestAuthentication', ['v1beta1', 'v1'], 'requestauthentications'),
  namespaced(SECURITY, 'AuthorizationPolicy', ['v1beta1', 'v1'], 'authorizationpolicies'),
  namespaced(AUTHN, 'Policy', ['v1alpha1'], 'policies', AUTHN_DEPRECATION),
  { group: AUTHN, kind: 'MeshPolicy', versions: ['v1alpha1'], plural: 'meshpolicies', clusterScoped: true, deprecation: AUTHN_DEPRECATION },
  { group: RBAC, kind: 'ClusterRbacConfig', versions: ['v1alpha1'], plural: 'clusterrbacconfigs', clusterScoped: true, deprecation: RBAC_DEPRECATION },
  {
    group: RBAC,
    kind: 'RbacConfig',
    versions: ['v1alpha1'],
    plural: 'rbacconfigs',
    clusterScoped: true,
    deprecation: 'RbacConfig is deprecated since Istio 1.1; use ClusterRbacConfig',
  },
  namespaced(RBAC, 'ServiceRole', ['v1alpha1'], 'serviceroles', RBAC_DEPRECATION),
  namespaced(RBAC, 'ServiceRoleBinding', ['v1alpha1'], 'servicerolebindings', RBAC_DEPRECATION),
  namespaced(MIXER, 'rule', ['v1alpha2'], 'rules'),
  namespaced(MIXER, 'handler', ['v1alpha2'], 'handlers'),
  namespaced(MIXER, 'instance', ['v1alpha2'], 'instances'),
  namespaced(MIXER, 'attributemanifest', ['v1alpha2'], 'attributemanifests'),
  namespaced(MIXER, 'adapter', ['v1alpha2'], 'adapters'),
  namespaced(MIXER, 'template', ['v1alpha2'], 'templates'),
  namespaced(MIXER, 'HTTPAPISpec', ['v1alpha2'], 'httpapispecs'),
  namespaced(MIXER, 'HTTPAPISpecBinding', ['v1alpha2'], 'httpapispecbindings'),
  namespaced(MIXER, 'QuotaSpec', ['v1alpha2'], 'quotaspecs'),
  namespaced(MIXER, 'QuotaSpecBinding', ['v1alpha2'], 'quotaspecbindings'),
  ...LEGACY_ADAPTER_KINDS.map((k) => namespaced(MIXER, k, ['v1alpha2'], `${k}s`, LEGACY_MIXER(k, 'handler'))),
  ...LEGACY_TEMPLATE_KINDS.map((k) => namespaced(MIXER, k, ['v1alpha2'], `${k}s`, LEGACY_MIXER(k, 'instance'))),
];

/** `group/version/kind`, the registry key. */
export function kindKey(group: string, version: string, kind: string): string {
  return `${group}/${version}/${kind}`;
}

const BY_GROUP_KIND = new Map(KNOWN_KINDS.map((k) => [`${k.group}/${k.kind}`, k]));
const GROUPS = new Set(KNOWN_KINDS.map((k) => k.group));

/** Splits `networking.istio.io/v1alpha3` into group and version; the core group ("v1") has group "". */
export function splitApiVersion(apiVersion: string): { group: string; version: string } {
  const slash = apiVersion.lastIndexOf('/');
  return slash < 0 ? { group: '', version: apiVersion } : { group: apiVersion.slice(0, slash), version: apiVersion.slice(slash + 1) };
}

export type KindLookup =
  | { readonly ok: true; readonly info: KindInfo; readonly group: string; readonly version: string }
  | { readonly ok: false; readonly reason: 'foreign-group' | 'unknown-kind' | 'unknown-version'; readonly message: string };

/** Resolves an apiVersion/kind pair against KNOWN_KINDS, explaining any mismatch. */
export function lookupKind(apiVersion: string, kind: string): KindLookup {
  const { group, version } = splitApiVersion(apiVersion);
  if (!GROUPS.has(group)) {
    return { ok: false, reason: 'foreign-group', message: `${apiVersion} ${kind} is not an Istio config kind` };
  }
  const info = BY_GROUP_KIND.get(`${group}/${kind}`);
  if (info === undefined) {
    const known = KNOWN_KINDS.filter((k) => k.group === group).map((k) => k.kind);
    const hint = known.find((k) => k.toLowerCase() === kind.toLowerCase());
    const elsewhere = KNOWN_KINDS.find((k) => k.kind === kind);
    const suggestion =
      hint !== undefined ? ` (did you mean ${hint}?)` : elsewhere !== undefined ? ` (${kind} is in group ${elsewhere.group})` : '';
    return { ok: false, reason: 'unknown-kind', message: `unknown kind ${JSON.stringify(kind)} in group ${group}${suggestion}` };
  }
  if (!info.versions.includes(version)) {
    return {
      ok: false,
      reason: 'unknown-version',
      message: `${kind} is not served at ${apiVersion}; supported versions: ${info.versions.map((v) => `${group}/${v}`).join(', ')}`,
    };
  }
  return { ok: true, info, group, version };
}
