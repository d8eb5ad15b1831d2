// Routes exactly as Pilot generates them: the RDS goldens of packages/pilot, read as proto3 JSON and
// decoded the way xDS delivers them, then asked where Bookinfo and Weather requests go.
import { readdirSync, readFileSync } from 'node:fs';
import { loadProtoRegistry, type RouteConfiguration__Output } from '@weft/api';
import { formatIssues } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { createRequestHead, type RequestHeadInit } from './request-head.js';
import type { ForwardDecision, RouteDecision } from './route-decision.js';
import { compileRouteConfiguration, type RouteTable } from './route-table.js';

const GOLDEN = new URL('../../../pilot/src/networking/testdata/golden/', import.meta.url);
const registry = loadProtoRegistry();
const RC = 'envoy.config.route.v3.RouteConfiguration';

/** Every RouteConfiguration in a golden .rds.yaml, in the decoded form the proxy receives over xDS. */
function goldenConfigs(file: string): RouteConfiguration__Output[] {
  const doc = parse(readFileSync(new URL(file, GOLDEN), 'utf8')) as { resources: Array<Record<string, unknown>> };
  return doc.resources.map(({ '@type': _type, ...json }) => {
    const read = registry.readJson(RC, json);
    if (!read.value) throw new Error(`${file}: ${JSON.stringify(read.issues)}`);
    return registry.decode<RouteConfiguration__Output>(RC, registry.encode(RC, read.value));
  });
}

function goldenTable(file: string, name: string): RouteTable {
  const rc = goldenConfigs(file).find((c) => c.name === name);
  if (!rc) throw new Error(`${file} has no route configuration ${name}`);
  const result = compileRouteConfiguration(rc, { unpack: (a) => registry.unpack(a) });
  if (!result.value) throw new Error(formatIssues(result.errors));
  return result.value;
}

const req = (authority: string, path: string, init: Partial<RequestHeadInit> = {}) => createRequestHead({ authority, path, ...init });

function forward(d: RouteDecision): ForwardDecision {
  if (d.kind !== 'forward') throw new Error(`expected forward, got ${JSON.stringify(d)}`);
  return d;
}

