// Upstream cluster behaviour end to end: a real weft-proxy (in process) in front of real HTTP servers
// on 127.0.0.1, configured by a static bootstrap or over a real ADS server (CDS, EDS, LDS), with
// Envoy's documented semantics:
// - lb_endpoints load_balancing_weight: ROUND_ROBIN and LEAST_REQUEST split 3:1 by EDF (exactly, for
//   sequential requests), STATIC and EDS alike; locality load_balancing_weight only with
//   common_lb_config.locality_weighted_lb_config;
// - health_status: UNHEALTHY, DRAINING and TIMEOUT endpoints get nothing while the healthy ones can take
//   the load; below the panic threshold every endpoint is used; DEGRADED endpoints count against their
//   priority's health and get only the load its healthy endpoints cannot take (arch_overview
//   load_balancing/degraded: 1 healthy + 1 degraded split 70/30 with the default overprovisioning 1.4);
// - alt_stat_name: the cluster's stats are emitted under it (admin /stats and /stats/prometheus).
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRegistry, TypeUrl } from '@weft/api';
import { silentLogger } from '@weft/base';
import { createXdsServer, makeResource, Snapshot, SnapshotCache } from '@weft/xds';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseBootstrap } from '../src/config/bootstrap.js';
import { ProxyServer } from '../src/index.js';
import { HCM_TYPE, request } from './fixtures/static-proxy.js';

const registry = loadProtoRegistry();
const ADS = { ads: {}, resource_api_version: 'V3' };
const ROUTER = { name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  vi.restoreAllMocks();
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A real upstream answering every request 200 with its own name; `hits` counts what it served. */
interface Upstream {
  readonly name: string;
  readonly port: number;
  hits: number;
}

async function upstream(name: string): Promise<Upstream> {
  const u = { name, port: 0, hits: 0 };
  const server = http.createServer((req, res) => {
    u.hits++;
    req.resume();
    req.on('end', () => res.end(name));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  u.port = (server.address() as AddressInfo).port;
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return u;
}

function upstreams(...names: string[]): Promise<Upstream[]> {
  return Promise.all(names.map(upstream));
}

/** An lb_endpoint on 127.0.0.1 (proto3 JSON), with optional health_status / load_balancing_weight. */
function lbEndpoint(u: Upstream, extra: Record<string, unknown> = {}) {
  return { endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: u.port } } }, ...extra };
}

function assignment(clusterName: string, groups: readonly Record<string, unknown>[], policy?: Record<string, unknown>) {
  return { cluster_name: clusterName, endpoints: groups, ...(policy ? { policy } : {}) };
}

function routeTo(cluster: string) {
  return {
    '@type': HCM_TYPE,
    stat_prefix: 'ingress',
    route_config: { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster, timeout: '5s' } }] }] },
    http_filters: [ROUTER],
  };
}

function ingress(cluster: string) {
  return {
    name: 'ingress',
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: routeTo(cluster) }] }],
  };
}

interface Running {
  readonly proxy: ProxyServer;
  /** The ingress listener's port. */
  readonly port: number;
}

function boundPort(proxy: ProxyServer, listener: string): number {
  const bound = proxy.listeners.boundAddress(listener);
  if (!bound) throw new Error(`listener ${listener} is not bound`);
  return Number(bound.slice(bound.lastIndexOf(':') + 1));
}

async function start(bootstrap: object): Promise<ProxyServer> {
  const parsed = parseBootstrap(registry, JSON.stringify(bootstrap), 'test-bootstrap');
  if (!parsed.ok) throw parsed.error;
  const proxy = new ProxyServer({ bootstrap: parsed.value, registry, logger: silentLogger(), drainTimeS: 0, onQuit: () => undefined });
  await proxy.start();
  cleanups.push(() => proxy.stop());
  return proxy;
}

/** A static bootstrap: these clusters, an admin API, and a listener routing everything to `route`. */
async function startStatic(clusters: readonly object[], route: string): Promise<Running> {
  const proxy = await start({
    node: { id: 'test', cluster: 'test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: { clusters, listeners: [ingress(route)] },
  });
  return { proxy, port: boundPort(proxy, 'ingress') };
}

function staticCluster(name: string, lbPolicy: string, groups: readonly Record<string, unknown>[], extra: Record<string, unknown> = {}) {
  return { name, type: 'STATIC', connect_timeout: '1s', lb_policy: lbPolicy, load_assignment: assignment(name, groups), ...extra };
}

/** `n` requests one after another; how many each upstream answered, by the body. */
async function send(port: number, n: number): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await request(port, `/${i}`);
    expect(r.status).toBe(200);
    seen[r.body] = (seen[r.body] ?? 0) + 1;
  }
  return seen;
}

