// Robustness: validators report and never throw, whatever shape the input has (only bugs throw).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfigYaml } from './parse.js';
import { validateConfig, validateConfigYaml } from './validate.js';
import { validateMeshConfig } from './validate/mesh-config.js';

const JUNK: readonly unknown[] = [null, 0, -1, 1.5, 'x', '', '*', true, [], {}, [null], { a: 1 }, ['x'], 99999999999, '1s', { value: 200 }];

// A fixed-seed LCG keeps the run reproducible.
let seed = 42;
const rnd = (n: number): number => {
  seed = (seed * 1103515245 + 12345) % 2147483648;
  return seed % n;
};

/** Replaces random nodes (about one in six) with junk values. */
function mutate(v: unknown, depth: number): unknown {
  if (rnd(6) === 0 || depth > 8) return JUNK[rnd(JUNK.length)];
  if (Array.isArray(v)) return v.map((x) => mutate(x, depth + 1));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, mutate(x, depth + 1)]));
  return v;
}

const read = (name: string): string => readFileSync(new URL(`./testdata/${name}`, import.meta.url), 'utf8');

describe('validation robustness', () => {
  it('all-kinds.yaml (one object of every typed kind) is valid; only deprecations warn', () => {
    const result = validateConfigYaml(read('all-kinds.yaml'), 'all-kinds.yaml');
    expect(result.errors).toEqual([]);
    expect(result.warnings.map((w) => `${w.kind} ${w.path}`)).toEqual([
      'Policy kind',
      'ServiceRole kind',
      'ServiceRoleBinding kind',
      'ClusterRbacConfig kind',
    ]);
    expect(result.configs).toHaveLength(16);
  });

  it('reports instead of throwing when nodes of valid objects are replaced by junk', () => {
    const docs = ['all-kinds.yaml', 'valid.yaml', 'invalid.yaml'].flatMap((f) => parseConfigYaml(read(f)).documents.map((d) => d.value));
    let errors = 0;
    for (let i = 0; i < 3000; i++) {
      const base = docs[i % docs.length] as Record<string, unknown>;
      const mutated = mutate(base, 0);
      // Keep the envelope a third of the time so the spec validators are reached more often.
      const obj = i % 3 === 0 && typeof mutated === 'object' && mutated !== null ? { ...mutated, apiVersion: base['apiVersion'], kind: base['kind'] } : mutated;
      errors += validateConfig(obj).errors.length;
      validateMeshConfig(mutate({ connectTimeout: '1s', defaultConfig: { tracing: { zipkin: { address: 'z:9411' } } } }, 0));
    }
    expect(errors).toBeGreaterThan(0);
  });
});
