// The proto3 JSON mapping (https://protobuf.dev/programming-guides/json/), which protobufjs lacks:
// lowerCamelCase or original field names, `@type` Any, "1.5s" durations, RFC 3339 timestamps,
// bare wrapper values and Struct as plain JSON. Envoy bootstraps and /config_dump use this form.
import protobuf from 'protobufjs';
import { parseProtoDuration, formatProtoDuration, parseTimestamp, formatTimestamp } from './wkt-time.js';

export interface JsonIssue {
  readonly path: string;
  readonly message: string;
}

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

const WRAPPERS: Readonly<Record<string, string>> = {
  '.google.protobuf.DoubleValue': 'double',
  '.google.protobuf.FloatValue': 'float',
  '.google.protobuf.Int64Value': 'int64',
  '.google.protobuf.UInt64Value': 'uint64',
  '.google.protobuf.Int32Value': 'int32',
  '.google.protobuf.UInt32Value': 'uint32',
  '.google.protobuf.BoolValue': 'bool',
  '.google.protobuf.StringValue': 'string',
  '.google.protobuf.BytesValue': 'bytes',
};

/** Types whose JSON form is not an object of fields; inside an Any they travel under `value`. */
function hasSpecialJson(name: string): boolean {
  return (
    name in WRAPPERS ||
    ['.google.protobuf.Duration', '.google.protobuf.Timestamp', '.google.protobuf.Struct', '.google.protobuf.Value',
      '.google.protobuf.ListValue', '.google.protobuf.FieldMask', '.google.protobuf.Any'].includes(name)
  );
}

function lowerCamel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

function jsonName(field: protobuf.Field): string {
  const explicit = field.options?.['json_name'];
  return typeof explicit === 'string' ? explicit : lowerCamel(field.name);
}

function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'list' : typeof v;
}

const fieldIndex = new WeakMap<protobuf.Type, Map<string, protobuf.Field>>();

/** Every accepted JSON key of a type: the proto name and the JSON name. */
function fieldsByJsonKey(type: protobuf.Type): Map<string, protobuf.Field> {
  let index = fieldIndex.get(type);
  if (!index) {
    index = new Map();
    for (const f of type.fieldsArray) {
      index.set(f.name, f);
      index.set(jsonName(f), f);
    }
    fieldIndex.set(type, index);
  }
  return index;
}

const INT32 = new Set(['int32', 'sint32', 'sfixed32', 'uint32', 'fixed32']);
const INT64 = new Set(['int64', 'sint64', 'sfixed64', 'uint64', 'fixed64']);

class Reader {
  readonly issues: JsonIssue[] = [];
  constructor(private readonly root: protobuf.Root) {}

  fail(path: string, message: string): undefined {
    this.issues.push({ path, message });
    return undefined;
  }