/** An xDS resource from its proto3 JSON (as a bootstrap is written). */
function resource(typeUrl: string, json: object) {
  const read = registry.readJson(typeUrl, json);
  if (!read.value) throw new Error(`${typeUrl}: ${JSON.stringify(read.issues)}`);
  return makeResource(registry, typeUrl, read.value);
}

type Verdict = { readonly kind: 'ack' } | { readonly kind: 'nack'; readonly message: string };

/**
 * A real ADS server with one EDS cluster `web` and the ingress listener: `endpoints(version, cla)`
 * serves a new ClusterLoadAssignment (CDS and LDS keep their version) and resolves with the proxy's
 * verdict on it, so once it resolves the proxy balances over exactly those endpoints.
 */
async function startEds(cluster: Record<string, unknown>, first: object): Promise<Running & { endpoints(version: string, cla: object): Promise<Verdict> }> {
  const cache = new SnapshotCache();
  const verdicts = new Map<string, Verdict>();
  const events = new EventEmitter();
  const record = (key: string, v: Verdict) => {
    verdicts.set(key, v);
    events.emit(key, v);
  };
  const server = new grpc.Server();
  const xds = createXdsServer({
    registry,
    cache,
    callbacks: {
      onAck: (_s, a) => record(`${a.typeUrl} ${a.version}`, { kind: 'ack' }),
      onNack: (_s, n) => record(`${n.typeUrl} ${n.rejectedVersion}`, { kind: 'nack', message: n.errorDetail.message }),
    },
  });
  xds.addTo(server);
  const xdsPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  cleanups.push(() => {
    xds.closeAll();
    server.forceShutdown();
  });
  const verdict = (typeUrl: string, version: string): Promise<Verdict> => {
    const key = `${typeUrl} ${version}`;
    const known = verdicts.get(key);
    return known ? Promise.resolve(known) : new Promise((r) => events.once(key, r));
  };
  const clusterJson = { name: 'web', type: 'EDS', connect_timeout: '1s', eds_cluster_config: { eds_config: ADS }, ...cluster };
  const serve = (version: string, cla: object): void => {
    const set = cache.setSnapshot(
      'test',
      Snapshot.create({
        version: 'static',
        typeVersions: { [TypeUrl.ClusterLoadAssignment]: version },
        resources: {
          [TypeUrl.Cluster]: [resource(TypeUrl.Cluster, clusterJson)],
          [TypeUrl.Listener]: [resource(TypeUrl.Listener, ingress('web'))],
          [TypeUrl.ClusterLoadAssignment]: [resource(TypeUrl.ClusterLoadAssignment, cla)],
        },
      }),
    );
    if (!set.ok) throw set.error;
  };
  serve('e1', first);
  const proxy = await start({
    node: { id: 'test', cluster: 'test' },
    dynamic_resources: { ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] }, cds_config: ADS, lds_config: ADS },
    static_resources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: assignment('xds-grpc', [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: xdsPort } } } }] }]),
          typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } },
        },
      ],
    },
  });
  expect(await verdict(TypeUrl.Cluster, 'static')).toEqual({ kind: 'ack' });
  expect(await verdict(TypeUrl.ClusterLoadAssignment, 'e1')).toEqual({ kind: 'ack' });
  expect(await verdict(TypeUrl.Listener, 'static')).toEqual({ kind: 'ack' });
  return {
    proxy,
    port: boundPort(proxy, 'ingress'),
    endpoints: (version, cla) => {
      serve(version, cla);
      return verdict(TypeUrl.ClusterLoadAssignment, version);
    },
  };
}

/**
 * Makes Math.random (the router's source for the priority draw) walk 0.005, 0.015, … 0.995 and
 * round again: 100 draws hit every point 1..100 of the priority load once, so a 70/30 load is an
 * exact 70/30 split over 100 requests. Installed before the proxy starts (the router keeps the
 * function it was built with); returns how many times it was drawn.
 */
function stepRandom(): () => number {
  let draws = 0;
  vi.spyOn(Math, 'random').mockImplementation(() => ((draws++ % 100) + 0.5) / 100);
  return () => draws;
}

