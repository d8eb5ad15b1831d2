// tcp_proxy against real sockets: connections piped to the chosen host, and max_connections (not
// max_requests) refusing a connection with upstream_cx_overflow, as Envoy's tcp_proxy does.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TcpProxy__Output } from '@weft/api';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxyFilter } from '../src/network/tcp-proxy.js';
import { Resource } from '../src/upstream/circuit-breaker.js';
import type { ClusterCounters, UpstreamCluster, UpstreamHost } from '../src/upstream/upstream-cluster.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(onConnection: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

function cluster(port: number, maxConnections: number) {
  const counters = Object.fromEntries(['upstream_rq_total', 'upstream_cx_total', 'upstream_cx_overflow', 'upstream_cx_connect_fail'].map((n) => [n, { value: 0 }])) as unknown as ClusterCounters;
  const connections = new Resource(maxConnections);
  const host = { address: '127.0.0.1', port, active: 0, begin: () => undefined, end: () => undefined, recordResult: () => undefined } as unknown as UpstreamHost;
  const c = {
    name: 'echo',
    counters,
    chooseHost: () => host,
    tryStartRequest: () => {
      throw new Error('tcp_proxy must not use max_requests');
    },
    tryStartConnection: () => connections.tryAcquire(),
    finishConnection: () => connections.release(),
  } as unknown as UpstreamCluster;
  return { c, counters, connections };
}

/** Connects through the proxy, sends `message`, and resolves with everything read until close. */
function roundTrip(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(message));
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      got += d;
      if (got.length >= message.length + 2) s.end();
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

describe('tcp_proxy', () => {
  it('pipes a connection to the host and counts it in upstream_cx_total', async () => {
    const upstream = await listen((s) => s.on('data', (d) => s.write(`e:${d.toString()}`)));
    const { c, counters, connections } = cluster(upstream, 10);
    const filter = new TcpProxyFilter({ config: { cluster: 'echo', cluster_specifier: 'cluster' } as unknown as TcpProxy__Output, clusters: { get: () => c } });
    const front = await listen((s) => filter.onConnection(s));
    expect(await roundTrip(front, 'hi')).toBe('e:hi');
    expect(counters.upstream_cx_total.value).toBe(1);
    await expect.poll(() => connections.active).toBe(0);
  });

  it('closes the downstream connection when max_connections is reached, counting upstream_cx_overflow', async () => {
    const upstream = await listen((s) => s.on('data', (d) => s.write(`e:${d.toString()}`)));
    const { c, counters } = cluster(upstream, 1);
    const filter = new TcpProxyFilter({ config: { cluster: 'echo', cluster_specifier: 'cluster' } as unknown as TcpProxy__Output, clusters: { get: () => c } });
    const front = await listen((s) => filter.onConnection(s));
    const held = net.connect({ host: '127.0.0.1', port: front });
    closers.push(async () => void held.destroy());
    await expect.poll(() => counters.upstream_cx_total.value).toBe(1);
    expect(await roundTrip(front, 'refused')).toBe('');
    expect(counters.upstream_cx_overflow.value).toBe(1);
  });
});
