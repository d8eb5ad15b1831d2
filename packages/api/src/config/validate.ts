// The one validation entry point shared by Galley's webhook, Pilot's file source and `weftctl validate`:
// envelope → kind lookup → metadata → spec decode (structure) → spec validator (Istio's rules).
import type { IstioConfig } from './envelope.js';
import type { Issue, ValidationResult } from './issue.js';
import { lookupKind } from './kinds.js';
import { parseConfigYaml, type ParsedDocument } from './parse.js';
import { ObjectMetaSchema } from './schemas/metadata.js';
import { Ctx } from './validate/context.js';
import { checkMetadata } from './validate/metadata.js';
import type { ObjectInfo } from './validate/object-info.js';
import { defaultKindValidators, type KindValidator, type KindValidators } from './validate/registry.js';
import { decodeMessage, isPlainObject, jsonType } from './validate/schema.js';

export interface ValidateOptions {
  /** File name or other origin, copied into every issue. */
  readonly source?: string;
  /** Document index, copied into every issue. */
  readonly document?: number;
  /** Override or extend the kind table (defaults to defaultKindValidators()). */
  readonly validators?: KindValidators;
}

export interface ConfigValidation extends ValidationResult {
  /** The decoded, typed object; present for Istio kinds even when there are errors (fields with errors dropped). */
  readonly config?: IstioConfig;
}

export interface DocumentsValidation extends ValidationResult {
  /** Typed objects of the documents that had no errors. */
  readonly configs: IstioConfig[];
}

const ENVELOPE_FIELDS = new Set(['apiVersion', 'kind', 'metadata', 'spec', 'status']);

/** Validates one object (already parsed from YAML/JSON). Every problem is collected, with its path. */
export function validateConfig(obj: unknown, options: ValidateOptions = {}): ConfigValidation {
  const ctx = rootCtx(options);
  const config = validateInto(obj, ctx, options.validators ?? defaultKindValidators());
  return { ...ctx.result(), ...(config !== undefined ? { config } : {}) };
}

/** Validates parsed documents and adds cross-document checks (duplicate objects). */
export function validateDocuments(docs: readonly ParsedDocument[], options: Omit<ValidateOptions, 'document' | 'source'> = {}): DocumentsValidation {
  const validators = options.validators ?? defaultKindValidators();
  const errors: Issue[] = [];
  const warnings: Issue[] = [];
  const configs: IstioConfig[] = [];
  const seen = new Map<string, number>();
  for (const doc of docs) {
    for (const { value, ctx } of objectsIn(doc)) {
      const config = validateInto(value, ctx, validators);
      if (config !== undefined) {
        const key = `${config.apiVersion.split('/')[0]}/${config.kind}/${config.metadata.namespace ?? ''}/${config.metadata.name ?? ''}`;
        const first = seen.get(key);
        if (first !== undefined) ctx.at('metadata', 'name').warn(`duplicate object: document ${first} defines the same ${config.kind}; the later one wins`);
        else seen.set(key, doc.index);
      }
      const result = ctx.result(doc.lineOf);
      errors.push(...result.errors);
      warnings.push(...result.warnings);
      if (config !== undefined && result.errors.length === 0) configs.push(config);
    }
  }
  return { errors, warnings, configs };
}

/** A document is one object, or a `kind: List` (what `kubectl get -o yaml` prints) whose items are objects. */
function objectsIn(doc: ParsedDocument): { value: unknown; ctx: Ctx }[] {
  const base = { document: doc.index, ...(doc.source !== undefined ? { source: doc.source } : {}) };
  const v = doc.value;
  if (isPlainObject(v) && typeof v['kind'] === 'string' && v['kind'].endsWith('List') && Array.isArray(v['items'])) {
    return v['items'].map((item, i) => ({ value: item, ctx: rootCtx(base).at('items', i) }));
  }
  return [{ value: v, ctx: rootCtx(base) }];
}

