import { loadProtoRegistry } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { HeaderValueOptionConfig } from './config-types.js';
import { applyHeaderMutations, compileHeaderMutations, flattenHeaderMutations, type MutableHeaders } from './header-mutation.js';

const registry = loadProtoRegistry();
const TYPE = 'envoy.config.core.v3.HeaderValueOption';

function option(json: object): HeaderValueOptionConfig {
  const read = registry.readJson(TYPE, json);
  if (!read.value) throw new Error(JSON.stringify(read.issues));
  return registry.decode<HeaderValueOptionConfig>(TYPE, registry.encode(TYPE, read.value));
}

/** A header map that keeps every value, like an HTTP/2 header list. */
class FakeHeaders implements MutableHeaders {
  readonly map = new Map<string, string[]>();
  constructor(init: Record<string, string> = {}) {
    for (const [k, v] of Object.entries(init)) this.map.set(k, [v]);
  }
  has(name: string) {
    return this.map.has(name);
  }
  add(name: string, value: string) {
    this.map.set(name, [...(this.map.get(name) ?? []), value]);
  }
  set(name: string, value: string) {
    this.map.set(name, [value]);
  }
  remove(name: string) {
    this.map.delete(name);
  }
  get(name: string) {
    return this.map.get(name);
  }
}

function compile(add: object[], remove: string[] = []) {
  const issues = new IssueCollector();
  const m = compileHeaderMutations(add.map(option), remove, issues, 'request_headers_to_add', 'request_headers_to_remove');
  return { m, issues };
}

describe('header mutations', () => {
  it.each([
    ['append (the default) adds a value', { header: { key: 'x-a', value: 'new' } }, ['old', 'new']],
    ['append: true adds', { header: { key: 'x-a', value: 'new' }, append: true }, ['old', 'new']],
    ['append: false overwrites', { header: { key: 'x-a', value: 'new' }, append: false }, ['new']],
    ['OVERWRITE_IF_EXISTS_OR_ADD', { header: { key: 'x-a', value: 'new' }, appendAction: 'OVERWRITE_IF_EXISTS_OR_ADD' }, ['new']],
    ['ADD_IF_ABSENT keeps an existing header', { header: { key: 'x-a', value: 'new' }, appendAction: 'ADD_IF_ABSENT' }, ['old']],
    ['OVERWRITE_IF_EXISTS', { header: { key: 'x-a', value: 'new' }, appendAction: 'OVERWRITE_IF_EXISTS' }, ['new']],
    ['empty values are skipped', { header: { key: 'x-a', value: '' } }, ['old']],
    ['keep_empty_value adds them', { header: { key: 'x-a', value: '' }, keepEmptyValue: true }, ['old', '']],
    ['%% is a literal %', { header: { key: 'x-a', value: '100%%' }, append: false }, ['100%']],
    ['names are lower-cased', { header: { key: 'X-A', value: 'v' }, append: false }, ['v']],
  ])('%s', (_n, json, expected) => {
    const { m, issues } = compile([json]);
    expect(issues.errors).toEqual([]);
    const headers = new FakeHeaders({ 'x-a': 'old' });
    applyHeaderMutations(m, headers);
    expect(headers.get('x-a')).toEqual(expected);
  });

  it('ADD_IF_ABSENT and OVERWRITE_IF_EXISTS on a missing header', () => {
    const { m } = compile([
      { header: { key: 'x-new', value: '1' }, appendAction: 'ADD_IF_ABSENT' },
      { header: { key: 'x-none', value: '1' }, appendAction: 'OVERWRITE_IF_EXISTS' },
    ]);
    const headers = new FakeHeaders();
    applyHeaderMutations(m, headers);
    expect([...headers.map.keys()]).toEqual(['x-new']);
  });

  it('removes before it adds, within one level', () => {
    const { m } = compile([{ header: { key: 'x-a', value: 'new' } }], ['x-a']);
    expect(m.map((x) => x.op)).toEqual(['remove', 'add']);
    const headers = new FakeHeaders({ 'x-a': 'old' });
    applyHeaderMutations(m, headers);
    expect(headers.get('x-a')).toEqual(['new']);
  });

  it('leaves %VARIABLE% values to the formatter, and skips them without one', () => {
    const { m } = compile([{ header: { key: 'x-client', value: '%DOWNSTREAM_REMOTE_ADDRESS%' }, append: false }]);
    expect(m[0]).toMatchObject({ formatted: true, value: '%DOWNSTREAM_REMOTE_ADDRESS%' });
    const headers = new FakeHeaders();
    applyHeaderMutations(m, headers);
    expect(headers.has('x-client')).toBe(false);
    applyHeaderMutations(m, headers, (f) => f.replace('%DOWNSTREAM_REMOTE_ADDRESS%', '10.0.0.1'));
    expect(headers.get('x-client')).toEqual(['10.0.0.1']);
  });

  it.each([
    [[{ header: { key: ':path', value: '/x' } }], [], 'request_headers_to_add[0].header.key'],
    [[], [':authority'], 'request_headers_to_remove[0]'],
    [[], ['Host'], 'request_headers_to_remove[0]'],
    [[{ header: { key: 'x-a', value: '1' }, append: true, appendAction: 'ADD_IF_ABSENT' }], [], 'request_headers_to_add[0]'],
  ])('rejects %j / %j at %s', (add, remove, path) => {
    const { issues } = compile(add, remove);
    expect(issues.errors.map((e) => e.path)).toEqual([path]);
  });

  it('flattens into remove and add lists', () => {
    const { m } = compile([{ header: { key: 'a', value: '1' } }, { header: { key: 'b', value: '2' }, append: false }], ['c']);
    expect(flattenHeaderMutations(m)).toEqual({
      toRemove: ['c'],
      toAdd: [
        { key: 'a', value: '1', append: true, action: 'APPEND_IF_EXISTS_OR_ADD', keepEmptyValue: false, formatted: false },
        { key: 'b', value: '2', append: false, action: 'OVERWRITE_IF_EXISTS_OR_ADD', keepEmptyValue: false, formatted: false },
      ],
    });
  });
});
