// Validates the Kubernetes objects `weftctl local` runs (Namespace, ServiceAccount, Service,
// Deployment, and Istio's mesh config ConfigMap) into typed values, collecting every problem with its
// field path. A field that would change behaviour and is not implemented is refused, never dropped.
import { IssueCollector, type Issue, type ValidationResult } from '@weft/base';
import type { KubeContainer, KubeDeployment, KubeEnvVar, KubeMeta, KubeObject, KubeProbe, KubeService, KubeServicePort } from './kube-objects.js';
import { dnsLabel, dnsSubdomain, int, isObject, list, mapping, onlyFields, port, portOrName, str, stringList, stringMap, type Json } from './kube-fields.js';
import { checkMeshNetworks, MESH_CONFIG_MAP, parseMeshText, type MeshConfigMap, type TextIssue } from './mesh-config-map.js';

/** The kinds (and their apiVersions) the local platform runs. */
export const KUBE_KINDS: Readonly<Record<string, string>> = { Namespace: 'v1', ServiceAccount: 'v1', Service: 'v1', Deployment: 'apps/v1' };

const META_IGNORED = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'selfLink', 'managedFields'];
/** Downward-API fields a container env var may read. */
export const FIELD_PATHS = ['metadata.name', 'metadata.namespace', 'metadata.uid', 'spec.nodeName', 'spec.serviceAccountName', 'status.podIP', 'status.hostIP'];

export function isKubeKind(apiVersion: string, kind: string): boolean {
  return KUBE_KINDS[kind] !== undefined && (apiVersion === KUBE_KINDS[kind] || (kind === 'Deployment' && /^(extensions|apps)\/v1beta[12]$/.test(apiVersion)));
}

function meta(raw: unknown, at: IssueCollector, namespaced: boolean, defaultNamespace: string): KubeMeta {
  const m = mapping(raw, at, true) ?? {};
  onlyFields(m, at, ['name', 'namespace', 'labels', 'annotations'], META_IGNORED);
  const name = str(m['name'], at.at('name'), true) ?? '';
  if (name) (namespaced ? dnsSubdomain : dnsLabel)(name, at.at('name'));
  let namespace = '';
  if (namespaced) {
    namespace = str(m['namespace'], at.at('namespace')) ?? defaultNamespace;
    dnsLabel(namespace, at.at('namespace'));
  } else if (m['namespace'] !== undefined) {
    at.at('namespace').error('a Namespace is not namespaced');
  }
  return { name, namespace, labels: stringMap(m['labels'], at.at('labels')), annotations: stringMap(m['annotations'], at.at('annotations')) };
}

function servicePorts(raw: unknown, at: IssueCollector): KubeServicePort[] {
  const ports: KubeServicePort[] = [];
  const l = list(raw, at, true) ?? [];
  if (l.length === 0 && raw !== undefined) at.error('a Service needs at least one port');
  const names = new Set<string>();
  l.forEach((p, i) => {
    const pa = at.at(i);
    const m = mapping(p, pa, true);
    if (!m) return;
    onlyFields(m, pa, ['name', 'port', 'targetPort', 'protocol']);
    const protocol = str(m['protocol'], pa.at('protocol')) ?? 'TCP';
    if (protocol !== 'TCP') pa.at('protocol').error(`only TCP ports are supported by weftctl local, got ${protocol}`);
    const name = str(m['name'], pa.at('name')) ?? '';
    if (name) {
      dnsLabel(name, pa.at('name'));
      if (names.has(name)) pa.at('name').error(`duplicate port name "${name}"`);
      names.add(name);
    } else if (l.length > 1) {
      pa.at('name').error('every port of a Service with several ports needs a name');
    }
    const number = port(m['port'], pa.at('port'), true);
    const target = m['targetPort'] === undefined ? number : portOrName(m['targetPort'], pa.at('targetPort'));
    if (number !== undefined && target !== undefined) ports.push({ name, port: number, targetPort: target });
  });
  return ports;
}

