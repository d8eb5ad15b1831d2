// tcp_proxy max_connect_attempts through a real ProxyServer: a refused upstream connect is tried
// again on a host chosen anew (the cluster's ROUND_ROBIN), up to max_connect_attempts (default 1),
// each failure counted in cluster.<name>.upstream_cx_connect_fail and a connection that used them
// all up in upstream_cx_connect_attempts_exceeded, read from the admin /stats.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { TcpProxy__Output } from '@weft/api';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpProxyFilter } from '../src/network/tcp-proxy.js';
import type { UpstreamTransport } from '../src/tls/upstream-tls-context.js';
import type { ClusterCounters, UpstreamCluster, UpstreamHost } from '../src/upstream/upstream-cluster.js';
import { startBootstrapProxy } from './fixtures/router-proxy.js';
import { closedPort, staticBootstrap, staticCluster, staticListener, tcpProxyFilter } from './fixtures/static-proxy.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** An echo server answering each chunk with `e:<chunk>`. */
async function echoServer(): Promise<number> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => s.write(`e:${d.toString()}`));
  });
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

/** A TCP server that accepts and never writes: a TLS handshake to it never completes. */
async function silentServer(): Promise<{ port: number; accepted: net.Socket[]; closed: Set<net.Socket> }> {
  const out = { port: 0, accepted: [] as net.Socket[], closed: new Set<net.Socket>() };
  const server = net.createServer((s) => {
    out.accepted.push(s);
    // Read (and drop) the ClientHello, so that the peer's close is seen.
    s.resume();
    s.on('error', () => undefined);
    s.once('close', () => out.closed.add(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of out.accepted) s.destroy();
        server.close(() => r());
      }),
  );
  out.port = (server.address() as AddressInfo).port;
  return out;
}

async function listen(onConnection: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => sockets.add(s));
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

interface ScriptedHost {
  readonly port: number;
  readonly transport?: UpstreamTransport;
}

/**
 * A cluster (TLS to its hosts, unless a host says otherwise) whose chooseHost returns `hosts` in
 * order, the last one again once they run out; each host records its outlier-detection results.
 */
function scriptedCluster(hosts: readonly ScriptedHost[], connectTimeoutMs: number) {
  const counters = Object.fromEntries(['upstream_rq_total', 'upstream_cx_total', 'upstream_cx_overflow', 'upstream_cx_connect_fail', 'upstream_cx_connect_attempts_exceeded'].map((n) => [n, { value: 0 }])) as unknown as ClusterCounters;
  const results: number[] = [];
  let ends = 0;
  const made = hosts.map(
    (h) =>
      ({
        address: '127.0.0.1',
        port: h.port,
        active: 0,
        ...(h.transport ? { transport: h.transport } : {}),
        begin: () => undefined,
        end: () => void ends++,
        recordResult: (status: number) => void results.push(status),
      }) as unknown as UpstreamHost,
  );
  let next = 0;
  let connections = 0;
  const cluster = {
    name: 'scripted',
    counters,
    transport: { kind: 'tls', options: { rejectUnauthorized: false, servername: 'upstream.example.com' } },
    connectTimeoutMs,
    chooseHost: () => made[Math.min(next++, made.length - 1)],
    tryStartConnection: () => (connections++, true),
    finishConnection: () => void connections--,
  } as unknown as UpstreamCluster;
  return { cluster, counters, results, ends: () => ends, connections: () => connections, chosen: () => next };
}

const tcpConfig = (maxConnectAttempts: number) => ({ cluster: 'scripted', cluster_specifier: 'cluster', max_connect_attempts: { value: maxConnectAttempts } }) as unknown as TcpProxy__Output;

/** A proxy with one tcp_proxy listener to cluster `echo` (STATIC, ROUND_ROBIN, these endpoint ports). */
async function startTcpProxy(ports: readonly number[], maxConnectAttempts?: number): Promise<{ port: number; stat(name: string): Promise<number | undefined> }> {
  const tcp = tcpProxyFilter('echo', maxConnectAttempts !== undefined ? { max_connect_attempts: maxConnectAttempts } : {});
  const booted = await startBootstrapProxy(staticBootstrap([staticCluster('echo', ports, { lb_policy: 'ROUND_ROBIN' })], [staticListener('tcp', tcp)]), 'tcp');
  closers.push(() => booted.stop());
  return { port: booted.port, stat: booted.stat };
}

/**
 * Connects through the proxy and sends `message`: resolves with the echo (then closes), or with
 * `closed` when the proxy closes the connection first without an answer.
 */
function exchange(port: number, message: string): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(message));
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      got += d;
      if (got === `e:${message}`) {
        s.destroy();
        resolve(got);
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => resolve(got === '' ? 'closed' : got));
  });
}