  message(type: protobuf.Type, json: unknown, path: string): Record<string, unknown> | undefined {
    const full = type.fullName;
    if (full === '.google.protobuf.Any') return this.any(json, path);
    if (full === '.google.protobuf.Duration') {
      const d = typeof json === 'string' ? parseProtoDuration(json) : undefined;
      return d ?? this.fail(path, `invalid duration ${JSON.stringify(json)} (want a string such as "1.5s")`);
    }
    if (full === '.google.protobuf.Timestamp') {
      const t = typeof json === 'string' ? parseTimestamp(json) : undefined;
      return t ?? this.fail(path, `invalid timestamp ${JSON.stringify(json)} (want RFC 3339)`);
    }
    const wrapped = WRAPPERS[full];
    if (wrapped !== undefined) {
      const value = this.scalar(wrapped, json, path);
      return value === undefined ? undefined : { value };
    }
    if (full === '.google.protobuf.Struct') return this.struct(json, path);
    if (full === '.google.protobuf.Value') return this.value(json, path);
    if (full === '.google.protobuf.ListValue') {
      if (!Array.isArray(json)) return this.fail(path, `expected a list, got ${jsonType(json)}`);
      return { values: json.map((v, i) => this.value(v, `${path}[${i}]`)) };
    }
    if (full === '.google.protobuf.FieldMask') {
      if (typeof json !== 'string') return this.fail(path, `expected a string, got ${jsonType(json)}`);
      return { paths: json === '' ? [] : json.split(',').map((p) => p.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)) };
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json)) {
      return this.fail(path, `expected an object (${full.slice(1)}), got ${jsonType(json)}`);
    }
    return this.fields(type, json as Record<string, unknown>, path);
  }

  private fields(type: protobuf.Type, json: Record<string, unknown>, path: string): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const index = fieldsByJsonKey(type);
    const oneofSeen = new Map<string, string>();
    for (const [key, raw] of Object.entries(json)) {
      const at = path ? `${path}.${key}` : key;
      const field = index.get(key);
      if (!field) {
        this.fail(at, `unknown field "${key}" in ${type.fullName.slice(1)}`);
        continue;
      }
      if (raw === null && field.resolvedType?.fullName !== '.google.protobuf.Value') continue;
      if (field.name in out) {
        this.fail(at, `field "${field.name}" is set twice (as "${field.name}" and "${jsonName(field)}")`);
        continue;
      }
      const group = field.partOf?.name;
      if (group) {
        const other = oneofSeen.get(group);
        if (other !== undefined) this.fail(at, `only one of the oneof "${group}" may be set; "${other}" is set too`);
        oneofSeen.set(group, key);
      }
      const value = this.field(field, raw, at);
      if (value !== undefined) out[field.name] = value;
    }
    return out;
  }

  private field(field: protobuf.Field, raw: unknown, path: string): unknown {
    if (field.map) {
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return this.fail(path, `expected an object (map), got ${jsonType(raw)}`);
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(raw)) {
        const value = this.single(field, v, `${path}[${JSON.stringify(k)}]`);
        if (value !== undefined) Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
      }
      return out;
    }
    if (field.repeated) {
      if (!Array.isArray(raw)) return this.fail(path, `expected a list, got ${jsonType(raw)}`);
      return raw.map((v, i) => this.single(field, v, `${path}[${i}]`)).filter((v) => v !== undefined);
    }
    return this.single(field, raw, path);
  }

  private single(field: protobuf.Field, raw: unknown, path: string): unknown {
    const resolved = field.resolvedType;
    if (resolved instanceof protobuf.Type) return this.message(resolved, raw, path);
    if (resolved instanceof protobuf.Enum) return this.enumValue(resolved, raw, path);
    return this.scalar(field.type, raw, path);
  }

  private enumValue(e: protobuf.Enum, raw: unknown, path: string): string | number | undefined {
    if (typeof raw === 'string') {
      if (raw in e.values) return raw;
      return this.fail(path, `unknown value ${JSON.stringify(raw)} for enum ${e.fullName.slice(1)} (one of ${Object.keys(e.values).join(', ')})`);
    }
    if (typeof raw === 'number' && Number.isInteger(raw)) return raw;
    return this.fail(path, `expected an enum name, got ${jsonType(raw)}`);
  }

  scalar(type: string, raw: unknown, path: string): unknown {
    if (type === 'string') return typeof raw === 'string' ? raw : this.fail(path, `expected a string, got ${jsonType(raw)}`);
    if (type === 'bool') return typeof raw === 'boolean' ? raw : this.fail(path, `expected a boolean, got ${jsonType(raw)}`);
    if (type === 'bytes') {
      if (typeof raw !== 'string' || !/^[A-Za-z0-9+/_-]*={0,2}$/.test(raw)) return this.fail(path, 'expected base64 bytes');
      return Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    }
    if (type === 'double' || type === 'float') {
      if (typeof raw === 'number') return raw;
      if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return Number(raw);
      if (typeof raw === 'string' && raw.trim() !== '' && Number.isFinite(Number(raw))) return Number(raw);
      return this.fail(path, `expected a number, got ${jsonType(raw)}`);
    }
    if (INT32.has(type) || INT64.has(type)) {
      const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : undefined;
      const unsigned = type.startsWith('u') || type.startsWith('fixed');
      if (text === undefined || !(unsigned ? /^\d+$/ : /^-?\d+$/).test(text)) {
        return this.fail(path, `expected ${unsigned ? 'a non-negative' : 'an'} integer, got ${JSON.stringify(raw)}`);
      }
      const n = BigInt(text);
      const bits = INT32.has(type) ? 32n : 64n;
      const [min, max] = unsigned ? [0n, (1n << bits) - 1n] : [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n];
      if (n < min || n > max) return this.fail(path, `${text} is out of range for ${type}`);
      return INT32.has(type) ? Number(n) : text;
    }
    return this.fail(path, `unsupported scalar type ${type}`);
  }

  private any(json: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return this.fail(path, `expected an object (Any), got ${jsonType(json)}`);
    const { '@type': typeUrl, ...rest } = json as Record<string, unknown>;
    if (typeof typeUrl !== 'string') return this.fail(`${path}.@type`, 'an Any needs "@type"');
    const name = typeUrl.slice(typeUrl.lastIndexOf('/') + 1);
    let inner: protobuf.Type;
    try {
      inner = this.root.lookupType(name);
    } catch {
      return this.fail(`${path}.@type`, `unknown type ${JSON.stringify(typeUrl)}`);
    }
    const body = hasSpecialJson(inner.fullName) ? this.message(inner, rest['value'], `${path}.value`) : this.fields(inner, rest, path);
    if (body === undefined) return undefined;
    return { type_url: typeUrl, value: inner.encode(inner.fromObject(body)).finish() };
  }

  private struct(json: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof json !== 'object' || json === null || Array.isArray(json)) return this.fail(path, `expected an object (Struct), got ${jsonType(json)}`);
    const fields: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(json)) {
      Object.defineProperty(fields, k, { value: this.value(v, `${path}.${k}`), enumerable: true, writable: true, configurable: true });
    }
    return { fields };
  }

  private value(json: unknown, path: string): Record<string, unknown> {
    if (json === null || json === undefined) return { null_value: 'NULL_VALUE' };
    if (typeof json === 'number') return { number_value: json };
    if (typeof json === 'string') return { string_value: json };
    if (typeof json === 'boolean') return { bool_value: json };
    if (Array.isArray(json)) return { list_value: { values: json.map((v, i) => this.value(v, `${path}[${i}]`)) } };
    return { struct_value: this.struct(json, path) };
  }
}

