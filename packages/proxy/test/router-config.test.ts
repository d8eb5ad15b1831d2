// The router filter's own config (envoy.extensions.filters.http.router.v3.Router) through a real
// ProxyServer to real upstreams on 127.0.0.1: suppress_envoy_headers, strict_check_headers,
// respect_expected_rq_timeout and dynamic_stats change what the proxy does, as do the router's
// x-envoy-original-path on rewritten routes and its per-attempt expected timeout; start_child_span is
// accepted and counted as not enforced; upstream_http_filters and bad strict_check_headers are NACKed
// with their paths.
import http from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadProtoRegistry } from '@weft/api';
import { afterEach, describe, expect, it } from 'vitest';
import { ProxyListenerFactory } from '../src/server/listener-factory.js';
import { routeConfig, startRouterProxy, type RouterProxy } from './fixtures/router-proxy.js';
import { HCM_TYPE, request, staticCluster, type SimpleResponse } from './fixtures/static-proxy.js';

const ROUTER_TYPE = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Upstream {
  readonly port: number;
  /** Request headers as the upstream received them, in order. */
  readonly seen: http.IncomingHttpHeaders[];
  /** Request targets as the upstream received them, in order. */
  readonly urls: string[];
  /** Requests the upstream holds unanswered (path /hold). */
  readonly held: http.ServerResponse[];
}

/** Answers 200 at once, except /hold, which it keeps open until the test ends (or answers itself). */
async function upstream(): Promise<Upstream> {
  const up = { port: 0, seen: [] as http.IncomingHttpHeaders[], urls: [] as string[], held: [] as http.ServerResponse[] };
  const server = http.createServer((req, res) => {
    up.seen.push(req.headers);
    up.urls.push(req.url ?? '');
    if (req.url === '/hold') up.held.push(res);
    else res.end('ok');
  });
  const tunnels: net.Socket[] = [];
  server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => tunnels.push(socket));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => (tunnels.forEach((s) => s.destroy()), server.closeAllConnections(), server.close(() => r()))));
  return Object.assign(up, { port: (server.address() as AddressInfo).port });
}

const routerFilter = (config: Record<string, unknown>) => ({ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER_TYPE, ...config } });

interface ProxyOptions {
  readonly maxRequests?: number;
  /** Routes before the catch-all one. */
  readonly routes?: readonly Record<string, unknown>[];
  /** More connection manager fields. */
  readonly hcm?: Record<string, unknown>;
}

/**
 * A proxy routing everything to `web` with a 30 s route timeout and this router config. use_remote_address
 * makes requests from 127.0.0.1 internal, so their x-envoy-* control headers reach the router.
 */
async function proxy(up: Upstream, router: Record<string, unknown>, opts: ProxyOptions = {}): Promise<RouterProxy> {
  const p = await startRouterProxy({
    clusters: {},
    rawClusters: [staticCluster('web', [up.port], opts.maxRequests ? { circuit_breakers: { thresholds: [{ max_requests: opts.maxRequests }] } } : {})],
    routeConfig: routeConfig([...(opts.routes ?? []), { match: { prefix: '/' }, route: { cluster: 'web', timeout: '30s' } }]),
    hcm: { use_remote_address: true, upgrade_configs: [{ upgrade_type: 'websocket' }], http_filters: [routerFilter(router)], ...opts.hcm },
  });
  closers.push(() => p.stop());
  return p;
}

const get = (port: number, path: string, headers: Record<string, string> = {}): Promise<SimpleResponse> => request(port, path, { headers });

/** A WebSocket Upgrade that the proxy refuses: its status and headers. */
function refusedUpgrade(port: number): Promise<SimpleResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/ws', agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket' } });
    req.on('upgrade', (_res, socket: net.Socket) => (socket.destroy(), reject(new Error('the upgrade was tunnelled'))));
    req.on('response', (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: '' });
    });
    req.on('error', reject);
    req.end();
  });
}

/** Holds one request upstream (the cluster's only max_requests unit). */
async function occupy(p: RouterProxy, up: Upstream): Promise<void> {
  // Reset when the test ends (the proxy stops under it).
  get(p.port, '/hold').catch(() => undefined);
  await expect.poll(() => up.held.length).toBe(1);
}

