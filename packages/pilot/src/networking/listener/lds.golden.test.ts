import { describe, expect, it } from 'vitest';
import { contextFor, GOLDEN_CASES } from '../../../test/golden-cases.js';
import { golden, goldenYaml, roundTripProblems } from '../../../test/xds-golden.js';
import { ldsGenerator } from './index.js';

// Regenerate with UPDATE_GOLDEN=1 and review the diff against Istio 1.3's documented output.
describe('LDS golden output', () => {
  it.each(GOLDEN_CASES)('$name: listeners match the .lds.yaml golden', (c) => {
    const { expected, actual } = golden(`${c.name}.lds.yaml`, goldenYaml(ldsGenerator(contextFor(c))));
    expect(actual).toBe(expected);
  });

  it.each(GOLDEN_CASES)('$name: listeners round-trip pack/unpack, nested Anys included', (c) => {
    const listeners = ldsGenerator(contextFor(c));
    expect(listeners.length).toBeGreaterThan(0);
    expect(listeners.flatMap(roundTripProblems)).toEqual([]);
  });

  it.each(GOLDEN_CASES)('$name: listener names are unique', (c) => {
    const names = ldsGenerator(contextFor(c)).map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
