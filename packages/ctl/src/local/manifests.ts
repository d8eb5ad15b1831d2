// Reads `-f` inputs for `weftctl local up|apply`: Kubernetes manifests (Namespace, ServiceAccount,
// Service, Deployment) and Istio config, every document validated, every problem with its file,
// line and field path. Nothing runs unless all of it is valid.
import { access, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { lookupKind, parseConfigYaml, validateDocuments, type IstioConfig, type Issue, type ParsedDocument, type PathSegment } from '@weft/api';
import type { CommandIO } from '@weft/base';
import { readInputs } from '../validate/inputs.js';
import { IMAGE_MAP_FILE, lookupImage, parseImageMap, type ImageMap } from './image-map.js';
import type { KubeObject } from './kube/kube-objects.js';
import { isKubeKind, validateKubeObject } from './kube/kube-validate.js';

export interface ManifestSet {
  readonly kube: readonly KubeObject[];
  readonly istio: readonly IstioConfig[];
  readonly errors: readonly Issue[];
  readonly warnings: readonly Issue[];
  /** Files read, in order. */
  readonly files: readonly string[];
}

/** `spec.template.spec.containers[0].image` → segments, for the YAML line lookup. */
function segments(path: string): PathSegment[] {
  const out: PathSegment[] = [];
  for (const part of path.split('.')) {
    const m = /^([^[]*)((?:\[\d+\])*)$/.exec(part);
    if (!m) {
      out.push(part);
      continue;
    }
    if (m[1]) out.push(m[1]);
    for (const idx of (m[2] ?? '').matchAll(/\[(\d+)\]/g)) out.push(Number(idx[1]));
  }
  return out;
}

function kubeIssues(doc: ParsedDocument, kind: string, name: string | undefined, issues: readonly { path: string; message: string }[]): Issue[] {
  return issues.map((i) => {
    const line = doc.lineOf(segments(i.path));
    return { path: i.path, message: i.message, document: doc.index, kind, ...(name ? { name } : {}), ...(doc.source !== undefined ? { source: doc.source } : {}), ...(line !== undefined ? { line } : {}) };
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
  const istioDocs: ParsedDocument[] = [];
  for (const doc of parsed.documents) {
    const env = envelope(doc.value);
    if (env && isKubeKind(env.apiVersion, env.kind)) {
      const r = validateKubeObject(doc.value, defaultNamespace);
      errors.push(...kubeIssues(doc, env.kind, env.name, r.errors));
      warnings.push(...kubeIssues(doc, env.kind, env.name, r.warnings));
      if (r.value) kube.push(r.value);
    } else if (env && !env.apiVersion.split('/')[0]?.endsWith('istio.io')) {
      errors.push(...kubeIssues(doc, env.kind, env.name, [{ path: 'kind', message: `${env.apiVersion} ${env.kind} is not run by weftctl local (Kubernetes kinds: Namespace, ServiceAccount, Service, Deployment; and Istio's kinds)` }]));
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
  return { kube, istio, errors, warnings };
}

/** Reads and validates every input. A `local-images.yaml` among them is the image map, not a manifest. */
export async function loadManifests(names: readonly string[], io: CommandIO, defaultNamespace: string): Promise<ManifestSet> {
  const { inputs, errors: readErrors } = await readInputs(names, io);
  const errors: Issue[] = readErrors.map((e) => ({ path: '', message: `${e.message} [${e.code}]` }));
  const warnings: Issue[] = [];
  const kube: KubeObject[] = [];
  const istio: IstioConfig[] = [];
  const files: string[] = [];
  for (const input of inputs) {
    if (basename(input.source) === IMAGE_MAP_FILE) continue;
    files.push(input.source);
    const r = validateManifestText(input.text, input.source, defaultNamespace);
    errors.push(...r.errors);
    warnings.push(...r.warnings);
    kube.push(...r.kube);
    istio.push(...r.istio);
  }
  return { kube, istio, errors, warnings, files };
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