function service(obj: Json, at: IssueCollector, defaultNamespace: string): KubeService {
  const metadata = meta(obj['metadata'], at.at('metadata'), true, defaultNamespace);
  if (metadata.name) dnsLabel(metadata.name, at.at('metadata', 'name'));
  const sa = at.at('spec');
  const spec = mapping(obj['spec'], sa, true) ?? {};
  onlyFields(spec, sa, ['selector', 'ports', 'clusterIP', 'type', 'sessionAffinity']);
  const type = str(spec['type'], sa.at('type')) ?? 'ClusterIP';
  if (type !== 'ClusterIP') sa.at('type').error(`only type ClusterIP is supported by weftctl local (the ingress gateway is exposed on the host by the platform), got ${type}`);
  const affinity = str(spec['sessionAffinity'], sa.at('sessionAffinity')) ?? 'None';
  if (affinity !== 'None') sa.at('sessionAffinity').error(`sessionAffinity ${affinity} is not supported by weftctl local (use a DestinationRule consistentHash)`);
  const clusterIP = str(spec['clusterIP'], sa.at('clusterIP'));
  if (clusterIP === 'None') sa.at('clusterIP').error('headless Services (clusterIP: None) are not supported by weftctl local');
  const selector = stringMap(spec['selector'], sa.at('selector'));
  if (Object.keys(selector).length === 0) sa.at('selector').error('a Service without a selector is not supported by weftctl local (its endpoints would be managed by hand)');
  const ports = servicePorts(spec['ports'], sa.at('ports'));
  return { kind: 'Service', metadata, spec: { selector, ports, ...(clusterIP && clusterIP !== 'None' ? { clusterIP } : {}) } };
}

function probe(raw: unknown, at: IssueCollector): KubeProbe | undefined {
  const m = mapping(raw, at);
  if (!m) return undefined;
  onlyFields(m, at, ['httpGet', 'tcpSocket', 'initialDelaySeconds', 'periodSeconds', 'timeoutSeconds', 'successThreshold', 'failureThreshold']);
  const base = {
    initialDelaySeconds: int(m['initialDelaySeconds'], at.at('initialDelaySeconds'), { min: 0, max: 3600 }, 0) ?? 0,
    periodSeconds: int(m['periodSeconds'], at.at('periodSeconds'), { min: 1, max: 3600 }, 10) ?? 10,
    timeoutSeconds: int(m['timeoutSeconds'], at.at('timeoutSeconds'), { min: 1, max: 3600 }, 1) ?? 1,
    successThreshold: int(m['successThreshold'], at.at('successThreshold'), { min: 1, max: 1 }, 1) ?? 1,
    failureThreshold: int(m['failureThreshold'], at.at('failureThreshold'), { min: 1, max: 100 }, 3) ?? 3,
  };
  if (m['httpGet'] !== undefined) {
    const ha = at.at('httpGet');
    const h = mapping(m['httpGet'], ha) ?? {};
    onlyFields(h, ha, ['path', 'port', 'scheme']);
    const scheme = str(h['scheme'], ha.at('scheme')) ?? 'HTTP';
    if (scheme !== 'HTTP') ha.at('scheme').error(`only scheme HTTP is supported, got ${scheme}`);
    const p = portOrName(h['port'], ha.at('port'));
    return p === undefined ? undefined : { ...base, httpGet: { path: str(h['path'], ha.at('path')) ?? '/', port: p } };
  }
  if (m['tcpSocket'] !== undefined) {
    const ta = at.at('tcpSocket');
    const t = mapping(m['tcpSocket'], ta) ?? {};
    onlyFields(t, ta, ['port']);
    const p = portOrName(t['port'], ta.at('port'));
    return p === undefined ? undefined : { ...base, tcpSocket: { port: p } };
  }
  at.error('a probe needs httpGet or tcpSocket (exec probes are not supported by weftctl local)');
  return undefined;
}

function envVars(raw: unknown, at: IssueCollector): KubeEnvVar[] {
  const out: KubeEnvVar[] = [];
  (list(raw, at) ?? []).forEach((e, i) => {
    const ea = at.at(i);
    const m = mapping(e, ea, true);
    if (!m) return;
    onlyFields(m, ea, ['name', 'value', 'valueFrom']);
    const name = str(m['name'], ea.at('name'), true);
    if (!name) return;
    if (m['valueFrom'] !== undefined) {
      const va = ea.at('valueFrom');
      const vf = mapping(m['valueFrom'], va) ?? {};
      onlyFields(vf, va, ['fieldRef']);
      const fa = va.at('fieldRef');
      const fr = mapping(vf['fieldRef'], fa, true) ?? {};
      onlyFields(fr, fa, ['fieldPath'], ['apiVersion']);
      const fieldPath = str(fr['fieldPath'], fa.at('fieldPath'), true);
      const labelRef = fieldPath !== undefined && /^metadata\.(labels|annotations)\['[^']+'\]$/.test(fieldPath);
      if (fieldPath !== undefined && !FIELD_PATHS.includes(fieldPath) && !labelRef) fa.at('fieldPath').error(`unsupported fieldPath "${fieldPath}" (supported: ${FIELD_PATHS.join(', ')}, metadata.labels['<key>'], metadata.annotations['<key>'])`);
      if (fieldPath !== undefined) out.push({ name, fieldPath });
      return;
    }
    const value = m['value'];
    if (value !== undefined && typeof value !== 'string') ea.at('value').error('must be a string (quote numbers and booleans in YAML)');
    else out.push({ name, value: value ?? '' });
  });
  return out;
}

