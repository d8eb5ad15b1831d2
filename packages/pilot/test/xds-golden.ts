// Golden files for generated xDS: each resource as proto3 JSON (what Envoy's config_dump prints),
// written as YAML, plus the pack/unpack round trip every resource (and every nested Any) must survive.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { loadProtoRegistry, TYPE_URL_PREFIX, type JsonValue } from '@weft/api';
import type { GeneratedResource } from '../src/networking/generator.js';
import { unknownFields } from '../src/networking/cluster/typed-config.js';

export const GOLDEN_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'networking', 'testdata', 'golden');

/** The resources as config_dump shows them: `@type` first, then the proto3 JSON fields. */
export function goldenYaml(resources: readonly GeneratedResource[]): string {
  const registry = loadProtoRegistry();
  const docs = resources.map((r) => ({ '@type': TYPE_URL_PREFIX + r.messageType, ...(registry.toJson(r.messageType, r.resource) as Record<string, JsonValue>) }));
  return stringify({ resources: docs }, { lineWidth: 0 });
}

/**
 * The stored golden text and the actual text; with UPDATE_GOLDEN=1 the actual text is written
 * first, so the comparison passes and `git diff` shows the change for review. A missing golden
 * fails (it is never created silently).
 */
export function golden(file: string, actual: string): { expected: string; actual: string } {
  const path = join(GOLDEN_DIR, file);
  if (process.env['UPDATE_GOLDEN'] === '1') {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
  }
  if (!existsSync(path)) throw new Error(`${path} is missing: run the test with UPDATE_GOLDEN=1 and review it`);
  return { expected: readFileSync(path, 'utf8'), actual };
}

function isAny(v: unknown): v is { type_url: string; value: Uint8Array } {
  return typeof v === 'object' && v !== null && typeof (v as { type_url?: unknown }).type_url === 'string' && (v as { value?: unknown }).value instanceof Uint8Array;
}

/** Every nested Any must name a loaded type and survive unpack → pack with the same proto3 JSON. */
function checkAnys(value: unknown, path: string, problems: string[]): void {
  const registry = loadProtoRegistry();
  if (isAny(value)) {
    const name = value.type_url.slice(TYPE_URL_PREFIX.length);
    if (!registry.has(name)) {
      problems.push(`${path}: unknown type ${value.type_url}`);
      return;
    }
    const decoded = registry.unpack(value);
    const again = registry.unpack(registry.pack(name, decoded));
    if (JSON.stringify(registry.toJson(name, again)) !== JSON.stringify(registry.toJson(name, decoded))) problems.push(`${path}: ${name} does not round-trip`);
    checkAnys(decoded, `${path}<${name}>`, problems);
    return;
  }
  if (Array.isArray(value)) value.forEach((v, i) => checkAnys(v, `${path}[${i}]`, problems));
  else if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    for (const [k, v] of Object.entries(value)) checkAnys(v, path ? `${path}.${k}` : k, problems);
  }
}

/**
 * Problems with packing a resource: keys the message does not have (protobufjs would drop them
 * silently), or a proto3 JSON form that changes through pack → unpack.
 */
export function roundTripProblems(r: GeneratedResource): string[] {
  const registry = loadProtoRegistry();
  const problems = unknownFields(r.messageType, r.resource).map((p) => `${r.name}: ${p}`);
  const unpacked = registry.unpack(registry.pack(r.messageType, r.resource));
  if (JSON.stringify(registry.toJson(r.messageType, unpacked)) !== JSON.stringify(registry.toJson(r.messageType, r.resource))) {
    problems.push(`${r.name}: does not round-trip`);
  }
  checkAnys(unpacked, r.name, problems);
  // And the proto3 JSON Weft prints must read back cleanly (what an operator feeds to a bootstrap or a diff).
  for (const issue of registry.readJson(r.messageType, registry.toJson(r.messageType, r.resource)).issues) problems.push(`${r.name}: ${issue.path}: ${issue.message}`);
  return problems;
}