describe('tcp_proxy max_connect_attempts', () => {
  it('with 2 attempts, reaches the live endpoint of two (one refusing) on every connection', async () => {
    const refused = await closedPort();
    const live = await echoServer();
    const proxy = await startTcpProxy([refused, live], 2);
    // Round robin alternates between the two hosts, so of two connections in a row at least one
    // starts on the refusing endpoint, whichever the rotation's (random) start: its second attempt
    // goes to the live one.
    expect(await exchange(proxy.port, 'one')).toBe('e:one');
    expect(await exchange(proxy.port, 'two')).toBe('e:two');
    const fails = await proxy.stat('cluster.echo.upstream_cx_connect_fail');
    expect(fails).toBeGreaterThanOrEqual(1);
    expect(fails).toBeLessThanOrEqual(2);
    // Every attempt is an upstream connection: the two that worked and the refused ones.
    expect(await proxy.stat('cluster.echo.upstream_cx_total')).toBe(2 + fails!);
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_attempts_exceeded')).toBe(0);
  });

  it('with the default single attempt, the connection that starts on the refusing endpoint is closed', async () => {
    const refused = await closedPort();
    const live = await echoServer();
    const proxy = await startTcpProxy([refused, live]);
    // Of two connections in a row, exactly one starts on each host.
    const results = [await exchange(proxy.port, 'one'), await exchange(proxy.port, 'two')];
    expect(results.filter((r) => r === 'closed')).toHaveLength(1);
    expect(results.filter((r) => r.startsWith('e:'))).toHaveLength(1);
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_fail')).toBe(1);
    expect(await proxy.stat('cluster.echo.upstream_cx_total')).toBe(2);
    // Its one attempt failed: that used up max_connect_attempts (1).
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_attempts_exceeded')).toBe(1);
  });

  it('with max_connect_attempts 1 and only a refusing endpoint, closes the downstream connection and counts upstream_cx_connect_fail', async () => {
    const proxy = await startTcpProxy([await closedPort()], 1);
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_fail')).toBe(0);
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_attempts_exceeded')).toBe(0);
    expect(await exchange(proxy.port, 'x')).toBe('closed');
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_fail')).toBe(1);
    expect(await proxy.stat('cluster.echo.upstream_cx_total')).toBe(1);
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_attempts_exceeded')).toBe(1);
  });

  it('gives up after max_connect_attempts refused attempts, counting upstream_cx_connect_attempts_exceeded once', async () => {
    const proxy = await startTcpProxy([await closedPort()], 3);
    expect(await exchange(proxy.port, 'x')).toBe('closed');
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_fail')).toBe(3);
    expect(await proxy.stat('cluster.echo.upstream_cx_total')).toBe(3);
    expect(await proxy.stat('cluster.echo.upstream_cx_connect_attempts_exceeded')).toBe(1);
  });
});

describe('tcp_proxy connect attempts that do not fail fast', () => {
  it('tries the next host once connect_timeout passes without a connection (TLS handshake unanswered)', async () => {
    const silent = await silentServer();
    const live = await echoServer();
    const { cluster, counters, results } = scriptedCluster([{ port: silent.port }, { port: live, transport: { kind: 'plaintext' } }], 200);
    const filter = new TcpProxyFilter({ config: tcpConfig(2), clusters: { get: () => cluster } });
    const front = await listen((s) => filter.onConnection(s));
    expect(await exchange(front, 'late')).toBe('e:late');
    expect(silent.accepted).toHaveLength(1);
    // The timed-out attempt is closed, and counted as a connect failure for the cluster and the host.
    await expect.poll(() => silent.closed.size).toBe(1);
    expect(counters.upstream_cx_connect_fail.value).toBe(1);
    expect(counters.upstream_cx_total.value).toBe(2);
    expect(counters.upstream_cx_connect_attempts_exceeded.value).toBe(0);
    expect(results).toEqual([0, 200]);
  });

  it('counts no connect failure (and tries no other host) when the downstream leaves while the upstream connects', async () => {
    const silent = await silentServer();
    const live = await echoServer();
    const { cluster, counters, results, ends, connections, chosen } = scriptedCluster([{ port: silent.port }, { port: live, transport: { kind: 'plaintext' } }], 10_000);
    const filter = new TcpProxyFilter({ config: tcpConfig(2), clusters: { get: () => cluster } });
    const front = await listen((s) => filter.onConnection(s));
    const downstream = net.connect({ host: '127.0.0.1', port: front });
    downstream.on('error', () => undefined);
    await expect.poll(() => silent.accepted.length).toBe(1);
    downstream.destroy();
    // The attempt is abandoned: the host's attempt ends, the max_connections unit comes back.
    await expect.poll(() => ends()).toBe(1);
    await expect.poll(() => connections()).toBe(0);
    await expect.poll(() => silent.closed.size).toBe(1);
    expect(counters.upstream_cx_connect_fail.value).toBe(0);
    expect(counters.upstream_cx_connect_attempts_exceeded.value).toBe(0);
    expect(results).toEqual([]);
    expect(chosen()).toBe(1);
  });
});
