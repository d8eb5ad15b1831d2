// --concurrency N end to end: the real binary with a primary (admin API) and two worker processes
// sharing a static listener; summed stats, a killed worker re-forked, and a drained shutdown.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRegistry, TypeUrl } from '@weft/api';
import { createXdsServer, makeResource, Snapshot, SnapshotCache } from '@weft/xds';
import { afterEach, describe, expect, it } from 'vitest';
import { HCM_TYPE, startUpstream } from './fixtures/static-proxy.js';
import { adsBootstrap } from './fixtures/proxy-process.js';

const BIN = fileURLToPath(new URL('../bin/weft-proxy.js', import.meta.url));
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

function bootstrapFile(listenerPort: number, upstreamPort: number, clusterExtras: Record<string, unknown> = {}): string {
  const bootstrap = {
    node: { id: 'test', cluster: 'test' },
    admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
    static_resources: {
      clusters: [
        {
          name: 'web',
          type: 'STATIC',
          connect_timeout: '1s',
          load_assignment: { cluster_name: 'web', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } } }] }] },
          ...clusterExtras,
        },
      ],
      listeners: [
        {
          name: 'ingress',
          address: { socket_address: { address: '127.0.0.1', port_value: listenerPort } },
          filter_chains: [
            {
              filters: [
                {
                  name: 'envoy.filters.network.http_connection_manager',
                  typed_config: {
                    '@type': HCM_TYPE,
                    stat_prefix: 'ingress',
                    route_config: { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'web' } }] }] },
                    http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }],
                  },
                },
              ],
            },
          ],
        },
      ],
    },
  };
  const dir = mkdtempSync(join(tmpdir(), 'weft-concurrency-'));
  const file = join(dir, 'bootstrap.json');
  writeFileSync(file, JSON.stringify(bootstrap));
  return file;
}

interface LogLine {
  msg?: string;
  address?: string;
  worker?: number;
  pid?: number;
}

/** The binary, its pino log lines (stderr) as they arrive, and a wait for a matching one. */
function runProxy(args: string[]): { child: ChildProcess; lines: LogLine[]; waitFor(pred: (l: LogLine) => boolean, ms?: number): Promise<LogLine> } {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  const lines: LogLine[] = [];
  let buf = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        lines.push(JSON.parse(line) as LogLine);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  cleanups.push(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  const waitFor = async (pred: (l: LogLine) => boolean, ms = 15_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (Date.now() > deadline) throw new Error(`no matching log line; got:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };
  return { child, lines, waitFor };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

function post(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method: 'POST', agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function stat(text: string, name: string): number {
  const m = new RegExp(`^${name.replace(/[.|]/g, '\\$&')}: (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

/** Sends `n` requests on fresh connections, `parallel` at a time, and returns their statuses. */
async function burst(port: number, n: number, parallel = 10): Promise<number[]> {
  const statuses: number[] = [];
  for (let i = 0; i < n; i += parallel) {
    const batch = await Promise.all(Array.from({ length: Math.min(parallel, n - i) }, () => get(port, '/').then((r) => r.status)));
    statuses.push(...batch);
  }
  return statuses;
}

async function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return child.exitCode;
  return new Promise((r) => child.once('exit', (code) => r(code)));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const registry = loadProtoRegistry();
const ROUTER = { name: 'envoy.filters.http.router', typed_config: registry.pack('envoy.extensions.filters.http.router.v3.Router', {}) };

/** An xDS server on 127.0.0.1:0 serving listener `dyn` (RDS `dyn-route`) → EDS cluster `dyn-cluster` → the upstream. */
async function startControlPlane(listenerPort: number, upstreamPort: number): Promise<number> {
  const cache = new SnapshotCache();
  const ads = { ads: {}, resource_api_version: 'V3' };
  const hcm = { stat_prefix: 'dyn', rds: { route_config_name: 'dyn-route', config_source: ads }, http_filters: [ROUTER] };
  cache.setSnapshot(
    'test',
    Snapshot.create({
      version: 'v1',
      resources: {
        [TypeUrl.Listener]: [
          makeResource(registry, TypeUrl.Listener, {
            name: 'dyn',
            address: { socket_address: { address: '127.0.0.1', port_value: listenerPort } },
            filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: registry.pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', hcm) }] }],
          }),
        ],
        [TypeUrl.RouteConfiguration]: [
          makeResource(registry, TypeUrl.RouteConfiguration, { name: 'dyn-route', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'dyn-cluster' } }] }] }),
        ],
        [TypeUrl.Cluster]: [makeResource(registry, TypeUrl.Cluster, { name: 'dyn-cluster', type: 'EDS', connect_timeout: { seconds: 1 }, eds_cluster_config: { eds_config: ads } })],
        [TypeUrl.ClusterLoadAssignment]: [
          makeResource(registry, TypeUrl.ClusterLoadAssignment, {
            cluster_name: 'dyn-cluster',
            endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } } }] }],
          }),
        ],
      },
    }),
  );
  const server = new grpc.Server();
  const xds = createXdsServer({ registry, cache });
  xds.addTo(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  cleanups.push(() => {
    xds.closeAll();
    server.forceShutdown();
  });
  return port;
}