/** Parse + validate in one call: YAML syntax errors and validation issues together. */
export function validateConfigYaml(text: string, source?: string, options: Omit<ValidateOptions, 'document' | 'source'> = {}): DocumentsValidation {
  const parsed = parseConfigYaml(text, source);
  const validated = validateDocuments(parsed.documents, options);
  const byPosition = (a: Issue, b: Issue): number => (a.document ?? 0) - (b.document ?? 0) || (a.line ?? 0) - (b.line ?? 0);
  return {
    errors: [...parsed.errors, ...validated.errors].sort(byPosition),
    warnings: [...parsed.warnings, ...validated.warnings].sort(byPosition),
    configs: validated.configs,
  };
}

function rootCtx(options: Pick<ValidateOptions, 'source' | 'document'>): Ctx {
  return Ctx.root({
    ...(options.source !== undefined ? { source: options.source } : {}),
    ...(options.document !== undefined ? { document: options.document } : {}),
  });
}

function validateInto(obj: unknown, ctx: Ctx, validators: KindValidators): IstioConfig | undefined {
  if (!isPlainObject(obj)) {
    ctx.error(`a config object must be a mapping, got ${jsonType(obj)}`);
    return undefined;
  }
  const apiVersion = requireString(obj, 'apiVersion', ctx);
  const kind = requireString(obj, 'kind', ctx);
  if (apiVersion === undefined || kind === undefined) return undefined;
  const lookup = lookupKind(apiVersion, kind);
  const name = isPlainObject(obj['metadata']) && typeof obj['metadata']['name'] === 'string' ? obj['metadata']['name'] : undefined;
  ctx.describe({ kind, ...(name !== undefined ? { name } : {}) });
  if (!lookup.ok) {
    // Other groups' objects (Deployments, Services...) often share a file with Istio config: note, don't fail.
    if (lookup.reason === 'foreign-group' && !apiVersion.split('/')[0]?.endsWith('istio.io')) ctx.warn(`${lookup.message}; not validated`);
    else ctx.at(lookup.reason === 'unknown-kind' ? 'kind' : 'apiVersion').error(lookup.message);
    return undefined;
  }
  for (const key of Object.keys(obj)) {
    if (!ENVELOPE_FIELDS.has(key)) ctx.at(key).error(`unknown field "${key}"`);
  }
  if (lookup.info.deprecation !== undefined) ctx.at('kind').warn(lookup.info.deprecation);
  const metaCtx = ctx.at('metadata');
  const metadata = decodeMessage(ObjectMetaSchema, obj['metadata'], metaCtx);
  checkMetadata(metadata, lookup.info, metaCtx);
  const info: ObjectInfo = {
    kind,
    name: metadata?.name ?? '',
    ...(metadata?.namespace !== undefined ? { namespace: metadata.namespace } : {}),
    clusterScoped: lookup.info.clusterScoped,
    meta: metaCtx,
  };
  const spec = decodeSpec(validators.get(`${lookup.group}/${kind}`), obj['spec'] ?? {}, ctx.at('spec'), info);
  const status = obj['status'] !== undefined ? { status: obj['status'] } : {};
  return { apiVersion, kind, metadata: metadata ?? {}, spec: spec ?? {}, ...status } as IstioConfig;
}

/** Typed kinds: decode against the schema, then apply the kind's rules. Opaque kinds: any object. */
function decodeSpec(handler: KindValidator | undefined, raw: unknown, ctx: Ctx, info: ObjectInfo): Record<string, unknown> | undefined {
  if (handler?.schema === undefined) {
    if (isPlainObject(raw)) return raw;
    ctx.error(`spec must be an object, got ${jsonType(raw)}`);
    return undefined;
  }
  const spec = decodeMessage(handler.schema, raw, ctx);
  if (spec !== undefined) handler.validate?.(spec, ctx, info);
  return spec;
}

function requireString(obj: Record<string, unknown>, field: string, ctx: Ctx): string | undefined {
  const v = obj[field];
  if (typeof v === 'string' && v !== '') return v;
  ctx.at(field).error(v === undefined || v === '' ? `${field} is required` : `${field} must be a string, got ${jsonType(v)}`);
  return undefined;
}
