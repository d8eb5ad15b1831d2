// Field schemas for proto3-JSON messages and the decoder that finds structural problems once (unknown
// fields, JSON types, enum names, oneofs), so semantic validators only ever see well-typed data.
import type { Ctx } from './context.js';
import { parseDuration } from './duration.js';

export type FieldSchema =
  | { readonly t: 'string' | 'bool' | 'int32' | 'uint32' | 'int64' | 'double' | 'duration' | 'struct' }
  | { readonly t: 'enum'; readonly values: readonly string[] }
  | { readonly t: 'message'; readonly msg: () => AnyMessageSchema }
  | { readonly t: 'list'; readonly of: FieldSchema }
  | { readonly t: 'map'; readonly of: FieldSchema };

/**
 * A message: its fields by JSON name. Typing `fields` by `keyof T` makes the compiler check that the
 * schema and the hand-written TypeScript interface list exactly the same fields.
 */
export interface MessageSchema<T extends object> {
  readonly name: string;
  readonly fields: { readonly [K in keyof T]-?: FieldSchema };
  /** Groups of fields of which at most one may be set (proto `oneof`). */
  readonly oneofs?: readonly (readonly (keyof T & string)[])[];
  /** Deprecated fields: still accepted, reported as a warning with this advice. */
  readonly deprecated?: { readonly [K in keyof T]?: string };
}

/** A schema with its field names erased, as stored inside FieldSchema. */
export type AnyMessageSchema = MessageSchema<Record<string, unknown>>;

export const str: FieldSchema = { t: 'string' };
export const bool: FieldSchema = { t: 'bool' };
export const i32: FieldSchema = { t: 'int32' };
export const u32: FieldSchema = { t: 'uint32' };
export const i64: FieldSchema = { t: 'int64' };
export const dbl: FieldSchema = { t: 'double' };
export const dur: FieldSchema = { t: 'duration' };
/** google.protobuf.Struct / Value: any JSON, kept opaque. */
export const struct: FieldSchema = { t: 'struct' };
export const strList: FieldSchema = { t: 'list', of: str };
export const strMap: FieldSchema = { t: 'map', of: str };
export const enm = (...values: string[]): FieldSchema => ({ t: 'enum', values });
export const msg = <T extends object>(m: () => MessageSchema<T>): FieldSchema => ({
  t: 'message',
  msg: m as unknown as () => AnyMessageSchema,
});
export const list = (of: FieldSchema): FieldSchema => ({ t: 'list', of });
export const map = (of: FieldSchema): FieldSchema => ({ t: 'map', of });

/** Names the JSON type of a raw value for messages ("got number"). */
export function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'list';
  return typeof v === 'object' ? 'object' : typeof v;
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Defines a property even when the key is `__proto__`, so user map keys cannot touch prototypes. */
export function setOwn(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/**
 * Decodes `raw` as message `schema`, reporting every problem under `ctx`. Fields with problems are
 * dropped from the result, so the returned value always has the declared TypeScript shape.
 * `null` means "unset", as in proto3 JSON.
 */
export function decodeMessage<T extends object>(schema: MessageSchema<T>, raw: unknown, ctx: Ctx): T | undefined {
  if (raw === null || raw === undefined) return undefined;
  if (!isPlainObject(raw)) {
    ctx.reject(`expected an object (${schema.name}), got ${jsonType(raw)}`);
    return undefined;
  }
  const fields = schema.fields as Record<string, FieldSchema>;
  const deprecated = (schema.deprecated ?? {}) as Record<string, string | undefined>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    const field = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (field === undefined) {
      ctx.at(key).reject(`unknown field "${key}" in ${schema.name}`);
      continue;
    }
    const advice = Object.hasOwn(deprecated, key) ? deprecated[key] : undefined;
    if (advice !== undefined && value !== null) ctx.at(key).warn(`"${key}" is deprecated: ${advice}`);
    const decoded = decodeField(field, value, ctx.at(key));
    if (decoded !== undefined) setOwn(out, key, decoded);
  }
  for (const group of schema.oneofs ?? []) {
    const set = group.filter((f) => raw[f] !== undefined && raw[f] !== null);
    if (set.length > 1) ctx.error(`only one of ${group.join(', ')} may be set (found ${set.join(', ')})`);
  }
  return out as T;
}