function adsBootstrapFile(xdsPort: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'weft-concurrency-'));
  const file = join(dir, 'bootstrap.json');
  writeFileSync(file, JSON.stringify(adsBootstrap(xdsPort)));
  return file;
}

describe('weft-proxy --concurrency 2', () => {
  it('serves a static listener from two workers, sums their stats, re-forks a killed worker and drains on SIGTERM', async () => {
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    const port = await freePort();
    const proxy = runProxy(['-c', bootstrapFile(port, upstream.port), '--concurrency', '2', '--drain-time-s', '1']);
    const admin = Number((await proxy.waitFor((l) => l.msg === 'admin listening')).address!.split(':').pop());
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);

    const info = JSON.parse((await get(admin, '/server_info')).body) as { command_line_options: { concurrency: number } };
    expect(info.command_line_options.concurrency).toBe(2);

    const statuses = await burst(port, 60);
    expect(statuses.every((s) => s === 200)).toBe(true);
    const stats = (await get(admin, '/stats')).body;
    expect(stat(stats, 'http.ingress.downstream_rq_total')).toBe(60);
    const perWorker = [stat(stats, 'listener.ingress.worker_0.downstream_cx_total'), stat(stats, 'listener.ingress.worker_1.downstream_cx_total')];
    expect(perWorker[0]! + perWorker[1]!).toBe(60);
    // SCHED_NONE: the kernel spreads connections; over 60 connections both workers get some.
    expect(perWorker.every((n) => n > 0)).toBe(true);
    const prometheus = (await get(admin, '/stats/prometheus')).body;
    expect(prometheus).toMatch(/envoy_http_downstream_rq_total\{envoy_http_conn_manager_prefix="ingress"\} 60/);

    const first = await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 0);
    process.kill(first.pid!, 'SIGKILL');
    await proxy.waitFor((l) => l.msg === 'worker exited; re-forking' && l.worker === 0);
    const second = await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 0 && l.pid !== first.pid);
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);
    expect((await burst(port, 20)).every((s) => s === 200)).toBe(true);

    const workerPids = [second.pid!, (await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 1)).pid!];
    proxy.child.kill('SIGTERM');
    expect(await exited(proxy.child)).toBe(0);
    expect(workerPids.filter(alive)).toEqual([]);
  });

  it('exits on POST /quitquitquit, taking its workers along', async () => {
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    const port = await freePort();
    const proxy = runProxy(['-c', bootstrapFile(port, upstream.port), '--concurrency', '2', '--drain-time-s', '0']);
    const admin = Number((await proxy.waitFor((l) => l.msg === 'admin listening')).address!.split(':').pop());
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);
    expect((await get(port, '/')).status).toBe(200);
    expect(await post(admin, '/quitquitquit')).toBe(200);
    expect(await exited(proxy.child)).toBe(0);
  });

  it('hands ADS config from the primary to both workers, which serve the dynamic listener', async () => {
    const upstream = await startUpstream();
    cleanups.push(() => upstream.close());
    const port = await freePort();
    const xdsPort = await startControlPlane(port, upstream.port);
    const proxy = runProxy(['-c', adsBootstrapFile(xdsPort), '--concurrency', '2', '--drain-time-s', '0']);
    const admin = Number((await proxy.waitFor((l) => l.msg === 'admin listening')).address!.split(':').pop());
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);
    expect((await burst(port, 40)).every((s) => s === 200)).toBe(true);
    const stats = (await get(admin, '/stats')).body;
    expect(stat(stats, 'http.dyn.downstream_rq_total')).toBe(40);
    // Envoy's xDS update stats, which pilot-agent's readiness reads through `?usedonly`.
    const used = (await get(admin, '/stats?usedonly')).body;
    expect(stat(used, 'cluster_manager.cds.update_success')).toBeGreaterThanOrEqual(1);
    expect(stat(used, 'listener_manager.lds.update_success')).toBeGreaterThanOrEqual(1);
    expect(stat(used, 'listener_manager.lds.update_attempt')).toBeGreaterThanOrEqual(1);
    expect(used).not.toMatch(/^cluster_manager\.cds\.update_rejected:/m);
    expect((await get(admin, '/config_dump')).body).toContain('"name": "dyn"');
    expect([stat(stats, 'listener.dyn.worker_0.downstream_cx_total'), stat(stats, 'listener.dyn.worker_1.downstream_cx_total')].every((n) => n > 0)).toBe(true);
    // A restarted worker gets the accepted config replayed and serves the dynamic listener again.
    const first = await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 1);
    process.kill(first.pid!, 'SIGKILL');
    await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 1 && l.pid !== first.pid);
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);
    expect((await burst(port, 40)).every((s) => s === 200)).toBe(true);
    const after = (await get(admin, '/stats')).body;
    expect(stat(after, 'listener.dyn.worker_1.downstream_cx_total')).toBeGreaterThan(0);
    proxy.child.kill('SIGTERM');
    expect(await exited(proxy.child)).toBe(0);
  });
});