/** mulberry32: a seeded PRNG so the distribution check is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const RDS_GOLDENS = readdirSync(GOLDEN).filter((f) => f.endsWith('.rds.yaml'));

describe("Pilot's route configurations", () => {
  it.each(RDS_GOLDENS)('%s compiles without errors or warnings', (file) => {
    for (const rc of goldenConfigs(file)) {
      const result = compileRouteConfiguration(rc, { unpack: (a) => registry.unpack(a) });
      expect(formatIssues([...result.errors, ...result.warnings])).toBe('');
    }
  });
});

describe('Bookinfo gateway (http.80)', () => {
  const t = goldenTable('bookinfo-gateway.rds.yaml', 'http.80');
  const productpage = 'outbound|9080||productpage.default.svc.cluster.local';

  it.each([
    ['bookinfo.example.com', '/productpage', productpage],
    ['bookinfo.example.com:80', '/productpage?u=normal', productpage],
    ['10.0.0.1', '/static/css/style.css', productpage],
    ['bookinfo.example.com', '/login', productpage],
    ['bookinfo.example.com', '/api/v1/products/0/reviews', productpage],
  ])('%s%s → %s', (authority, path, cluster) => {
    const d = forward(t.route(req(authority, path), Math.random));
    expect(d.cluster).toBe(cluster);
    expect(d.virtualHost.name).toBe('*:80');
  });

  it('carries the timeout and retry policy Pilot set', () => {
    const d = forward(t.route(req('bookinfo.example.com', '/productpage'), Math.random));
    expect(d.timeoutMs).toBe(0);
    expect(d.retry).toMatchObject({ numRetries: 2, previousHosts: true, hostSelectionRetryMaxAttempts: 5, retriableStatusCodes: [503] });
    expect(d.retry?.retryOn.has('retriable-status-codes')).toBe(true);
  });

  it.each(['/productpage/extra', '/reviews', '/'])('%s has no route: 404 NR', (path) => {
    expect(t.route(req('bookinfo.example.com', path), Math.random).kind).toBe('no-route');
  });
});

describe('Bookinfo sidecar', () => {
  const t80 = goldenTable('bookinfo-sidecar.rds.yaml', '80');
  const t9080 = goldenTable('bookinfo-sidecar.rds.yaml', '9080');

  it('pins end-user: jason to reviews v2', () => {
    const d = forward(t9080.route(req('reviews:9080', '/reviews/0', { headers: { 'end-user': 'jason' } }), () => 0.99));
    expect(d.cluster).toBe('outbound|9080|v2|reviews.default.svc.cluster.local');
    expect(forward(t80.route(req('reviews.default.svc.cluster.local', '/', { headers: { 'end-user': 'jason' } }), () => 0.99)).cluster).toBe(
      'outbound|9080|v2|reviews.default.svc.cluster.local',
    );
  });

  it.each([
    [0, 'v1'],
    [0.7999, 'v1'],
    [0.8, 'v3'],
  ])('splits everyone else 80/20 between v1 and v3 (random %s → %s)', (r, subset) => {
    const d = forward(t9080.route(req('reviews', '/reviews/0', { headers: { 'end-user': 'bob' } }), () => r));
    expect(d.cluster).toBe(`outbound|9080|${subset}|reviews.default.svc.cluster.local`);
  });

  it('over 10,000 seeded requests, reviews v3 gets 20% ± 2%', () => {
    const random = seeded(7);
    let v3 = 0;
    for (let i = 0; i < 10_000; i++) if (forward(t9080.route(req('reviews:9080', '/'), random)).cluster.includes('|v3|')) v3++;
    expect(Math.abs(v3 / 10_000 - 0.2)).toBeLessThan(0.02);
  });

  it('sends ratings to v1 with a 10 s timeout, retries and the fault filter config', () => {
    const d = forward(t9080.route(req('ratings.default.svc.cluster.local:9080', '/ratings/0'), Math.random));
    expect(d.cluster).toBe('outbound|9080|v1|ratings.default.svc.cluster.local');
    expect([d.timeoutMs, d.perTryTimeoutMs, d.retry?.numRetries]).toEqual([10_000, 2000, 3]);
    const fault = d.perFilterConfig.get('envoy.filters.http.fault');
    expect(fault && registry.unpack(fault)).toMatchObject({ delay: { fixed_delay: { seconds: '7' }, percentage: { numerator: 100000, denominator: 'MILLION' } } });
  });

  it.each([
    ['productpage:9080', 'outbound|9080||productpage.default.svc.cluster.local'],
    ['details.default:9080', 'outbound|9080||details.default.svc.cluster.local'],
    ['10.96.0.11:9080', 'outbound|9080||details.default.svc.cluster.local'],
    ['httpbin.org', 'PassthroughCluster'],
    // An authority with a port Pilot did not list for this service falls through to allow_any.
    ['productpage:8080', 'PassthroughCluster'],
  ])('%s → %s', (authority, cluster) => {
    expect(forward(t9080.route(req(authority, '/'), Math.random)).cluster).toBe(cluster);
  });
});

describe('Weather', () => {
  const gateway = goldenTable('weather-gateway.rds.yaml', 'http.80');
  const forecast = goldenTable('weather-sidecar.rds.yaml', '3002');
  const ads = goldenTable('weather-sidecar.rds.yaml', '3003');

  it.each([
    ['user=tester', 'v2'],
    ['a=1;user=tester', 'v2'],
    // Istio's regex allows no space after ';', so a browser-style cookie list misses it, in Envoy too.
    ['a=1; user=tester', 'v1'],
    ['user=tester2', 'v1'],
    [undefined, 'v1'],
  ])('the gateway sends cookie %s to frontend %s', (cookie, subset) => {
    const d = forward(gateway.route(req('weather.example.com', '/', { headers: cookie ? { cookie } : {} }), Math.random));
    expect(d.cluster).toBe(`outbound|3000|${subset}|frontend.weather.svc.cluster.local`);
  });

  it('sends Chrome to forecast v2 and mirrors the 50/50 split to v2', () => {
    const chrome = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/77.0.3865.90 Safari/537.36';
    expect(forward(forecast.route(req('forecast:3002', '/weather', { headers: { 'user-agent': chrome } }), () => 0)).cluster).toBe(
      'outbound|3002|v2|forecast.weather.svc.cluster.local',
    );
    const d = forward(forecast.route(req('forecast:3002', '/weather', { headers: { 'user-agent': 'curl/7.64' } }), () => 0.25));
    expect(d.cluster).toBe('outbound|3002|v1|forecast.weather.svc.cluster.local');
    expect(d.timeoutMs).toBe(1000);
    expect(d.mirrors).toEqual([{ cluster: 'outbound|3002|v2|forecast.weather.svc.cluster.local', fractionPerMillion: 1_000_000, appendShadowSuffix: true }]);
  });

  it('redirects /ad to the maintenance page', () => {
    const d = ads.route(req('advertisement:3003', '/ad/banner?x=1'), Math.random);
    expect(d).toMatchObject({ kind: 'redirect', status: 301, location: 'http://advertisement.weather.svc.cluster.local/maintenanced?x=1' });
  });

  it('rewrites /demo/ to / and hashes on the user cookie', () => {
    const d = forward(ads.route(req('advertisement.weather:3003', '/demo/ad?id=3'), Math.random));
    expect(d.pathRewrite).toBe('/ad');
    expect(d.hashPolicies).toEqual([{ kind: 'cookie', terminal: false, name: 'user', ttlMs: 60_000, path: '', attributes: [] }]);
  });

  it('attaches the abort fault to the catch-all route', () => {
    const d = forward(ads.route(req('advertisement', '/'), Math.random));
    const fault = d.perFilterConfig.get('envoy.filters.http.fault');
    expect(fault && registry.unpack(fault)).toMatchObject({ abort: { http_status: 500 } });
  });
});
