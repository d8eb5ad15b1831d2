// Golden CDS output for Bookinfo and Weather Forecast, sidecar and gateway: the contract with Envoy.
// Regenerate with UPDATE_GOLDEN=1 after reviewing the change against Istio 1.3's output.
import { describe, expect, it } from 'vitest';
import { contextFor, GOLDEN_CASES } from '../../../test/golden-cases.js';
import { golden, goldenYaml, roundTripProblems } from '../../../test/xds-golden.js';
import { cdsGenerator } from './cds.js';

describe('CDS golden output', () => {
  it.each(GOLDEN_CASES)('$name: clusters match the .cds.yaml golden', (c) => {
    const { expected, actual } = golden(`${c.name}.cds.yaml`, goldenYaml(cdsGenerator(contextFor(c))));
    expect(actual).toBe(expected);
  });

  it.each(GOLDEN_CASES)('$name: clusters are sorted by name with no duplicates', (c) => {
    const names = cdsGenerator(contextFor(c)).map((r) => r.name);
    expect(names).toEqual([...new Set(names)].sort());
  });

  it.each(GOLDEN_CASES)('$name: clusters round-trip pack/unpack, nested Anys included', (c) => {
    expect(cdsGenerator(contextFor(c)).flatMap(roundTripProblems)).toEqual([]);
  });
});