/**
 * Reads proto3 JSON (or YAML parsed to JSON) into the registry's object form (original field
 * names, Any as `{type_url, value}` bytes), collecting every problem with its path.
 */
export function readProto3Json(
  root: protobuf.Root,
  type: protobuf.Type,
  json: unknown,
): { value?: Record<string, unknown>; issues: JsonIssue[] } {
  const reader = new Reader(root);
  const value = reader.message(type, json, '');
  return reader.issues.length === 0 && value ? { value, issues: [] } : { issues: reader.issues };
}

function writeScalar(field: protobuf.Field, v: unknown): JsonValue {
  if (field.resolvedType instanceof protobuf.Enum) {
    return typeof v === 'number' ? (field.resolvedType.valuesById[v] ?? v) : (v as JsonValue);
  }
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  if (typeof v === 'object' && v !== null) return String(v); // Long
  if (INT64.has(field.type)) return String(v);
  return v as JsonValue;
}

function isDefault(field: protobuf.Field, v: unknown): boolean {
  if (v === null || v === undefined) return true;
  if (field.map) return Object.keys(v as object).length === 0;
  if (field.repeated) return (v as unknown[]).length === 0;
  if (field.partOf) return false; // a set oneof member is printed even when it holds its default
  if (field.resolvedType instanceof protobuf.Type) return false;
  // An unset bytes field reads as protobufjs's prototype default, an empty Buffer or array.
  if (v instanceof Uint8Array || (field.type === 'bytes' && Array.isArray(v))) return (v as ArrayLike<number>).length === 0;
  if (typeof v === 'object') return String(v) === '0'; // Long
  return v === 0 || v === '' || v === false || v === '0';
}

