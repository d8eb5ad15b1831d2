// Packs an extension config (transport socket, protocol options) into google.protobuf.Any, refusing
// object keys the message does not have: protobufjs drops unknown keys silently, so a misspelt
// field would otherwise vanish from the config instead of failing the test that built it.
import { loadProtoRegistry, type AnyMessage } from '@weft/api';

type ProtoType = ReturnType<ReturnType<typeof loadProtoRegistry>['type']>;
type Reflected = { fullName: string; fields?: ProtoType['fields']; values?: Record<string, number> };

function walk(type: Reflected, value: unknown, path: string, out: string[]): void {
  if (type.fullName === '.google.protobuf.Any' || value === null || value === undefined) return;
  if (type.values) {
    if (typeof value === 'string' && !(value in type.values)) out.push(`${path}: unknown enum value ${JSON.stringify(value)}`);
    return;
  }
  if (typeof value !== 'object' || Array.isArray(value)) {
    out.push(`${path}: expected an object for ${type.fullName}`);
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const field = type.fields?.[key];
    const at = path ? `${path}.${key}` : key;
    if (!field) {
      out.push(`${at}: unknown field of ${type.fullName}`);
      continue;
    }
    const resolved = field.resolvedType as Reflected | null;
    if (!resolved) continue; // scalar
    if (field.map) {
      for (const [k, item] of Object.entries(v as object)) walk(resolved, item, `${at}[${k}]`, out);
    } else if (field.repeated && Array.isArray(v)) {
      v.forEach((item, i) => walk(resolved, item, `${at}[${i}]`, out));
    } else {
      walk(resolved, v, at, out);
    }
  }
}

/** Every key (with its path) of `object` that is not a field of `messageType`, recursively. */
export function unknownFields(messageType: string, object: object): string[] {
  const out: string[] = [];
  walk(loadProtoRegistry().type(messageType) as unknown as Reflected, object, '', out);
  return out;
}

/** The message packed into an Any. A key the message lacks is a generator bug, so it throws. */
export function packTyped(messageType: string, object: object): AnyMessage {
  const unknown = unknownFields(messageType, object);
  if (unknown.length > 0) throw new Error(`${messageType}: ${unknown.join('; ')}`);
  return loadProtoRegistry().pack(messageType, object);
}
