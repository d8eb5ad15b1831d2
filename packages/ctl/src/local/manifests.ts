// Reads `-f` inputs for `weftctl local up|apply`: Kubernetes manifests (Namespace, ServiceAccount,
// Service, Deployment, the `istio` mesh config ConfigMap) and Istio config, every document validated,
// every problem with its file, line and field path. Nothing runs unless all of it is valid.
import { access, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { lookupKind, parseConfigYaml, validateDocuments, type IstioConfig, type Issue, type MeshConfig, type ParsedDocument } from '@weft/api';
import type { CommandIO } from '@weft/base';
import { readInputs } from '../validate/inputs.js';
import { IMAGE_MAP_FILE, lookupImage, parseImageMap, type ImageMap } from './image-map.js';
import type { KubeObject } from './kube/kube-objects.js';
import { isConfigMap, isKubeKind, MESH_CONFIG_MAP_KIND, validateKubeObject, validateMeshConfigMap, type ConfigMapIssue } from './kube/kube-validate.js';
import { fileLineOf, meshConfigChanged, type MeshConfigMap } from './kube/mesh-config-map.js';
import { pathSegments } from './kube/path-segments.js';

/** The mesh config ConfigMap and where its data.mesh was read (for messages about it). */
export interface MeshConfigInput {
  readonly configMap: MeshConfigMap;
  readonly at: Omit<Issue, 'path' | 'message'>;
}

export interface ManifestSet {
  readonly kube: readonly KubeObject[];
  readonly istio: readonly IstioConfig[];
  /** The `istio` ConfigMap, when given (the last one wins, as with kubectl apply). */
  readonly meshConfig?: MeshConfigInput;
  readonly errors: readonly Issue[];
  readonly warnings: readonly Issue[];
  /** Files read, in order. */
  readonly files: readonly string[];
}

function locate(doc: ParsedDocument, kind: string, name: string | undefined, path: string): Omit<Issue, 'path' | 'message'> {
  const line = doc.lineOf(pathSegments(path));
  return { document: doc.index, kind, ...(name ? { name } : {}), ...(doc.source !== undefined ? { source: doc.source } : {}), ...(line !== undefined ? { line } : {}) };
}

function kubeIssues(doc: ParsedDocument, kind: string, name: string | undefined, issues: readonly { path: string; message: string }[]): Issue[] {
  return issues.map((i) => ({ path: i.path, message: i.message, ...locate(doc, kind, name, i.path) }));
}

/** A problem inside data.mesh points at its own line when the text is a literal block below the key. */
function configMapIssues(doc: ParsedDocument, text: string, name: string | undefined, issues: readonly ConfigMapIssue[]): Issue[] {
  return issues.map((i) => {
    const issue = { path: i.path, message: i.message, ...locate(doc, 'ConfigMap', name, i.path) };
    return i.textLine !== undefined && issue.line !== undefined ? { ...issue, line: fileLineOf(text, issue.line, i.textLine) } : issue;
  });
}

function envelope(value: unknown): { apiVersion: string; kind: string; name?: string } | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const md = v['metadata'] as Record<string, unknown> | undefined;
  const name = typeof md?.['name'] === 'string' ? md['name'] : undefined;
  return typeof v['apiVersion'] === 'string' && typeof v['kind'] === 'string' ? { apiVersion: v['apiVersion'], kind: v['kind'], ...(name ? { name } : {}) } : undefined;
}

/** Validates the documents of one file: Kubernetes kinds by kube-validate, everything else by Istio's rules. */
export function validateManifestText(text: string, source: string, defaultNamespace: string): Omit<ManifestSet, 'files'> {
  const parsed = parseConfigYaml(text, source);
  const errors: Issue[] = [...parsed.errors];
  const warnings: Issue[] = [...parsed.warnings];
  const kube: KubeObject[] = [];
  let meshConfig: MeshConfigInput | undefined;
  const istioDocs: ParsedDocument[] = [];
  for (const doc of parsed.documents) {
    const env = envelope(doc.value);
    if (env && isKubeKind(env.apiVersion, env.kind)) {
      const r = validateKubeObject(doc.value, defaultNamespace);
      errors.push(...kubeIssues(doc, env.kind, env.name, r.errors));
      warnings.push(...kubeIssues(doc, env.kind, env.name, r.warnings));
      if (r.value) kube.push(r.value);
    } else if (env && isConfigMap(env.apiVersion, env.kind)) {
      const r = validateMeshConfigMap(doc.value, defaultNamespace);
      errors.push(...configMapIssues(doc, text, env.name, r.errors));
      warnings.push(...configMapIssues(doc, text, env.name, r.warnings));
      if (r.value) meshConfig = { configMap: r.value, at: locate(doc, 'ConfigMap', env.name, 'data.mesh') };
    } else if (env && !env.apiVersion.split('/')[0]?.endsWith('istio.io')) {
      errors.push(...kubeIssues(doc, env.kind, env.name, [{ path: 'kind', message: `${env.apiVersion} ${env.kind} is not run by weftctl local (Kubernetes kinds: Namespace, ServiceAccount, Service, Deployment, ${MESH_CONFIG_MAP_KIND}; and Istio's kinds)` }]));
    } else {
      istioDocs.push(doc);
    }
  }
  const validated = validateDocuments(istioDocs);
  errors.push(...validated.errors);
  warnings.push(...validated.warnings.filter((w) => !/not validated$/.test(w.message)));
  const istio = validated.configs.map((c) => {
    const info = lookupKind(c.apiVersion, c.kind);
    if (info.ok && info.info.clusterScoped) return c;
    return c.metadata.namespace ? c : ({ ...c, metadata: { ...c.metadata, namespace: defaultNamespace } } as IstioConfig);
  });
  return { kube, istio, ...(meshConfig ? { meshConfig } : {}), errors, warnings };
}