describe('router suppress_envoy_headers', () => {
  it("adds x-envoy-upstream-service-time and x-envoy-expected-rq-timeout-ms by default (istiod's `{}`)", async () => {
    const up = await upstream();
    const p = await proxy(up, {});
    const r = await get(p.port, '/');
    expect(r.status).toBe(200);
    expect(r.headers['x-envoy-upstream-service-time']).toMatch(/^\d+$/);
    expect(up.seen[0]?.['x-envoy-expected-rq-timeout-ms']).toBe('30000');
  });

  it('removes them, on answers and on upstream requests', async () => {
    const up = await upstream();
    const p = await proxy(up, { suppress_envoy_headers: true });
    const r = await get(p.port, '/');
    expect(r.status).toBe(200);
    expect(r.body).toBe('ok');
    expect(r.headers['x-envoy-upstream-service-time']).toBeUndefined();
    expect(up.seen[0]?.['x-envoy-expected-rq-timeout-ms']).toBeUndefined();
  });

  it.each([
    [{}, 'true'],
    [{ suppress_envoy_headers: true }, undefined],
  ])('router %j: a circuit-breaker overflow (503 UO) says x-envoy-overloaded: %s, also for an upgrade', async (router, overloaded) => {
    const up = await upstream();
    const p = await proxy(up, router, { maxRequests: 1 });
    await occupy(p, up);
    const r = await get(p.port, '/');
    expect(r.status).toBe(503);
    expect(r.headers['x-envoy-overloaded']).toBe(overloaded);
    const ws = await refusedUpgrade(p.port);
    expect(ws.status).toBe(503);
    expect(ws.headers['x-envoy-overloaded']).toBe(overloaded);
  });
});

describe('router x-envoy-original-path', () => {
  const rewrite = { routes: [{ match: { prefix: '/api/' }, route: { cluster: 'web', prefix_rewrite: '/' } }] };

  it('carries the path as received to the upstream of a rewritten route, and only there', async () => {
    const up = await upstream();
    const p = await proxy(up, {}, rewrite);
    expect((await get(p.port, '/api/items?x=1')).status).toBe(200);
    expect((await get(p.port, '/plain')).status).toBe(200);
    expect(up.urls).toEqual(['/items?x=1', '/plain']);
    expect(up.seen.map((h) => h['x-envoy-original-path'])).toEqual(['/api/items?x=1', undefined]);
  });

  it('is not added under suppress_envoy_headers', async () => {
    const up = await upstream();
    const p = await proxy(up, { suppress_envoy_headers: true }, rewrite);
    expect((await get(p.port, '/api/items')).status).toBe(200);
    expect(up.urls).toEqual(['/items']);
    expect(up.seen[0]?.['x-envoy-original-path']).toBeUndefined();
  });

  it("is dropped from an edge request's headers, kept on an internal one", async () => {
    const forged = { 'x-envoy-original-path': '/admin' };
    const internal = await upstream();
    const pi = await proxy(internal, {});
    expect((await get(pi.port, '/plain', forged)).status).toBe(200);
    expect(internal.seen[0]?.['x-envoy-original-path']).toBe('/admin');
    // With 127.0.0.1 outside internal_address_config, the test client is an external (edge) client.
    const edge = await upstream();
    const pe = await proxy(edge, {}, { hcm: { internal_address_config: { cidr_ranges: [{ address_prefix: '10.0.0.0', prefix_len: 8 }] } } });
    expect((await get(pe.port, '/plain', forged)).status).toBe(200);
    expect(edge.seen[0]?.['x-envoy-original-path']).toBeUndefined();
  });
});

describe('router x-envoy-expected-rq-timeout-ms on retries', () => {
  it('tells a retry the time left of the route timeout, not the first attempt\'s', async () => {
    const up = await upstream();
    const p = await proxy(up, {}, { routes: [{ match: { path: '/hold' }, route: { cluster: 'web', timeout: '30s', retry_policy: { retry_on: '5xx', num_retries: 1 } } }] });
    const answer = get(p.port, '/hold');
    await expect.poll(() => up.held.length).toBe(1);
    // The first attempt fails once 20 ms of the 30 s have gone; the retry is held too, then answered.
    const failedAt = Date.now() + 20;
    await expect.poll(() => Date.now()).toBeGreaterThanOrEqual(failedAt);
    up.held[0]!.writeHead(503).end();
    await expect.poll(() => up.held.length).toBe(2);
    up.held[1]!.end('ok');
    expect((await answer).status).toBe(200);
    const [first, retry] = up.seen.map((h) => Number(h['x-envoy-expected-rq-timeout-ms']));
    expect(first).toBe(30_000);
    expect(retry).toBeLessThanOrEqual(30_000 - 20);
  });
});

describe('router strict_check_headers', () => {
  it('answers an invalid listed header 400 naming it, before anything goes upstream; valid and unlisted ones pass', async () => {
    const up = await upstream();
    const p = await proxy(up, { strict_check_headers: ['x-envoy-retry-on', 'x-envoy-upstream-rq-timeout-ms'] });
    const bad = await get(p.port, '/', { 'x-envoy-retry-on': '5xx,sometimes' });
    expect(bad).toMatchObject({ status: 400, body: "invalid header 'x-envoy-retry-on' with value '5xx,sometimes'" });
    expect((await get(p.port, '/', { 'x-envoy-upstream-rq-timeout-ms': '1.5' })).status).toBe(400);
    expect(up.seen).toEqual([]);
    expect((await get(p.port, '/', { 'x-envoy-retry-on': '5xx,reset', 'x-envoy-max-retries': 'lots' })).status).toBe(200);
  });

  it('passes invalid values when unset, as Envoy does (they are ignored)', async () => {
    const up = await upstream();
    const p = await proxy(up, {});
    expect((await get(p.port, '/', { 'x-envoy-retry-on': 'sometimes' })).status).toBe(200);
  });
});