export function decodeField(field: FieldSchema, raw: unknown, ctx: Ctx): unknown {
  if (raw === null || raw === undefined) return undefined;
  switch (field.t) {
    case 'string':
      return typeof raw === 'string' ? raw : mismatch(ctx, 'a string', raw);
    case 'bool':
      return typeof raw === 'boolean' ? raw : mismatch(ctx, 'a boolean', raw);
    case 'int32':
      return decodeInteger(raw, ctx, -2147483648, 2147483647, 'int32');
    case 'uint32':
      return decodeInteger(raw, ctx, 0, 4294967295, 'uint32');
    case 'int64':
      return decodeInteger(raw, ctx, Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER, 'int64');
    case 'double':
      return decodeDouble(raw, ctx);
    case 'duration':
      return decodeDuration(raw, ctx);
    case 'struct':
      return raw;
    case 'enum':
      return decodeEnum(field.values, raw, ctx);
    case 'message':
      return decodeMessage(field.msg(), raw, ctx);
    case 'list':
      return decodeList(field.of, raw, ctx);
    case 'map':
      return decodeMap(field.of, raw, ctx);
  }
}

function mismatch(ctx: Ctx, expected: string, raw: unknown): undefined {
  const hint =
    typeof raw === 'boolean' && expected !== 'a boolean'
      ? ' (YAML 1.1 reads unquoted y/n, yes/no and on/off as booleans; quote the value)'
      : '';
  ctx.reject(`expected ${expected}, got ${jsonType(raw)}${hint}`);
  return undefined;
}

// proto3 JSON accepts integers as numbers or as decimal strings ("8080").
function decodeInteger(raw: unknown, ctx: Ctx, min: number, max: number, type: string): number | undefined {
  const n = typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw.trim()) : raw;
  if (typeof n !== 'number') return mismatch(ctx, `an integer (${type})`, raw);
  if (!Number.isInteger(n)) {
    ctx.reject(`expected an integer (${type}), got ${n}`);
    return undefined;
  }
  if (n < min || n > max) {
    ctx.reject(`${n} is out of range for ${type}`);
    return undefined;
  }
  return n;
}

function decodeDouble(raw: unknown, ctx: Ctx): number | undefined {
  const n = typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw;
  return typeof n === 'number' ? n : mismatch(ctx, 'a number', raw);
}

function decodeDuration(raw: unknown, ctx: Ctx): string | undefined {
  if (typeof raw !== 'string') return mismatch(ctx, 'a duration string such as "1s" or "100ms"', raw);
  const parsed = parseDuration(raw);
  if (!parsed.ok) {
    ctx.reject(parsed.error);
    return undefined;
  }
  return raw;
}

// proto3 JSON accepts an enum by name or by number; names are case-sensitive.
function decodeEnum(values: readonly string[], raw: unknown, ctx: Ctx): string | undefined {
  if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0 && raw < values.length) return values[raw];
  if (typeof raw === 'string' && values.includes(raw)) return raw;
  if (typeof raw !== 'string' && typeof raw !== 'number') return mismatch(ctx, `one of ${values.join(', ')}`, raw);
  ctx.reject(`invalid value ${JSON.stringify(raw)}; expected one of ${values.join(', ')}`);
  return undefined;
}

function decodeList(of: FieldSchema, raw: unknown, ctx: Ctx): unknown[] | undefined {
  if (!Array.isArray(raw)) return mismatch(ctx, 'a list', raw);
  const out: unknown[] = [];
  raw.forEach((item, i) => {
    if (item === null || item === undefined) ctx.at(i).reject('list entries cannot be null');
    // Failed entries stay as holes so later validators report the same index the user wrote.
    out.push(item === null || item === undefined ? undefined : decodeField(of, item, ctx.at(i)));
  });
  return out;
}

function decodeMap(of: FieldSchema, raw: unknown, ctx: Ctx): Record<string, unknown> | undefined {
  if (!isPlainObject(raw)) return mismatch(ctx, 'a map', raw);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === null || v === undefined) {
      ctx.key(k).reject('map values cannot be null');
      continue;
    }
    const decoded = decodeField(of, v, ctx.key(k));
    if (decoded !== undefined) setOwn(out, k, decoded);
  }
  return out;
}
