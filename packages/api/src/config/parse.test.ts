import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from './parse.js';

describe('parseConfigYaml', () => {
  it('splits a multi-document stream and keeps stream positions', () => {
    const r = parseConfigYaml('a: 1\n---\n---\nb: 2\n...\n---\nc: [3]\n', 'f.yaml');
    expect(r.errors).toEqual([]);
    expect(r.documents.map((d) => [d.index, d.line, d.value])).toEqual([
      [0, 1, { a: 1 }],
      [2, 4, { b: 2 }],
      [3, 7, { c: [3] }],
    ]);
    expect(r.documents[0]?.source).toBe('f.yaml');
  });

  it('reports syntax errors with document index and line, and still returns the good documents', () => {
    const r = parseConfigYaml('a: 1\n---\nb: [1, 2\nc: 3\n---\nd: 4\n', 'f.yaml');
    expect(r.errors).toEqual([expect.objectContaining({ path: '', document: 1, line: 4, source: 'f.yaml', message: expect.stringContaining('YAML syntax error') })]);
    expect(r.documents.map((d) => d.value)).toEqual([{ a: 1 }, { d: 4 }]);
  });

  it('reads YAML like kubectl: yes/on are booleans, timestamps and 1:20 stay strings', () => {
    const [doc] = parseConfigYaml('a: on\nb: 2020-01-01T00:00:00Z\nc: 1:20\nd: "on"\n').documents;
    expect(doc?.value).toEqual({ a: true, b: '2020-01-01T00:00:00Z', c: '1:20', d: 'on' });
  });

  it('maps paths to lines, falling back to the nearest existing ancestor', () => {
    const [doc] = parseConfigYaml('spec:\n  http:\n  - route:\n    - destination:\n        host: x\n      weight: 5\n').documents;
    expect(doc?.lineOf(['spec', 'http', 0, 'route', 0, 'weight'])).toBe(6);
    expect(doc?.lineOf(['spec', 'http', 0, 'route', 0, 'destination', 'host'])).toBe(5);
    expect(doc?.lineOf(['spec', 'http', 0, 'timeout'])).toBe(3);
    expect(doc?.lineOf(['spec', 'tcp'])).toBe(1);
  });

  it('maps user-data map keys, including numeric ones', () => {
    const [doc] = parseConfigYaml('portLevelMtls:\n  8080:\n    mode: STRICT\n').documents;
    expect(doc?.lineOf(['portLevelMtls', { key: '8080' }, 'mode'])).toBe(3);
  });

  it('returns nothing for an empty stream', () => {
    expect(parseConfigYaml('')).toEqual({ documents: [], errors: [], warnings: [] });
  });
});