describe('lb_endpoints load_balancing_weight', () => {
  // EDF with weights 3 and 1: of every 40 sequential picks, 30 and 10, whatever the balancer's random
  // start offset (LEAST_REQUEST weighs by weight / (active + 1): with one request at a time, the same).
  it.each(['ROUND_ROBIN', 'LEAST_REQUEST'])('STATIC, %s: weights 3:1 split 40 requests 30/10', async (policy) => {
    const [a, b] = await upstreams('a', 'b');
    const { port } = await startStatic([staticCluster('web', policy, [{ lb_endpoints: [lbEndpoint(a!, { load_balancing_weight: 3 }), lbEndpoint(b!, { load_balancing_weight: 1 })] }])], 'web');
    expect(await send(port, 40)).toEqual({ a: 30, b: 10 });
  });

  it.each(['ROUND_ROBIN', 'LEAST_REQUEST'])('EDS, %s: weights 3:1 split 30/10; an EDS update to 1:3 splits 10/30', async (policy) => {
    const [a, b] = await upstreams('a', 'b');
    const weighted = (wa: number, wb: number) => assignment('web', [{ lb_endpoints: [lbEndpoint(a!, { load_balancing_weight: wa }), lbEndpoint(b!, { load_balancing_weight: wb })] }]);
    const eds = await startEds({ lb_policy: policy }, weighted(3, 1));
    expect(await send(eds.port, 40)).toEqual({ a: 30, b: 10 });
    expect(await eds.endpoints('e2', weighted(1, 3))).toEqual({ kind: 'ack' });
    expect(await send(eds.port, 40)).toEqual({ a: 10, b: 30 });
  });

  it('no weights: ROUND_ROBIN alternates evenly (the control)', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { port } = await startStatic([staticCluster('web', 'ROUND_ROBIN', [{ lb_endpoints: [lbEndpoint(a!), lbEndpoint(b!)] }])], 'web');
    expect(await send(port, 40)).toEqual({ a: 20, b: 20 });
  });
});

describe('locality load_balancing_weight', () => {
  const groups = (a: Upstream, b: Upstream) => [
    { locality: { region: 'r', zone: 'z1' }, load_balancing_weight: 3, lb_endpoints: [lbEndpoint(a)] },
    { locality: { region: 'r', zone: 'z2' }, load_balancing_weight: 1, lb_endpoints: [lbEndpoint(b)] },
  ];

  it('with locality_weighted_lb_config: localities weighted 3:1 split 40 requests 30/10', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { port } = await startStatic([staticCluster('web', 'ROUND_ROBIN', groups(a!, b!), { common_lb_config: { locality_weighted_lb_config: {} } })], 'web');
    expect(await send(port, 40)).toEqual({ a: 30, b: 10 });
  });

  it('without it the locality weights are ignored, as in Envoy: 20/20', async () => {
    const [a, b] = await upstreams('a', 'b');
    const { port } = await startStatic([staticCluster('web', 'ROUND_ROBIN', groups(a!, b!))], 'web');
    expect(await send(port, 40)).toEqual({ a: 20, b: 20 });
  });
});