/** An upstream that holds every request until release() (counting those it holds), and answers /healthz with `health`. */
async function startHoldingUpstream(): Promise<{ port: number; held: () => number; served: () => number; release: () => void; setHealth: (status: number) => void; probes: () => number; close: () => Promise<void> }> {
  const waiting: http.ServerResponse[] = [];
  let health = 200;
  let probes = 0;
  let served = 0;
  const server = http.createServer((req, res) => {
    if (req.url === '/healthz') {
      probes++;
      res.writeHead(health).end();
      return;
    }
    served++;
    waiting.push(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    held: () => waiting.length,
    served: () => served,
    release: () => {
      for (const res of waiting.splice(0)) res.end('ok');
    },
    setHealth: (status) => (health = status),
    probes: () => probes,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

describe('weft-proxy --concurrency 2: one process, as Envoy', () => {
  it('holds circuit-breaker limits for the whole process, not per worker, and shows the counts in the primary', async () => {
    const upstream = await startHoldingUpstream();
    cleanups.push(() => upstream.close());
    const port = await freePort();
    const breakers = { circuit_breakers: { thresholds: [{ max_requests: 2, track_remaining: true }] } };
    const proxy = runProxy(['-c', bootstrapFile(port, upstream.port, breakers), '--concurrency', '2', '--drain-time-s', '0']);
    const admin = Number((await proxy.waitFor((l) => l.msg === 'admin listening')).address!.split(':').pop());
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);

    // Requests on their own connections, in batches of 24, until the kernel has given both workers at
    // least 2 (at most 10 batches): 2 are held upstream, every other one overflows.
    const pending: Promise<{ status: number; body: string }>[] = [];
    const early: number[] = [];
    let perWorker = [0, 0];
    let stats = '';
    for (let batch = 0; batch < 10 && !perWorker.every((n) => n >= 2); batch++) {
      const more = Array.from({ length: 24 }, () => get(port, '/'));
      for (const p of more) void p.then((r) => early.push(r.status));
      pending.push(...more);
      await expect.poll(() => early.length, { timeout: 15_000 }).toBe(pending.length - 2);
      stats = (await get(admin, '/stats')).body;
      perWorker = [stat(stats, 'listener.ingress.worker_0.downstream_cx_total'), stat(stats, 'listener.ingress.worker_1.downstream_cx_total')];
    }
    expect(early.every((s) => s === 503)).toBe(true);
    expect(upstream.held()).toBe(2);
    // Both workers took connections (with per-worker limits, each would have let 2 through).
    expect(perWorker.every((n) => n >= 2)).toBe(true);
    expect(stat(stats, 'cluster.web.circuit_breakers.default.rq_open')).toBe(1);
    expect(stat(stats, 'cluster.web.circuit_breakers.default.remaining_rq')).toBe(0);

    upstream.release();
    const all = await Promise.all(pending);
    expect(all.filter((r) => r.status === 200)).toHaveLength(2);
    await expect.poll(async () => stat((await get(admin, '/stats')).body, 'cluster.web.circuit_breakers.default.remaining_rq'), { timeout: 5_000 }).toBe(2);
    proxy.child.kill('SIGTERM');
    expect(await exited(proxy.child)).toBe(0);
  });

  it('runs active health checks once, in the primary, and its workers follow the verdicts; histograms and config gauges are not multiplied', async () => {
    const [a, b] = [await startHoldingUpstream(), await startHoldingUpstream()];
    cleanups.push(() => a.close(), () => b.close());
    // The upstreams answer requests at once (each held request is released as soon as it is seen).
    const releaser = setInterval(() => (a.release(), b.release()), 5);
    cleanups.push(() => clearInterval(releaser));
    const port = await freePort();
    const endpoint = (p: number) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } });
    const checks = {
      load_assignment: { cluster_name: 'web', endpoints: [{ lb_endpoints: [endpoint(a.port), endpoint(b.port)] }] },
      health_checks: [{ timeout: '1s', interval: '0.1s', no_traffic_interval: '0.1s', unhealthy_threshold: 1, healthy_threshold: 1, http_health_check: { path: '/healthz' } }],
    };
    const proxy = runProxy(['-c', bootstrapFile(port, a.port, checks), '--concurrency', '2', '--drain-time-s', '0']);
    const admin = Number((await proxy.waitFor((l) => l.msg === 'admin listening')).address!.split(':').pop());
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);
    await expect.poll(async () => stat((await get(admin, '/stats')).body, 'cluster.web.membership_healthy'), { timeout: 10_000 }).toBe(2);

    expect((await burst(port, 30)).every((s) => s === 200)).toBe(true);
    let stats = (await get(admin, '/stats')).body;
    // One checker for the process: two healthy hosts, two members, one cluster (not one set per process, summed).
    expect(stat(stats, 'cluster.web.health_check.healthy')).toBe(2);
    expect(stat(stats, 'cluster.web.membership_total')).toBe(2);
    expect(stat(stats, 'cluster_manager.active_clusters')).toBe(1);
    // Every probe the upstreams saw is one the primary counted (give or take one in flight).
    const attempts = stat(stats, 'cluster.web.health_check.attempt');
    const probes = a.probes() + b.probes();
    expect(attempts).toBeGreaterThan(0);
    expect(Math.abs(probes - attempts)).toBeLessThanOrEqual(2);
    // Histograms of both workers, merged: every request's downstream_rq_time.
    expect((await get(admin, '/stats/prometheus')).body).toMatch(/envoy_http_downstream_rq_time_count\{envoy_http_conn_manager_prefix="ingress"\} 30/);

    // Host a fails its check: neither worker sends it anything; it passes again: both use it again.
    a.setHealth(503);
    await expect.poll(async () => stat((await get(admin, '/stats')).body, 'cluster.web.membership_healthy'), { timeout: 10_000 }).toBe(1);
    const before = { served: a.served() };
    expect((await burst(port, 40)).every((s) => s === 200)).toBe(true);
    expect(a.served()).toBe(before.served);
    stats = (await get(admin, '/stats')).body;
    expect(stat(stats, 'listener.ingress.worker_0.downstream_cx_total')).toBeGreaterThan(0);
    expect(stat(stats, 'listener.ingress.worker_1.downstream_cx_total')).toBeGreaterThan(0);
    a.setHealth(200);
    await expect.poll(async () => stat((await get(admin, '/stats')).body, 'cluster.web.membership_healthy'), { timeout: 10_000 }).toBe(2);
    await expect.poll(async () => (await burst(port, 20), a.served() > before.served), { timeout: 10_000 }).toBe(true);

    // A worker that starts over gets the primary's verdicts: with host a failing, the new worker never uses it.
    a.setHealth(503);
    await expect.poll(async () => stat((await get(admin, '/stats')).body, 'cluster.web.membership_healthy'), { timeout: 10_000 }).toBe(1);
    const first = await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 1);
    process.kill(first.pid!, 'SIGKILL');
    await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 1 && l.pid !== first.pid);
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);
    const servedBefore = a.served();
    expect((await burst(port, 40)).every((s) => s === 200)).toBe(true);
    expect(a.served()).toBe(servedBefore);
    proxy.child.kill('SIGTERM');
    expect(await exited(proxy.child)).toBe(0);
  });

  it('runs outlier detection once, in the primary: consecutive 5xx across both workers eject a host once, for both', async () => {
    const good = await startHoldingUpstream();
    cleanups.push(() => good.close());
    const releaser = setInterval(() => good.release(), 5);
    cleanups.push(() => clearInterval(releaser));
    // The bad host answers every request 503.
    const badServer = http.createServer((_req, res) => res.writeHead(503).end());
    await new Promise<void>((r) => badServer.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => (badServer.closeAllConnections(), badServer.close(() => r()))));
    const badPort = (badServer.address() as AddressInfo).port;
    const port = await freePort();
    const endpoint = (p: number) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } });
    const od = {
      load_assignment: { cluster_name: 'web', endpoints: [{ lb_endpoints: [endpoint(good.port), endpoint(badPort)] }] },
      outlier_detection: { consecutive_5xx: 4, base_ejection_time: '300s', max_ejection_percent: 100, interval: '300s' },
    };
    const proxy = runProxy(['-c', bootstrapFile(port, good.port, od), '--concurrency', '2', '--drain-time-s', '0']);
    const admin = Number((await proxy.waitFor((l) => l.msg === 'admin listening')).address!.split(':').pop());
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);

    // Requests one at a time on fresh connections, spread by the kernel over both workers, until the bad host is out.
    await expect
      .poll(
        async () => {
          await get(port, '/');
          return stat((await get(admin, '/stats')).body, 'cluster.web.outlier_detection.ejections_active');
        },
        { timeout: 20_000, interval: 1 },
      )
      .toBe(1);
    const stats = (await get(admin, '/stats')).body;
    // One detector for the process: one ejection, after 4 consecutive 503s from both workers together.
    expect(stat(stats, 'cluster.web.outlier_detection.ejections_enforced_consecutive_5xx')).toBe(1);
    expect(stat(stats, 'cluster.web.outlier_detection.ejections_enforced_total')).toBe(1);
    expect(stat(stats, 'listener.ingress.worker_0.downstream_cx_total')).toBeGreaterThan(0);
    expect(stat(stats, 'listener.ingress.worker_1.downstream_cx_total')).toBeGreaterThan(0);
    // Both workers follow the ejection: nothing reaches the bad host any more.
    await expect.poll(async () => (await burst(port, 20)).every((s) => s === 200), { timeout: 10_000 }).toBe(true);
    expect((await burst(port, 40)).every((s) => s === 200)).toBe(true);

    // A worker that starts over is told the host is out.
    const first = await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 0);
    process.kill(first.pid!, 'SIGKILL');
    await proxy.waitFor((l) => l.msg === 'worker started' && l.worker === 0 && l.pid !== first.pid);
    await expect.poll(async () => (await get(admin, '/ready')).status, { timeout: 15_000 }).toBe(200);
    expect((await burst(port, 40)).every((s) => s === 200)).toBe(true);
    proxy.child.kill('SIGTERM');
    expect(await exited(proxy.child)).toBe(0);
  });
});