function lookupOptional(root: protobuf.Root, name: string): protobuf.Type | undefined {
  try {
    return root.lookupType(name);
  } catch {
    return undefined;
  }
}

function writeMessage(root: protobuf.Root, type: protobuf.Type, m: protobuf.Message): JsonValue {
  const full = type.fullName;
  const o = m as unknown as Record<string, unknown>;
  if (full === '.google.protobuf.Any') {
    const url = String(o['type_url'] ?? '');
    const inner = lookupOptional(root, url.slice(url.lastIndexOf('/') + 1));
    // A type outside the loaded set (an extension the proxy accepted as optional) is shown as its bytes, not a failure.
    if (!inner) return { '@type': url, value: Buffer.from((o['value'] as Uint8Array | undefined) ?? new Uint8Array()).toString('base64') };
    const body = writeMessage(root, inner, inner.decode(o['value'] as Uint8Array));
    return hasSpecialJson(inner.fullName) ? { '@type': url, value: body } : { '@type': url, ...(body as Record<string, JsonValue>) };
  }
  if (full === '.google.protobuf.Duration') return formatProtoDuration(String(o['seconds'] ?? 0), Number(o['nanos'] ?? 0));
  if (full === '.google.protobuf.Timestamp') return formatTimestamp(String(o['seconds'] ?? 0), Number(o['nanos'] ?? 0));
  if (full in WRAPPERS) return writeScalar(type.fields['value'] as protobuf.Field, o['value'] ?? type.fields['value']?.typeDefault);
  if (full === '.google.protobuf.Struct') return writeStruct(root, type, o);
  if (full === '.google.protobuf.Value') return writeValue(root, o);
  if (full === '.google.protobuf.ListValue') return ((o['values'] as Record<string, unknown>[]) ?? []).map((v) => writeValue(root, v));
  if (full === '.google.protobuf.FieldMask') return ((o['paths'] as string[]) ?? []).map(lowerCamel).join(',');
  const out: Record<string, JsonValue> = {};
  for (const field of type.fieldsArray) {
    if (field.partOf && !Object.hasOwn(o, field.name)) continue;
    const v = o[field.name];
    if (isDefault(field, v)) continue;
    const one = (x: unknown): JsonValue =>
      field.resolvedType instanceof protobuf.Type ? writeMessage(root, field.resolvedType, x as protobuf.Message) : writeScalar(field, x);
    if (field.map) out[jsonName(field)] = Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, one(x)]));
    else if (field.repeated) out[jsonName(field)] = (v as unknown[]).map(one);
    else out[jsonName(field)] = one(v);
  }
  return out;
}

function writeStruct(root: protobuf.Root, _type: protobuf.Type, o: Record<string, unknown>): JsonValue {
  const fields = (o['fields'] ?? {}) as Record<string, Record<string, unknown>>;
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, writeValue(root, v)]));
}

function writeValue(root: protobuf.Root, v: Record<string, unknown>): JsonValue {
  // Only own properties count: protobufjs prototypes carry defaults for unset oneof members.
  const has = (k: string) => Object.hasOwn(v, k) && v[k] !== null && v[k] !== undefined;
  if (has('struct_value')) return writeStruct(root, root.lookupType('google.protobuf.Struct'), v['struct_value'] as Record<string, unknown>);
  if (has('list_value')) return (((v['list_value'] as Record<string, unknown>)['values'] as Record<string, unknown>[]) ?? []).map((x) => writeValue(root, x));
  if (has('string_value')) return v['string_value'] as string;
  if (has('number_value')) return v['number_value'] as number;
  if (has('bool_value')) return v['bool_value'] as boolean;
  return null;
}

/** Writes a message in proto3 JSON with lowerCamelCase names, omitting defaults, as Envoy prints it. */
export function writeProto3Json(root: protobuf.Root, type: protobuf.Type, object: object): JsonValue {
  const message = object instanceof type.ctor ? (object as protobuf.Message) : type.fromObject(object as Record<string, unknown>);
  return writeMessage(root, type, message);
}
