// The proxies every golden file (CDS, EDS, LDS, RDS) is generated for: Bookinfo and Weather
// Forecast, a sidecar and the ingress gateway of each.
import { join } from 'node:path';
import type { GeneratorContext } from '../src/networking/generator.js';
import { sidecarScope } from '../src/networking/sidecar-scope.js';
import { proxyFor, snapshotFromFile } from './fixtures/snapshot.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');

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
    node: 'router~10.2.0.100~istio-ingressgateway-xyz.istio-system~istio-system.svc.cluster.local',
    labels: { istio: 'ingressgateway' },
  },
] as const;

// The Helm ConfigMap's connectTimeout (10s), which is what an installed 1.3 mesh shows.
const MESH = { connectTimeout: '10s' };

export type GoldenCase = (typeof GOLDEN_CASES)[number];

export function contextFor(c: GoldenCase): GeneratorContext {
  const snapshot = snapshotFromFile(join(FIXTURES, c.fixture), { mesh: MESH });
  const proxy = proxyFor(c.node, { LABELS: c.labels });
  return { snapshot, proxy, scope: sidecarScope(snapshot, proxy) };
}
