// Active HTTP and TCP health checks against real servers: a host whose /health answers 503 leaves the
// load balancer at once and comes back after healthy_threshold good answers; stats count the attempts.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadProtoRegistry, type Cluster__Output } from '@weft/api';
import { silentLogger } from '@weft/base';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultLoadBalancers } from '../src/load-balancer/index.js';
import { StatStore } from '../src/stats/stat-store.js';
import { ClusterManager } from '../src/upstream/cluster-manager.js';

const registry = loadProtoRegistry();
const closers: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serve(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s: net.Socket) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

const ms = (n: number) => ({ seconds: Math.floor(n / 1000), nanos: (n % 1000) * 1e6 });

function clusterOf(ports: number[], check: object): Cluster__Output {
  return {
    name: 'web',
    type: 'STATIC',
    lb_policy: 'ROUND_ROBIN',
    connect_timeout: ms(1000),
    load_assignment: { cluster_name: 'web', endpoints: [{ priority: 0, lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } })) }] },
    health_checks: [{ timeout: ms(500), interval: ms(30), no_traffic_interval: ms(30), unhealthy_threshold: { value: 2 }, healthy_threshold: { value: 2 }, ...check }],
  } as unknown as Cluster__Output;
}

function manager(c: Cluster__Output) {
  const stats = new StatStore();
  const cm = new ClusterManager(registry, defaultLoadBalancers(), stats, silentLogger());
  closers.push(() => cm.close());
  const problem = cm.apply([c], []);
  if (problem) throw new Error(problem);
  return { cluster: cm.get('web')!, stats };
}

describe('active HTTP health checks', () => {
  it('takes a host out while /health answers 503 and back once it answers 200', async () => {
    let status = 200;
    const hosts: string[] = [];
    const flipping = await serve(
      http.createServer((req, res) => {
        hosts.push(req.headers.host ?? '');
        res.writeHead(req.url === '/health' ? status : 404).end();
      }),
    );
    const steady = await serve(http.createServer((_req, res) => res.writeHead(200).end()));
    const { cluster, stats } = manager(clusterOf([flipping, steady], { http_health_check: { path: '/health', host: '', expected_statuses: [] } }));
    const byPort = (port: number) => cluster.allHosts().find((h) => h.port === port)!;
    const chosen = () => new Set(Array.from({ length: 6 }, () => cluster.chooseHost({ random: Math.random })?.port));

    await expect.poll(() => cluster.allHosts().every((h) => h.healthy)).toBe(true);
    expect(chosen()).toEqual(new Set([flipping, steady]));
    expect(hosts[0]).toBe('web'); // the cluster name, as Envoy sends when http_health_check.host is empty

    status = 503;
    await expect.poll(() => byPort(flipping).failedActiveHc).toBe(true);
    expect(byPort(flipping).outlierEjected).toBe(false);
    expect(chosen()).toEqual(new Set([steady]));
    expect(stats.counter('cluster.web.health_check.failure').value).toBeGreaterThan(0);
    expect(stats.gauge('cluster.web.health_check.healthy').value).toBe(1);

    status = 200;
    await expect.poll(() => byPort(flipping).healthy).toBe(true);
    expect(chosen()).toEqual(new Set([flipping, steady]));
    expect(stats.counter('cluster.web.health_check.attempt').value).toBeGreaterThanOrEqual(stats.counter('cluster.web.health_check.success').value + stats.counter('cluster.web.health_check.failure').value);
  });
});

describe('active TCP health checks', () => {
  it('passes a host that answers the expected payload and fails one that does not listen', async () => {
    const pong = await serve(net.createServer((s) => s.on('data', (d) => (d.toString() === 'ping' ? s.write('pong') : s.end()))));
    const dead = await serve(net.createServer());
    const { cluster, stats } = manager(clusterOf([pong, dead], { tcp_health_check: { send: { text: Buffer.from('ping').toString('hex') }, receive: [{ text: Buffer.from('pong').toString('hex') }] } }));
    const byPort = (port: number) => cluster.allHosts().find((h) => h.port === port)!;
    await expect.poll(() => byPort(pong).healthy).toBe(true);
    // The silent server accepts but never answers, so its checks time out (network failures).
    expect(byPort(dead).failedActiveHc).toBe(true);
    await expect.poll(() => stats.counter('cluster.web.health_check.network_failure').value).toBeGreaterThan(0);
  });
});
