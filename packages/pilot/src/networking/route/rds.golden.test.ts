import { describe, expect, it } from 'vitest';
import { contextFor, GOLDEN_CASES, type GoldenCase } from '../../../test/golden-cases.js';
import { golden, goldenYaml, roundTripProblems } from '../../../test/xds-golden.js';
import { ldsGenerator } from '../listener/index.js';
import { rdsGenerator } from './index.js';

/** The RDS names the listeners reference (what Envoy will ask for). */
function referencedRouteNames(c: GoldenCase): string[] {
  const text = goldenYaml(ldsGenerator(contextFor(c)));
  return [...new Set([...text.matchAll(/routeConfigName: (\S+)/g)].map((m) => (m[1] ?? '').replace(/^"|"$/g, '')))].sort();
}

// Regenerate with UPDATE_GOLDEN=1 and review the diff against Istio 1.3's documented output.
describe('RDS golden output', () => {
  it.each(GOLDEN_CASES)('$name: route configs match the .rds.yaml golden', (c) => {
    const { expected, actual } = golden(`${c.name}.rds.yaml`, goldenYaml(rdsGenerator(contextFor(c))));
    expect(actual).toBe(expected);
  });

  it.each(GOLDEN_CASES)('$name: route configs round-trip pack/unpack, nested Anys included', (c) => {
    expect(rdsGenerator(contextFor(c)).flatMap(roundTripProblems)).toEqual([]);
  });

  it.each(GOLDEN_CASES)('$name: serves exactly the route names its listeners reference', (c) => {
    const served = rdsGenerator(contextFor(c)).map((r) => r.name).sort();
    expect(served).toEqual(referencedRouteNames(c));
    expect(rdsGenerator(contextFor(c), served).map((r) => r.name).sort()).toEqual(served);
  });
});