/** Reads and validates every input. A `local-images.yaml` among them is the image map, not a manifest. */
export async function loadManifests(names: readonly string[], io: CommandIO, defaultNamespace: string): Promise<ManifestSet> {
  const { inputs, errors: readErrors } = await readInputs(names, io);
  const errors: Issue[] = readErrors.map((e) => ({ path: '', message: `${e.message} [${e.code}]` }));
  const warnings: Issue[] = [];
  const kube: KubeObject[] = [];
  const istio: IstioConfig[] = [];
  let meshConfig: MeshConfigInput | undefined;
  const files: string[] = [];
  for (const input of inputs) {
    if (basename(input.source) === IMAGE_MAP_FILE) continue;
    files.push(input.source);
    const r = validateManifestText(input.text, input.source, defaultNamespace);
    errors.push(...r.errors);
    warnings.push(...r.warnings);
    kube.push(...r.kube);
    istio.push(...r.istio);
    meshConfig = r.meshConfig ?? meshConfig;
  }
  return { kube, istio, ...(meshConfig ? { meshConfig } : {}), errors, warnings, files };
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

/**
 * The image maps for the inputs: `--images FILE` if given, else every `local-images.yaml` found in an
 * input's directory or its parent ("kept next to the sample"), the first found winning per image.
 */
export async function loadImageMaps(names: readonly string[], explicit: string | undefined): Promise<{ maps: ImageMap[]; errors: Issue[] }> {
  const candidates: string[] = [];
  if (explicit) candidates.push(resolve(explicit));
  else {
    for (const name of names) {
      if (name === '-') continue;
      const dir = await stat(name).then((s) => (s.isDirectory() ? resolve(name) : dirname(resolve(name))), () => undefined);
      if (!dir) continue;
      for (const d of [dir, dirname(dir)]) {
        const f = join(d, IMAGE_MAP_FILE);
        if (!candidates.includes(f) && (await exists(f))) candidates.push(f);
      }
    }
  }
  const maps: ImageMap[] = [];
  const errors: Issue[] = [];
  for (const file of candidates) {
    const text = await readFile(file, 'utf8').catch((e: Error) => {
      errors.push({ path: '', source: file, message: `cannot read the image map: ${e.message}` });
      return undefined;
    });
    if (text === undefined) continue;
    const r = parseImageMap(text, file);
    errors.push(...r.errors.map((e) => ({ ...e, source: file })));
    if (r.value) maps.push(r.value);
  }
  return { maps, errors };
}

/** Every container of a Deployment needs an image map entry, or its own command. */
export function checkImages(set: Pick<ManifestSet, 'kube'>, maps: readonly ImageMap[]): Issue[] {
  const issues: Issue[] = [];
  for (const o of set.kube) {
    if (o.kind !== 'Deployment') continue;
    o.spec.template.spec.containers.forEach((c, i) => {
      if (c.command || maps.some((m) => lookupImage(m, c.image))) return;
      issues.push({
        path: `spec.template.spec.containers[${i}].image`,
        kind: 'Deployment',
        name: o.metadata.name,
        message: `image ${c.image} has no entry in ${maps.length > 0 ? maps.map((m) => m.file).join(', ') : 'a local-images.yaml next to the manifests (or --images FILE)'}, and the container sets no command`,
      });
    });
  }
  return issues;
}

/**
 * `apply` of the mesh ConfigMap: pilot-discovery reads --meshConfig once, at start (it does not watch
 * the file), so only the mesh config it runs with may be applied again; a change needs a restart.
 */
export function checkMeshConfigUnchanged(applied: MeshConfigInput, running: MeshConfig): Issue | undefined {
  if (!meshConfigChanged(running, applied.configMap.meshConfig)) return undefined;
  return {
    ...applied.at,
    path: 'data.mesh',
    message: 'the mesh config differs from the one Pilot runs with, and pilot-discovery reads it only at start: run `weftctl local down`, then `weftctl local up` with the changed ConfigMap (nothing was applied)',
  };
}
