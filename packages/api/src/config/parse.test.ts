import { describe, expect, it } from 'vitest';
import { MAX_YAML_NESTING, parseConfigYaml } from './parse.js';

/**
 * `depth` levels of nesting in one document, in several YAML styles (the root is level 1), and the line
 * (counted from the document's first line) where level `level` opens.
 */
const NESTED: Record<string, { yaml: (depth: number) => string; lineOf: (level: number) => number }> = {
  'flow sequences': { yaml: (d) => `${'['.repeat(d)}${']'.repeat(d)}\n`, lineOf: () => 1 },
  'flow mappings': { yaml: (d) => `${'{a: '.repeat(d)}1${'}'.repeat(d)}\n`, lineOf: () => 1 },
  'unclosed flow sequences': { yaml: (d) => `${'['.repeat(d)}\n`, lineOf: () => 1 },
  'block mappings': { yaml: (d) => Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ' 1\n', lineOf: (l) => l },
  'block sequences': { yaml: (d) => Array.from({ length: d }, (_, i) => `${' '.repeat(2 * i)}-`).join('\n') + ' x\n', lineOf: (l) => l },
  'compact sequences': { yaml: (d) => `${'- '.repeat(d)}x\n`, lineOf: () => 1 },
  'block mappings holding flow sequences': {
    yaml: (d) => Array.from({ length: 50 }, (_, i) => `${' '.repeat(i)}k:`).join('\n') + ` ${'['.repeat(d - 50)}${']'.repeat(d - 50)}\n`,
    lineOf: (l) => Math.min(l, 50),
  },
};

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

  it.each(Object.keys(NESTED).filter((s) => !s.startsWith('unclosed')))('accepts %s nested exactly to the limit', (style) => {
    const r = parseConfigYaml(NESTED[style]!.yaml(MAX_YAML_NESTING), 'deep.yaml');
    expect(r.errors).toEqual([]);
    expect(r.documents).toHaveLength(1);
  });

  it.each(Object.keys(NESTED).flatMap((style) => [[style, MAX_YAML_NESTING + 1], [style, 1000]] as const))(
    'refuses %s nested %i levels as too deep, not as a syntax error',
    (style, depth) => {
      const r = parseConfigYaml(`a: 1\n---\n${NESTED[style]!.yaml(depth)}---\nb: 2\n`, 'deep.yaml');
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toEqual(expect.objectContaining({ path: '', document: 1, source: 'deep.yaml', message: expect.stringMatching(/^YAML nested too deeply: more than 100 levels .*WEFT_API_YAML_TOO_DEEP/) }));
      expect(r.errors[0]!.message).not.toContain('syntax');
      // The line is where level 101 opens (the deep document starts on line 3).
      expect(r.errors[0]!.line).toBe(2 + NESTED[style]!.lineOf(MAX_YAML_NESTING + 1));
      // Documents before the deep one are still returned; the rest of the stream is not read.
      expect(r.documents.map((d) => d.value)).toEqual([{ a: 1 }]);
    },
  );

  it('stops reading at the limit, so a huge nesting costs no more than a small one', () => {
    const r = parseConfigYaml(`a: ${'['.repeat(1_000_000)}\n`, 'huge.yaml');
    expect(r.errors.map((e) => [e.line, e.message.split(':')[0]])).toEqual([[1, 'YAML nested too deeply']]);
  });

  it('returns nothing for an empty stream', () => {
    expect(parseConfigYaml('')).toEqual({ documents: [], errors: [], warnings: [] });
  });
});