describe('lb_endpoints health_status', () => {
  it('UNHEALTHY, DRAINING and TIMEOUT endpoints get no traffic; HEALTHY and UNKNOWN ones do', async () => {
    const [a, b] = await upstreams('a', 'b');
    const cla = (status: string) => assignment('web', [{ lb_endpoints: [lbEndpoint(a!, { health_status: 'HEALTHY' }), lbEndpoint(b!, { health_status: status })] }]);
    const eds = await startEds({ lb_policy: 'ROUND_ROBIN' }, cla('UNHEALTHY'));
    expect(await send(eds.port, 20)).toEqual({ a: 20 });
    expect(await eds.endpoints('e2', cla('DRAINING'))).toEqual({ kind: 'ack' });
    expect(await send(eds.port, 20)).toEqual({ a: 20 });
    expect(await eds.endpoints('e3', cla('TIMEOUT'))).toEqual({ kind: 'ack' });
    expect(await send(eds.port, 20)).toEqual({ a: 20 });
    // The same endpoint back to UNKNOWN (unset) takes its turn again.
    expect(await eds.endpoints('e4', cla('UNKNOWN'))).toEqual({ kind: 'ack' });
    expect(await send(eds.port, 20)).toEqual({ a: 10, b: 10 });
    expect(eds.proxy.stats.gauge('cluster.web.membership_healthy').value).toBe(2);
  });

  it('below the healthy panic threshold (50%) every endpoint is used, unhealthy or not', async () => {
    const [a, b, c] = await upstreams('a', 'b', 'c');
    const eds = await startEds(
      { lb_policy: 'ROUND_ROBIN' },
      assignment('web', [{ lb_endpoints: [lbEndpoint(a!), lbEndpoint(b!, { health_status: 'UNHEALTHY' }), lbEndpoint(c!, { health_status: 'DRAINING' })] }]),
    );
    expect(await send(eds.port, 30)).toEqual({ a: 10, b: 10, c: 10 });
    expect(eds.proxy.stats.gauge('cluster.web.membership_healthy').value).toBe(1);
  });

  it('DEGRADED endpoints get only the load the healthy ones cannot take (Envoy: degraded load)', async () => {
    const draws = stepRandom();
    const [a, b, c, d] = await upstreams('a', 'b', 'c', 'd');
    const healthy = (u: Upstream) => lbEndpoint(u, { health_status: 'HEALTHY' });
    const degraded = lbEndpoint(d!, { health_status: 'DEGRADED' });
    // 3 of 4 healthy: 75% × 1.4 ≥ 100, so the healthy hosts take everything.
    const eds = await startEds({ lb_policy: 'ROUND_ROBIN' }, assignment('web', [{ lb_endpoints: [healthy(a!), healthy(b!), healthy(c!), degraded] }]));
    expect(await send(eds.port, 30)).toEqual({ a: 10, b: 10, c: 10 });
    expect([eds.proxy.stats.gauge('cluster.web.membership_healthy').value, eds.proxy.stats.gauge('cluster.web.membership_degraded').value]).toEqual([3, 1]);

    // 1 healthy, 1 degraded: the degraded host counts against P0's health (50% × 1.4 = 70), the other
    // 30% spills to it. Over 100 requests the stepped draws make that exact.
    expect(await eds.endpoints('e2', assignment('web', [{ lb_endpoints: [healthy(a!), degraded] }]))).toEqual({ kind: 'ack' });
    const before = draws();
    expect(await send(eds.port, 100)).toEqual({ a: 70, d: 30 });
    expect(draws() - before).toBe(100);

    // The same with overprovisioning_factor 200: 50% × 2 ≥ 100, nothing spills.
    expect(await eds.endpoints('e3', assignment('web', [{ lb_endpoints: [healthy(a!), degraded] }], { overprovisioning_factor: 200 }))).toEqual({ kind: 'ack' });
    expect(await send(eds.port, 20)).toEqual({ a: 20 });

    // No healthy endpoint left: the degraded one takes everything (not panic: 1 of 2 is usable).
    expect(await eds.endpoints('e4', assignment('web', [{ lb_endpoints: [lbEndpoint(a!, { health_status: 'UNHEALTHY' }), degraded] }]))).toEqual({ kind: 'ack' });
    expect(await send(eds.port, 20)).toEqual({ d: 20 });
  });

  it('DEGRADED endpoints of P0 come after the healthy endpoints of every priority', async () => {
    stepRandom();
    const [a, b, c] = await upstreams('a', 'b', 'c');
    // P0: a healthy, b degraded (health 70, degraded 70); P1: c healthy (health 100). Healthy load is
    // handed out first, priority by priority: P0 70%, P1 the other 30%, nothing left for b.
    const eds = await startEds(
      { lb_policy: 'ROUND_ROBIN' },
      assignment('web', [
        { priority: 0, lb_endpoints: [lbEndpoint(a!), lbEndpoint(b!, { health_status: 'DEGRADED' })] },
        { priority: 1, lb_endpoints: [lbEndpoint(c!)] },
      ]),
    );
    expect(await send(eds.port, 100)).toEqual({ a: 70, c: 30 });
  });
});

describe('alt_stat_name', () => {
  function get(port: number, path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (d: string) => (body += d));
          res.on('end', () => resolve(body));
        })
        .on('error', reject);
    });
  }

  it("emits the cluster's stats under alt_stat_name, not under its name", async () => {
    const [a] = await upstreams('a');
    const name = 'outbound|80||web.default.svc.cluster.local';
    const { proxy, port } = await startStatic([staticCluster(name, 'ROUND_ROBIN', [{ lb_endpoints: [lbEndpoint(a!)] }], { alt_stat_name: 'web_alt' })], name);
    expect(await send(port, 3)).toEqual({ a: 3 });
    const admin = Number(proxy.adminAddress!.slice(proxy.adminAddress!.lastIndexOf(':') + 1));
    const stats = await get(admin, '/stats');
    const lines = stats.split('\n');
    for (const stat of ['upstream_rq_total: 3', 'upstream_rq_200: 3', 'upstream_rq_2xx: 3', 'membership_total: 1', 'membership_healthy: 1', 'upstream_cx_active: 1', 'upstream_rq_active: 0']) {
      expect(lines).toContain(`cluster.web_alt.${stat}`);
    }
    expect(lines.filter((l) => l.startsWith(`cluster.${name}.`))).toEqual([]);
    const prometheus = await get(admin, '/stats/prometheus');
    expect(prometheus).toMatch(/envoy_cluster_upstream_rq_total\{envoy_cluster_name="web_alt"\} 3/);
    expect(prometheus).not.toContain('web.default.svc.cluster.local');
  });
});