describe('router respect_expected_rq_timeout', () => {
  it("takes the egress proxy's x-envoy-expected-rq-timeout-ms as the route timeout", async () => {
    const up = await upstream();
    const p = await proxy(up, { respect_expected_rq_timeout: true });
    expect((await get(p.port, '/', { 'x-envoy-expected-rq-timeout-ms': '5000' })).status).toBe(200);
    expect(up.seen[0]?.['x-envoy-expected-rq-timeout-ms']).toBe('5000');
    // The 30 s route timeout would outlast the test: the 50 ms one ends the held request.
    const r = await get(p.port, '/hold', { 'x-envoy-expected-rq-timeout-ms': '50' });
    expect(r).toMatchObject({ status: 504, body: 'upstream request timeout' });
  });

  it('ignores it when unset: the route timeout is what the upstream is told', async () => {
    const up = await upstream();
    const p = await proxy(up, {});
    expect((await get(p.port, '/', { 'x-envoy-expected-rq-timeout-ms': '5000' })).status).toBe(200);
    expect(up.seen[0]?.['x-envoy-expected-rq-timeout-ms']).toBe('30000');
  });
});

describe('router dynamic_stats', () => {
  it.each([
    [{}, 1],
    [{ dynamic_stats: false }, undefined],
  ])('router %j: cluster.web.upstream_rq_200 and the upstream_rq_time samples are %s after one request', async (router, count) => {
    const up = await upstream();
    const p = await proxy(up, router);
    expect((await get(p.port, '/')).status).toBe(200);
    expect(await p.stat('cluster.web.upstream_rq_total')).toBe(1);
    expect(await p.stat('cluster.web.upstream_rq_200')).toBe(count);
    expect(await p.stat('cluster.web.upstream_rq_2xx')).toBe(count);
    // upstream_rq_time is a dynamic stat too: one sample per completed exchange.
    const rqTime = () => [...p.server.stats.histograms()].find((h) => h.name === 'cluster.web.upstream_rq_time');
    await expect.poll(() => rqTime()?.count).toBe(count);
    if (count) expect(rqTime()?.unit).toBe('Milliseconds');
  });
});

describe('router fields not enforced or refused', () => {
  it('accepts start_child_span (no tracer) and counts it in config.accepted_not_enforced', async () => {
    const up = await upstream();
    const p = await proxy(up, { start_child_span: true });
    expect((await get(p.port, '/')).status).toBe(200);
    expect(await p.stat('config.accepted_not_enforced')).toBe(1);
  });

  it('refuses the listener for upstream_http_filters and for a strict_check_headers entry without a checker', async () => {
    const up = await upstream();
    await expect(proxy(up, { upstream_http_filters: [{ name: 'envoy.filters.http.upstream_codec' }] })).rejects.toThrow(/upstream_http_filters: upstream HTTP filters are not supported/);
    await expect(proxy(up, { strict_check_headers: ['x-envoy-max-retries', 'x-envoy-internal'] })).rejects.toThrow(/strict_check_headers\[1\]/);
  });

  it('names the field under its http_filters entry (the path LDS NACKs with)', () => {
    const registry = loadProtoRegistry();
    const factory = new ProxyListenerFactory({ registry, clusters: { get: () => undefined }, routes: { get: () => undefined } as never, hashing: { hashOf: () => undefined } as never, logger: { child: () => ({}) } as never, onHttpComplete: () => undefined });
    const hcm = {
      stat_prefix: 'in',
      route_config: routeConfig([]),
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: registry.pack('envoy.extensions.filters.http.router.v3.Router', { upstream_http_filters: [{ name: 'x' }], strict_check_headers: ['x-envoy-retry-on', 'te'] }) }],
    };
    const listener = {
      name: 'gw',
      address: { socket_address: { address: '127.0.0.1', port_value: 8080 } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: registry.pack(HCM_TYPE.replace('type.googleapis.com/', ''), hcm) }] }],
    };
    const decoded = registry.decode('envoy.config.listener.v3.Listener', registry.encode('envoy.config.listener.v3.Listener', listener));
    const at = 'listener gw.filter_chains[0].filters[0].typed_config.http_filters[0].typed_config';
    expect(factory.check(decoded as never).errors).toEqual([
      { path: `${at}.upstream_http_filters`, message: 'upstream HTTP filters are not supported by weft-proxy' },
      { path: `${at}.strict_check_headers[1]`, message: expect.stringContaining("'te' cannot be strictly checked") },
    ]);
  });
});