function container(raw: unknown, at: IssueCollector): KubeContainer | undefined {
  const m = mapping(raw, at, true);
  if (!m) return undefined;
  onlyFields(m, at, ['name', 'image', 'command', 'args', 'env', 'ports', 'readinessProbe'], ['imagePullPolicy', 'terminationMessagePath', 'terminationMessagePolicy']);
  const name = str(m['name'], at.at('name'), true);
  if (name) dnsLabel(name, at.at('name'));
  const image = str(m['image'], at.at('image'), true);
  const ports = (list(m['ports'], at.at('ports')) ?? []).flatMap((p, i) => {
    const pa = at.at('ports', i);
    const pm = mapping(p, pa, true);
    if (!pm) return [];
    onlyFields(pm, pa, ['containerPort', 'name', 'protocol']);
    const protocol = str(pm['protocol'], pa.at('protocol')) ?? 'TCP';
    if (protocol !== 'TCP') pa.at('protocol').error(`only TCP ports are supported by weftctl local, got ${protocol}`);
    const containerPort = port(pm['containerPort'], pa.at('containerPort'), true);
    const portName = str(pm['name'], pa.at('name'));
    return containerPort === undefined ? [] : [{ containerPort, ...(portName ? { name: portName } : {}) }];
  });
  const command = stringList(m['command'], at.at('command'));
  const args = stringList(m['args'], at.at('args'));
  const readinessProbe = probe(m['readinessProbe'], at.at('readinessProbe'));
  if (!name || !image) return undefined;
  return { name, image, env: envVars(m['env'], at.at('env')), ports, ...(command ? { command } : {}), ...(args ? { args } : {}), ...(readinessProbe ? { readinessProbe } : {}) };
}

/** maxSurge / maxUnavailable: an absolute count or a percentage of replicas (surge rounds up, unavailable down). */
function intOrPercent(v: unknown, at: IssueCollector, replicas: number, roundUp: boolean, fallback: string): number {
  const raw = v ?? fallback;
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) return raw;
  if (typeof raw === 'string' && /^\d+%$/.test(raw)) {
    const f = (replicas * Number(raw.slice(0, -1))) / 100;
    return roundUp ? Math.ceil(f) : Math.floor(f);
  }
  at.error(`must be a non-negative integer or a percentage such as "25%", got ${JSON.stringify(raw)}`);
  return 0;
}

