// Istio's mesh config as an Istio install carries it: the ConfigMap `istio` in `istio-system`, whose
// `mesh` key is MeshConfig YAML (mounted at /etc/istio/config/mesh for Pilot). The text is read the
// way pilot-discovery reads its --meshConfig file (one document, the yaml library's defaults) and
// checked by the same validator, @weft/api's validateMeshConfig, so what passes here starts Pilot.
import { isDeepStrictEqual } from 'node:util';
import { parseConfigYaml, validateMeshConfig, type Issue, type MeshConfig } from '@weft/api';
import { LineCounter, parseDocument } from 'yaml';
import type { KubeMeta } from './kube-objects.js';
import { isObject } from './kube-fields.js';
import { pathSegments } from './path-segments.js';

export const MESH_CONFIG_MAP = { name: 'istio', namespace: 'istio-system' } as const;

export interface MeshConfigMap {
  readonly kind: 'ConfigMap';
  readonly metadata: KubeMeta;
  /** data.mesh as written: the file pilot-discovery is started with (--meshConfig). */
  readonly mesh: string;
  /** What Pilot makes of it: the text over Istio 1.3's defaults. */
  readonly meshConfig: MeshConfig;
}

/** A problem in a ConfigMap value's text; `line` is 1-based inside that text. */
export interface TextIssue {
  readonly path: string;
  readonly message: string;
  readonly line?: number;
}

/** The text as one YAML document, as the yaml library's parse() reads it (pilot-discovery's loadMesh). */
function parseText(text: string): { value?: unknown; errors: TextIssue[]; warnings: TextIssue[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const at = (kind: string, e: { message: string; pos: [number, number] }): TextIssue => ({ path: '', message: `${kind}: ${e.message}`, line: lines.linePos(e.pos[0]).line });
  const warnings = doc.warnings.map((w) => at('YAML', w));
  if (doc.errors.length > 0) return { errors: doc.errors.map((e) => at('YAML syntax error', e)), warnings };
  return { value: doc.toJS(), errors: [], warnings };
}

/** Parses and validates a `mesh` text; an empty one is Istio 1.3's defaults, as Pilot without --meshConfig. */
export function parseMeshText(text: string): { meshConfig?: MeshConfig; errors: TextIssue[]; warnings: TextIssue[] } {
  const parsed = parseText(text);
  if (parsed.errors.length > 0) return parsed;
  const r = validateMeshConfig(parsed.value ?? {});
  // Lines only: the shared parser's path → line map (same structure; scalars are not read from it).
  const doc = parseConfigYaml(text).documents[0];
  const located = (i: Issue): TextIssue => {
    const line = doc?.lineOf(pathSegments(i.path));
    return { path: i.path, message: i.message, ...(line !== undefined ? { line } : {}) };
  };
  const errors = r.errors.map(located);
  return { ...(errors.length === 0 && r.meshConfig ? { meshConfig: r.meshConfig } : {}), errors, warnings: [...parsed.warnings, ...r.warnings.map(located)] };
}

/** The mesh config Pilot runs with when no ConfigMap was given. */
export function defaultPilotMesh(): MeshConfig {
  return parseMeshText('').meshConfig as MeshConfig;
}

/**
 * `meshNetworks` (Istio's MeshNetworks: `networks` by name) may only declare no network, as Istio's
 * Helm chart writes it for a single network: Pilot has no --meshNetworks and no split-horizon EDS.
 */
export function checkMeshNetworks(text: string): TextIssue[] {
  const parsed = parseText(text);
  if (parsed.errors.length > 0) return parsed.errors;
  const v = parsed.value;
  if (v === null || v === undefined) return [];
  if (!isObject(v)) return [{ path: '', message: 'must be MeshNetworks YAML (`networks: {}`)', line: 1 }];
  const issues: TextIssue[] = [];
  const doc = parseConfigYaml(text).documents[0];
  const lineOf = (key: string) => doc?.lineOf([key]);
  for (const key of Object.keys(v)) {
    const line = lineOf(key);
    if (key !== 'networks') issues.push({ path: key, message: `unknown field "${key}" (MeshNetworks has networks)`, ...(line !== undefined ? { line } : {}) });
  }
  const networks = v['networks'];
  if (networks !== null && networks !== undefined && !(isObject(networks) && Object.keys(networks).length === 0)) {
    const line = lineOf('networks');
    const names = isObject(networks) ? ` (${Object.keys(networks).join(', ')})` : '';
    issues.push({
      path: 'networks',
      message: `declares networks${names}, but pilot-discovery serves one network (it has no --meshNetworks): weftctl local takes only \`networks: {}\`, what Istio's Helm chart writes for a single network`,
      ...(line !== undefined ? { line } : {}),
    });
  }
  return issues;
}

/** Pilot reads --meshConfig once, at start: an applied mesh config must equal the one it runs with. */
export function meshConfigChanged(running: MeshConfig, applied: MeshConfig): boolean {
  return !isDeepStrictEqual(running, applied);
}

/**
 * The file line of line `textLine` of a ConfigMap value whose key is on `keyLine`: inside a literal
 * block (`mesh: |-`) the text's lines are the file's lines below the key; for any other scalar style
 * (quoted, folded, flow) the text's lines do not map to the file, so the key's line is the answer.
 */
export function fileLineOf(fileText: string, keyLine: number, textLine: number): number {
  const header = fileText.split('\n')[keyLine - 1] ?? '';
  return /:\s*\|[1-9+-]{0,2}\s*(#.*)?$/.test(header) ? keyLine + textLine : keyLine;
}
