import { describe, expect, it } from 'vitest';
import { Ctx } from './context.js';
import { bool, decodeMessage, enm, i32, list, map, type MessageSchema, msg, str, u32 } from './schema.js';

interface Inner {
  a?: string;
  b?: string;
}
interface Outer {
  name?: string;
  count?: number;
  port?: number;
  on?: boolean;
  mode?: string;
  inner?: Inner;
  items?: Inner[];
  labels?: Record<string, Inner>;
}
const InnerSchema: MessageSchema<Inner> = { name: 'Inner', fields: { a: str, b: str }, oneofs: [['a', 'b']] };
const OuterSchema: MessageSchema<Outer> = {
  name: 'Outer',
  fields: {
    name: str,
    count: i32,
    port: u32,
    on: bool,
    mode: enm('ZERO', 'ONE'),
    inner: msg(() => InnerSchema),
    items: list(msg(() => InnerSchema)),
    labels: map(msg(() => InnerSchema)),
  },
  deprecated: { on: 'use mode' },
};

const decode = (raw: unknown): { value: Outer | undefined; errors: string[]; warnings: string[] } => {
  const ctx = Ctx.root();
  const value = decodeMessage(OuterSchema, raw, ctx.at('spec'));
  const r = ctx.result();
  return { value, errors: r.errors.map((e) => `${e.path}: ${e.message}`), warnings: r.warnings.map((w) => `${w.path}: ${w.message}`) };
};

describe('decodeMessage (proto3 JSON shapes)', () => {
  it('accepts integers as strings and enums by number, and treats null as unset', () => {
    expect(decode({ count: '-7', port: '8080', mode: 1, name: null })).toEqual({ value: { count: -7, port: 8080, mode: 'ONE' }, errors: [], warnings: [] });
  });

  it('reports wrong types, ranges and enum names at their paths and drops those fields', () => {
    const r = decode({ name: 5, count: 3.5, port: -1, mode: 'one', on: 'yes', inner: [], items: [{ a: 'x' }, null, 'str'] });
    expect(r.errors).toEqual([
      'spec.name: expected a string, got number',
      'spec.count: expected an integer (int32), got 3.5',
      'spec.port: -1 is out of range for uint32',
      'spec.mode: invalid value "one"; expected one of ZERO, ONE',
      'spec.on: expected a boolean, got string',
      'spec.inner: expected an object (Inner), got list',
      'spec.items[1]: list entries cannot be null',
      'spec.items[2]: expected an object (Inner), got string',
    ]);
    expect(r.value).toEqual({ items: [{ a: 'x' }, undefined, undefined] });
  });

  it('reports unknown fields, oneof clashes and deprecated fields; map keys are data', () => {
    const r = decode({ inner: { a: 'x', b: 'y', c: 'z' }, labels: { 'Any Key!': { a: 'x' }, __proto__: { b: 'y' } }, on: true });
    expect(r.errors).toEqual(['spec.inner.c: unknown field "c" in Inner', 'spec.inner: only one of a, b may be set (found a, b)']);
    expect(r.warnings).toEqual(['spec.on: "on" is deprecated: use mode']);
    expect(Object.keys(r.value?.labels ?? {})).toEqual(['Any Key!']);
    expect(Object.getPrototypeOf(r.value?.labels)).toBe(Object.prototype);
  });
});
