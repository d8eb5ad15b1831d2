import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { proxyFor, snapshotFromFile } from '../../../test/fixtures/snapshot.js';
import { golden, goldenYaml, roundTripProblems } from '../../../test/xds-golden.js';
import type { GeneratorContext } from '../generator.js';
import { sidecarScope } from '../sidecar-scope.js';
import { ldsGenerator } from './index.js';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'test', 'fixtures');

export const GOLDEN_CASES = [
  {
    name: 'bookinfo-sidecar',
    fixture: 'bookinfo.yaml',
    node: 'sidecar~10.1.0.10~productpage-v1-abc.default~default.svc.cluster.local',
    labels: { app: 'productpage', version: 'v1' },
  },
  {
    name: 'bookinfo-gateway',
    fixture: 'bookinfo.yaml',
    node: 'router~10.1.0.100~istio-ingressgateway-xyz.istio-system~istio-system.svc.cluster.local',
    labels: { istio: 'ingressgateway' },
  },
  {
    name: 'weather-sidecar',
    fixture: 'weather.yaml',
    node: 'sidecar~10.2.0.10~frontend-v1-abc.weather~weather.svc.cluster.local',
    labels: { app: 'frontend', version: 'v1' },
  },
  {
    name: 'weather-gateway',
    fixture: 'weather.yaml',
    node: 'router~10.1.0.100~istio-ingressgateway-xyz.istio-system~istio-system.svc.cluster.local',
    labels: { istio: 'ingressgateway' },
  },
] as const;

export function contextFor(c: (typeof GOLDEN_CASES)[number]): GeneratorContext {
  const snapshot = snapshotFromFile(join(FIXTURES, c.fixture));
  const proxy = proxyFor(c.node, { LABELS: c.labels });
  return { snapshot, proxy, scope: sidecarScope(snapshot, proxy) };
}

describe('LDS golden output', () => {
  it.each(GOLDEN_CASES)('$name: listeners match the .lds.yaml golden', (c) => {
    const listeners = ldsGenerator(contextFor(c));
    const { expected, actual } = golden(`${c.name}.lds.yaml`, goldenYaml(listeners));
    expect(actual).toBe(expected);
  });

  it.each(GOLDEN_CASES)('$name listeners round-trip pack/unpack, nested Anys included', (c) => {
    const listeners = ldsGenerator(contextFor(c));
    expect(listeners.length).toBeGreaterThan(0);
    expect(listeners.flatMap(roundTripProblems)).toEqual([]);
  });

  it.each(GOLDEN_CASES)('$name listener names are unique', (c) => {
    const names = ldsGenerator(contextFor(c)).map((l) => l.name);
    expect(new Set(names).size).toBe(names.length);
  });
});