function deployment(obj: Json, at: IssueCollector, apiVersion: string, defaultNamespace: string): KubeDeployment | undefined {
  if (apiVersion !== 'apps/v1') at.at('apiVersion').error(`Deployment ${apiVersion} was removed in Kubernetes 1.16: use apps/v1`);
  const metadata = meta(obj['metadata'], at.at('metadata'), true, defaultNamespace);
  const sa = at.at('spec');
  const spec = mapping(obj['spec'], sa, true) ?? {};
  onlyFields(spec, sa, ['replicas', 'selector', 'template', 'strategy', 'minReadySeconds'], ['revisionHistoryLimit', 'progressDeadlineSeconds']);
  const replicas = int(spec['replicas'], sa.at('replicas'), { min: 0, max: 20 }, 1) ?? 1;
  const sel = mapping(spec['selector'], sa.at('selector'), true) ?? {};
  onlyFields(sel, sa.at('selector'), ['matchLabels']);
  const selector = stringMap(sel['matchLabels'], sa.at('selector', 'matchLabels'));
  if (spec['selector'] !== undefined && Object.keys(selector).length === 0) sa.at('selector', 'matchLabels').error('is required (matchExpressions are not supported by weftctl local)');
  const ta = sa.at('template');
  const template = mapping(spec['template'], ta, true) ?? {};
  onlyFields(template, ta, ['metadata', 'spec']);
  const tm = mapping(template['metadata'], ta.at('metadata')) ?? {};
  onlyFields(tm, ta.at('metadata'), ['labels', 'annotations'], ['name', 'creationTimestamp']);
  const labels = stringMap(tm['labels'], ta.at('metadata', 'labels'));
  const annotations = stringMap(tm['annotations'], ta.at('metadata', 'annotations'));
  if (Object.keys(selector).length > 0 && !Object.entries(selector).every(([k, v]) => labels[k] === v)) {
    ta.at('metadata', 'labels').error('`selector` does not match template `labels`');
  }
  const pa = ta.at('spec');
  const ps = mapping(template['spec'], pa, true) ?? {};
  onlyFields(ps, pa, ['containers', 'serviceAccountName', 'serviceAccount', 'terminationGracePeriodSeconds', 'restartPolicy'], ['dnsPolicy', 'automountServiceAccountToken', 'imagePullSecrets', 'enableServiceLinks']);
  const restart = str(ps['restartPolicy'], pa.at('restartPolicy')) ?? 'Always';
  if (restart !== 'Always') pa.at('restartPolicy').error(`a Deployment's pods must have restartPolicy Always, got ${restart}`);
  const containers = (list(ps['containers'], pa.at('containers'), true) ?? []).map((c, i) => container(c, pa.at('containers', i)));
  if (Array.isArray(ps['containers']) && ps['containers'].length === 0) pa.at('containers').error('a pod needs at least one container');
  const serviceAccountName = str(ps['serviceAccountName'], pa.at('serviceAccountName')) ?? str(ps['serviceAccount'], pa.at('serviceAccount')) ?? 'default';
  const terminationGracePeriodSeconds = int(ps['terminationGracePeriodSeconds'], pa.at('terminationGracePeriodSeconds'), { min: 0, max: 3600 }, 30) ?? 30;
  const sta = sa.at('strategy');
  const st = mapping(spec['strategy'], sta) ?? {};
  onlyFields(st, sta, ['type', 'rollingUpdate']);
  const stype = str(st['type'], sta.at('type')) ?? 'RollingUpdate';
  let strategy: KubeDeployment['spec']['strategy'] = { type: 'Recreate' };
  if (stype === 'RollingUpdate') {
    const ru = mapping(st['rollingUpdate'], sta.at('rollingUpdate')) ?? {};
    onlyFields(ru, sta.at('rollingUpdate'), ['maxSurge', 'maxUnavailable']);
    const maxSurge = intOrPercent(ru['maxSurge'], sta.at('rollingUpdate', 'maxSurge'), replicas, true, '25%');
    const maxUnavailable = intOrPercent(ru['maxUnavailable'], sta.at('rollingUpdate', 'maxUnavailable'), replicas, false, '25%');
    if (maxSurge === 0 && maxUnavailable === 0) sta.at('rollingUpdate').error('maxSurge and maxUnavailable cannot both be 0');
    strategy = { type: 'RollingUpdate', maxSurge, maxUnavailable };
  } else if (stype !== 'Recreate') {
    sta.at('type').error(`must be RollingUpdate or Recreate, got ${stype}`);
  }
  const minReadySeconds = int(spec['minReadySeconds'], sa.at('minReadySeconds'), { min: 0, max: 3600 }, 0) ?? 0;
  if (containers.some((c) => c === undefined)) return undefined;
  return {
    kind: 'Deployment',
    metadata,
    spec: {
      replicas,
      selector,
      template: { metadata: { labels, annotations }, spec: { containers: containers as KubeContainer[], serviceAccountName, terminationGracePeriodSeconds } },
      strategy,
      minReadySeconds,
    },
  };
}

/**
 * Validates one Kubernetes object of a kind `isKubeKind` accepts. `defaultNamespace` is used for
 * namespaced objects without metadata.namespace (kubectl's current namespace).
 */
export function validateKubeObject(raw: unknown, defaultNamespace = 'default'): ValidationResult<KubeObject> {
  const at = new IssueCollector();
  if (!isObject(raw)) {
    at.error('an object must be a mapping');
    return at.result(undefined as unknown as KubeObject);
  }
  const kind = String(raw['kind']);
  const apiVersion = String(raw['apiVersion']);
  onlyFields(raw, at, ['apiVersion', 'kind', 'metadata', 'spec'], ['status']);
  let obj: KubeObject | undefined;
  switch (kind) {
    case 'Namespace':
    case 'ServiceAccount': {
      if (raw['spec'] !== undefined) at.at('spec').error(`field "spec" of a ${kind} is not supported by weftctl local`);
      const metadata = meta(raw['metadata'], at.at('metadata'), kind === 'ServiceAccount', defaultNamespace);
      if (kind === 'Namespace' && metadata.name) dnsLabel(metadata.name, at.at('metadata', 'name'));
      obj = { kind, metadata };
      break;
    }
    case 'Service':
      obj = service(raw, at, defaultNamespace);
      break;
    case 'Deployment':
      obj = deployment(raw, at, apiVersion, defaultNamespace);
      break;
    default:
      at.at('kind').error(`kind ${kind} is not run by weftctl local (supported: ${Object.keys(KUBE_KINDS).join(', ')}, ${MESH_CONFIG_MAP_KIND}, and Istio's kinds)`);
  }
  return at.errors.length === 0 && obj ? { value: obj, errors: [], warnings: at.warnings } : { errors: at.errors, warnings: at.warnings };
}

