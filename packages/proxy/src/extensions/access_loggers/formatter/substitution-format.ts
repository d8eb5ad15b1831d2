// Envoy's substitution format strings, compiled once per configuration: a text format becomes a
// list of literals and extractors, a JSON format a list of pre-encoded keys and text formats.
// Nothing is parsed per request. Empty and missing values print `-` (or nothing, with
// omit_empty_values); JSON values are strings, except in a typed format, where an operator that
// yields a number (%RESPONSE_CODE%, %DURATION%, ...) standing alone stays a number.
import type { AccessLogEntry } from '../access-log-entry.js';
import { buildOperator, type BuiltOperator, type OperatorValue } from './command-operators.js';

export interface Formatter {
  format(entry: AccessLogEntry): string;
}

export interface FormatOptions {
  /** omit_empty_values: print nothing (text) or leave the key out (JSON) instead of `-`. */
  readonly omitEmptyValues?: boolean;
}

export interface FormatIssue {
  /** Path under the format (JSON key path); '' for a text format. */
  readonly path: string;
  readonly message: string;
}

type Part = string | BuiltOperator;

// %NAME%, %NAME(arg)%, %NAME(arg):N%, %NAME:N% — Envoy's command syntax (no ')' inside the argument).
const COMMAND = /%([A-Z0-9_]+)(?:\(([^)]*)\))?(?::(\d+))?%/y;

/**
 * Splits a format string into literals and the commands `build` makes of its operators; every
 * problem is reported with its position. `percentLiteral`: `%%` stands for `%` (header values), else
 * it is an error (log formats).
 */
export function scanCommands<T>(
  text: string,
  build: (name: string, arg: string | undefined, max: number | undefined) => T | string,
  percentLiteral = false,
): { parts: (string | T)[]; errors: string[] } {
  const parts: (string | T)[] = [];
  const errors: string[] = [];
  let literal = '';
  for (let i = 0; i < text.length; ) {
    const pct = text.indexOf('%', i);
    if (pct < 0) {
      literal += text.slice(i);
      break;
    }
    literal += text.slice(i, pct);
    if (percentLiteral && text[pct + 1] === '%') {
      literal += '%';
      i = pct + 2;
      continue;
    }
    COMMAND.lastIndex = pct;
    const m = COMMAND.exec(text);
    if (!m) {
      errors.push(`no valid command operator at position ${pct} ("${text.slice(pct, pct + 24)}")`);
      i = pct + 1;
      continue;
    }
    const [whole, name = '', arg, max] = m;
    const built = build(name, arg, max === undefined ? undefined : Number(max));
    if (typeof built === 'string') errors.push(`${built} at position ${pct}`);
    else {
      if (literal) parts.push(literal);
      literal = '';
      parts.push(built);
    }
    i = pct + whole.length;
  }
  if (literal) parts.push(literal);
  return { parts, errors };
}

function parse(text: string): { parts: Part[]; errors: string[] } {
  return scanCommands(text, buildOperator);
}

const present = (v: OperatorValue): v is string | number => v !== undefined && v !== '';

function textFormatter(parts: readonly Part[], empty: string): (e: AccessLogEntry) => string {
  // The common Istio/Envoy formats are long; one flat loop with no per-part closures beyond the extractor.
  return (e) => {
    let s = '';
    for (const p of parts) {
      if (typeof p === 'string') s += p;
      else {
        const v = p.extract(e);
        s += present(v) ? v : empty;
      }
    }
    return s;
  };
}

/** A text format (a log line: the format carries its own newline). */
export function compileTextFormat(text: string, options: FormatOptions = {}): { formatter?: Formatter; errors: FormatIssue[] } {
  const { parts, errors } = parse(text);
  if (errors.length > 0) return { errors: errors.map((message) => ({ path: '', message })) };
  const format = textFormatter(parts, options.omitEmptyValues ? '' : '-');
  return { formatter: { format }, errors: [] };
}

/** google.protobuf.Struct / Value as decoded (proto field names, oneof `kind`). */
export interface StructLike {
  readonly fields?: Readonly<Record<string, ValueLike>> | null;
}
export interface ValueLike {
  readonly kind?: string;
  readonly string_value?: string;
  readonly number_value?: number;
  readonly bool_value?: boolean;
  readonly struct_value?: StructLike | null;
}

/** Serialises one JSON value; `undefined` leaves the key out. */
type JsonPart = (e: AccessLogEntry) => string | undefined;

function jsonValue(value: ValueLike, path: string, options: FormatOptions & { typed: boolean }, errors: FormatIssue[]): JsonPart | undefined {
  switch (value.kind) {
    case 'string_value': {
      const { parts, errors: e } = parse(value.string_value ?? '');
      for (const message of e) errors.push({ path, message });
      if (e.length > 0) return undefined;
      const only = parts.length === 1 ? parts[0] : undefined;
      if (options.typed && only !== undefined && typeof only !== 'string' && only.numeric) {
        return (entry) => {
          const v = only.extract(entry);
          return typeof v === 'number' ? String(v) : present(v) ? JSON.stringify(v) : options.omitEmptyValues ? undefined : 'null';
        };
      }
      if (!options.omitEmptyValues) {
        const text = textFormatter(parts, '-');
        return (entry) => JSON.stringify(text(entry));
      }
      const text = textFormatter(parts, '');
      return (entry) => {
        const s = text(entry);
        return s === '' ? undefined : JSON.stringify(s);
      };
    }
    case 'struct_value':
      return jsonObject(value.struct_value ?? {}, path, options, errors);
    case 'number_value':
    case 'bool_value': {
      const constant = JSON.stringify(value.kind === 'number_value' ? value.number_value : value.bool_value);
      return () => constant;
    }
    case 'null_value':
      return () => 'null';
    default:
      errors.push({ path, message: `a JSON format value must be a string, number, boolean or object (got ${value.kind ?? 'nothing'})` });
      return undefined;
  }
}

function jsonObject(struct: StructLike, path: string, options: FormatOptions & { typed: boolean }, errors: FormatIssue[]): JsonPart {
  const members: { key: string; value: JsonPart }[] = [];
  for (const [key, value] of Object.entries(struct.fields ?? {})) {
    const part = jsonValue(value, path ? `${path}.${key}` : key, options, errors);
    if (part) members.push({ key: `${JSON.stringify(key)}:`, value: part });
  }
  return (e) => {
    let s = '{';
    for (const m of members) {
      const v = m.value(e);
      if (v === undefined) continue;
      s += s.length > 1 ? `,${m.key}${v}` : m.key + v;
    }
    return `${s}}`;
  };
}

/** A JSON format (json_format / typed_json_format): one object per line. */
export function compileJsonFormat(struct: StructLike, options: FormatOptions & { typed?: boolean } = {}): { formatter?: Formatter; errors: FormatIssue[] } {
  const errors: FormatIssue[] = [];
  const object = jsonObject(struct, '', { ...options, typed: options.typed ?? false }, errors);
  if (errors.length > 0) return { errors };
  return { formatter: { format: (e) => `${object(e)}\n` }, errors: [] };
}