export function isConfigMap(apiVersion: string, kind: string): boolean {
  return apiVersion === 'v1' && kind === 'ConfigMap';
}

/** How the one supported ConfigMap is named in messages. */
export const MESH_CONFIG_MAP_KIND = `ConfigMap ${MESH_CONFIG_MAP.name} in ${MESH_CONFIG_MAP.namespace} (the mesh config)`;

/** A problem in the mesh ConfigMap; `textLine` is its 1-based line inside the data value's text, when known. */
export interface ConfigMapIssue extends Issue {
  readonly textLine?: number;
}

export interface ConfigMapValidation {
  readonly value?: MeshConfigMap;
  readonly errors: readonly ConfigMapIssue[];
  readonly warnings: readonly ConfigMapIssue[];
}

function underKey(at: IssueCollector, issues: readonly TextIssue[]): ConfigMapIssue[] {
  return issues.map((i) => ({ path: i.path === '' ? at.path : `${at.path}.${i.path}`, message: i.message, ...(i.line !== undefined ? { textLine: i.line } : {}) }));
}

/**
 * Validates a v1 ConfigMap: only Istio's `istio` in `istio-system` is taken, with its `mesh` key
 * (MeshConfig YAML, checked as pilot-discovery checks --meshConfig) and an optional `meshNetworks`
 * that declares no networks. Every other ConfigMap is refused, naming the supported one.
 */
export function validateMeshConfigMap(raw: unknown, defaultNamespace = 'default'): ConfigMapValidation {
  const at = new IssueCollector();
  if (!isObject(raw)) {
    at.error('an object must be a mapping');
    return { errors: at.errors, warnings: at.warnings };
  }
  onlyFields(raw, at, ['apiVersion', 'kind', 'metadata', 'data']);
  const metadata = meta(raw['metadata'], at.at('metadata'), true, defaultNamespace);
  if (metadata.name && (metadata.name !== MESH_CONFIG_MAP.name || metadata.namespace !== MESH_CONFIG_MAP.namespace)) {
    at.at('metadata', metadata.name !== MESH_CONFIG_MAP.name ? 'name' : 'namespace').error(`ConfigMap ${metadata.namespace}/${metadata.name} is not run by weftctl local: the one ConfigMap it takes is Istio's mesh config, ${MESH_CONFIG_MAP.name} in namespace ${MESH_CONFIG_MAP.namespace} (key mesh)`);
    return { errors: at.errors, warnings: at.warnings };
  }
  const da = at.at('data');
  const data = mapping(raw['data'], da, true) ?? {};
  for (const key of Object.keys(data)) {
    if (key !== 'mesh' && key !== 'meshNetworks') da.at(key).error(`key "${key}" is not supported: the ${MESH_CONFIG_MAP.name} ConfigMap holds mesh (MeshConfig YAML) and meshNetworks`);
  }
  const texts: ConfigMapIssue[] = [];
  let parsed: ReturnType<typeof parseMeshText> | undefined;
  const rawMesh = data['mesh'];
  if (isObject(rawMesh)) da.at('mesh').error('must be a string: the MeshConfig YAML as text (`mesh: |-` with the config indented below it), got a mapping');
  // An empty mesh is Istio 1.3's defaults, as for Pilot given an empty --meshConfig file.
  const mesh = rawMesh === '' ? '' : isObject(rawMesh) || raw['data'] === undefined ? undefined : str(rawMesh, da.at('mesh'), true);
  if (mesh !== undefined) {
    parsed = parseMeshText(mesh);
    texts.push(...underKey(da.at('mesh'), parsed.errors));
  }
  const networks = data['meshNetworks'] === '' ? undefined : str(data['meshNetworks'], da.at('meshNetworks'));
  if (networks !== undefined) texts.push(...underKey(da.at('meshNetworks'), checkMeshNetworks(networks)));
  const errors = [...at.errors, ...texts];
  const warnings = [...at.warnings, ...underKey(da.at('mesh'), parsed?.warnings ?? [])];
  if (errors.length > 0 || mesh === undefined || !parsed?.meshConfig) return { errors, warnings };
  return { value: { kind: 'ConfigMap', metadata, mesh, meshConfig: parsed.meshConfig }, errors, warnings };
}
