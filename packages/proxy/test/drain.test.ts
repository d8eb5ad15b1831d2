// The drain, end to end: the built weft-proxy as a child process in front of a real upstream on
// 127.0.0.1, real HTTP/1.1 and HTTP/2 clients, SIGTERM and the admin API; and an EDS update that
// takes a host away while a request to it is in flight.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRegistry, TypeUrl } from '@weft/api';
import { createXdsServer, makeResource, Snapshot, SnapshotCache } from '@weft/xds';
import { afterEach, describe, expect, it } from 'vitest';
import { adsBootstrap, freePort, runProxy, staticBootstrap, type ProxyProcess } from './fixtures/proxy-process.js';

const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface SlowUpstream {
  readonly port: number;
  /** Resolves once a request for `path` has reached the upstream. */
  arrived(path: string): Promise<void>;
  /** Connections open to the upstream now. */
  openSockets(): number;
}

/** Answers `<name> <path>`; a path `/delay/<ms>` is answered after that long. */
async function startUpstream(name = 'up'): Promise<SlowUpstream> {
  const seen = new Set<string>();
  const events = new EventEmitter();
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    seen.add(path);
    events.emit('request', path);
    const delay = Number(/^\/delay\/(\d+)/.exec(path)?.[1] ?? 0);
    req.resume();
    const timer = setTimeout(() => {
      timers.delete(timer);
      if (!res.destroyed) res.end(`${name} ${path}`);
    }, delay);
    timers.add(timer);
  });
  server.on('connection', (s: net.Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(
    () =>
      new Promise<void>((r) => {
        for (const t of timers) clearTimeout(t);
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    arrived: (path) =>
      seen.has(path)
        ? Promise.resolve()
        : new Promise((resolve) => {
            const on = (p: string) => {
              if (p !== path) return;
              events.off('request', on);
              resolve();
            };
            events.on('request', on);
          }),
    openSockets: () => sockets.size,
  };
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The request went out on a kept-alive connection. */
  readonly reused: boolean;
}

function get(port: number, path: string, agent: http.Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, reused: req.reusedSocket }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function keepAliveAgent(): http.Agent {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  cleanups.push(() => agent.destroy());
  return agent;
}

function admin(port: number, path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function serverState(adminPort: number): Promise<string> {
  return (JSON.parse((await admin(adminPort, '/server_info')).body) as { state: string }).state;
}

function stat(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name.replace(/[.|]/g, '\\$&')}: (\\d+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

/** What a fresh TCP connection to the port meets: `connected` or the error code. */
function connectOutcome(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve('connected');
    });
    s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
  });
}

/** A request's outcome as text, so a cut one is a value to assert on. */
function outcome(p: Promise<Reply>): Promise<string> {
  return p.then(
    (r) => `${r.status} ${r.body}`,
    (e: NodeJS.ErrnoException) => `cut (${e.code ?? e.message})`,
  );
}

async function startStatic(drainTimeS: number, extra: string[] = []): Promise<{ proxy: ProxyProcess; port: number; adminPort: number; upstream: SlowUpstream }> {
  const upstream = await startUpstream();
  const port = await freePort();
  const proxy = runProxy(staticBootstrap(port, upstream.port), ['--drain-time-s', String(drainTimeS), ...extra]);
  cleanups.push(() => proxy.kill());
  const adminPort = await proxy.adminPort();
  await expect.poll(async () => (await admin(adminPort, '/ready')).status, { timeout: 15_000 }).toBe(200);
  return { proxy, port, adminPort, upstream };
}

describe('weft-proxy drain on SIGTERM', () => {
  it('finishes a request in flight, cuts one longer than --drain-time-s, refuses new connections, then exits 0', async () => {
    const { proxy, port, adminPort, upstream } = await startStatic(3);
    const short = get(port, '/delay/2000', keepAliveAgent());
    const long = outcome(get(port, '/delay/10000', keepAliveAgent()));
    await Promise.all([upstream.arrived('/delay/2000'), upstream.arrived('/delay/10000')]);
    proxy.child.kill('SIGTERM');
    await expect.poll(() => serverState(adminPort)).toBe('DRAINING');
    expect((await admin(adminPort, '/ready')).body).toBe('DRAINING\n');
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    const done = await short;
    expect(done.status).toBe(200);
    expect(done.body).toBe('up /delay/2000');
    // Its keep-alive connection is asked to close (Envoy's drain_close).
    expect(done.headers.connection).toBe('close');
    expect(await long).toMatch(/^cut/);
    expect(await proxy.exited).toBe(0);
    expect(proxy.lines.some((l) => l.msg === 'drain time is over; closing the connections left')).toBe(true);
  });

  it('answers the next request on a kept-alive connection with connection: close, then exits once it closed', async () => {
    const { proxy, port, adminPort } = await startStatic(600);
    const agent = keepAliveAgent();
    const first = await get(port, '/', agent);
    expect(first.headers.connection).toBe('keep-alive');
    proxy.child.kill('SIGTERM');
    await expect.poll(() => serverState(adminPort)).toBe('DRAINING');
    const second = await get(port, '/', agent);
    expect(second.reused).toBe(true);
    expect(second.status).toBe(200);
    expect(second.headers.connection).toBe('close');
    // No connection is left: the process does not wait out its 600 s.
    expect(await proxy.exited).toBe(0);
    expect(proxy.lines.some((l) => l.msg === 'no downstream connection left')).toBe(true);
  });

  it('sends an HTTP/2 client GOAWAY and lets its open stream finish', async () => {
    const { proxy, port, upstream } = await startStatic(600);
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', () => undefined);
    cleanups.push(() => void session.destroy());
    const goaway = new Promise<number>((resolve) => session.once('goaway', (_code: number, lastStreamId: number) => resolve(lastStreamId)));
    const stream = session.request({ ':path': '/delay/1500' });
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      let status = 0;
      let body = '';
      stream.on('response', (h) => (status = Number(h[':status'])));
      stream.setEncoding('utf8').on('data', (d: string) => (body += d));
      stream.on('end', () => resolve({ status, body }));
      stream.on('error', reject);
    });
    stream.end();
    await upstream.arrived('/delay/1500');
    proxy.child.kill('SIGTERM');
    // The notice names the largest stream id: nothing the client already sent is refused.
    expect(await goaway).toBe(2 ** 31 - 1);
    expect(await response).toEqual({ status: 200, body: 'up /delay/1500' });
    expect(await proxy.exited).toBe(0);
  });

  it('exits at once when no connection is open, whatever the drain time', async () => {
    const { proxy } = await startStatic(600);
    proxy.child.kill('SIGTERM');
    const code = await Promise.race([proxy.exited, new Promise<string>((r) => setTimeout(() => r('still running after 10 s'), 10_000).unref())]);
    expect(code).toBe(0);
  });

  it('drains with --concurrency 2: the workers finish their requests, the primary exits after them', async () => {
    const { proxy, port, adminPort, upstream } = await startStatic(3, ['--concurrency', '2']);
    const workers = await Promise.all([0, 1].map((w) => proxy.waitFor((l) => l.msg === 'worker started' && l.worker === w)));
    const short = get(port, '/delay/1500', keepAliveAgent());
    const long = outcome(get(port, '/delay/10000', keepAliveAgent()));
    await Promise.all([upstream.arrived('/delay/1500'), upstream.arrived('/delay/10000')]);
    proxy.child.kill('SIGTERM');
    await expect.poll(() => serverState(adminPort)).toBe('DRAINING');
    const done = await short;
    expect([done.status, done.headers.connection]).toEqual([200, 'close']);
    expect(await long).toMatch(/^cut/);
    expect(await proxy.exited).toBe(0);
    const alive = workers.filter((w) => {
      try {
        process.kill(w.pid!, 0);
        return true;
      } catch {
        return false;
      }
    });
    expect(alive).toEqual([]);
  });
});

describe('POST /drain_listeners', () => {
  it('graceful: DRAINING, connections asked to close while new ones are still served; plain: stops accepting; the process keeps running', async () => {
    const { proxy, port, adminPort } = await startStatic(600);
    const agent = keepAliveAgent();
    expect((await get(port, '/', agent)).headers.connection).toBe('keep-alive');
    expect((await admin(adminPort, '/drain_listeners?graceful', 'POST')).status).toBe(200);
    expect(await serverState(adminPort)).toBe('DRAINING');
    expect(await admin(adminPort, '/ready')).toEqual({ status: 503, body: 'DRAINING\n' });
    const next = await get(port, '/', agent);
    expect([next.reused, next.headers.connection]).toEqual([true, 'close']);
    // Envoy's graceful drain keeps accepting for the drain time, discouraging every connection.
    const fresh = await get(port, '/', keepAliveAgent());
    expect([fresh.status, fresh.headers.connection]).toEqual([200, 'close']);
    const stats = (await admin(adminPort, '/stats')).body;
    expect(stat(stats, 'http.ingress.downstream_cx_drain_close')).toBe(2);
    expect(stat(stats, 'listener_manager.total_listeners_draining')).toBe(1);
    expect(stat(stats, 'server.state')).toBe(1);
    expect((await admin(adminPort, '/drain_listeners', 'POST')).status).toBe(200);
    expect(await connectOutcome(port)).toBe('ECONNREFUSED');
    expect(proxy.child.exitCode).toBeNull();
    expect(await serverState(adminPort)).toBe('DRAINING');
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
  });
});

const registry = loadProtoRegistry();
const ADS = { ads: {}, resource_api_version: 'V3' };

/** An xDS server on 127.0.0.1 serving listener `dyn` → EDS cluster `dyn-cluster`; `push` replaces its endpoints. */
async function startControlPlane(listenerPort: number): Promise<{ port: number; push(version: string, upstreamPorts: number[]): void }> {
  const cache = new SnapshotCache();
  const hcm = {
    stat_prefix: 'dyn',
    route_config: { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'dyn-cluster', timeout: { seconds: 30 } } }] }] },
    http_filters: [{ name: 'envoy.filters.http.router', typed_config: registry.pack('envoy.extensions.filters.http.router.v3.Router', {}) }],
  };
  const push = (version: string, upstreamPorts: number[]) =>
    cache.setSnapshot(
      'test',
      Snapshot.create({
        version,
        resources: {
          [TypeUrl.Listener]: [
            makeResource(registry, TypeUrl.Listener, {
              name: 'dyn',
              address: { socket_address: { address: '127.0.0.1', port_value: listenerPort } },
              filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: registry.pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', hcm) }] }],
            }),
          ],
          [TypeUrl.Cluster]: [makeResource(registry, TypeUrl.Cluster, { name: 'dyn-cluster', type: 'EDS', connect_timeout: { seconds: 1 }, eds_cluster_config: { eds_config: ADS } })],
          [TypeUrl.ClusterLoadAssignment]: [
            makeResource(registry, TypeUrl.ClusterLoadAssignment, {
              cluster_name: 'dyn-cluster',
              endpoints: [{ lb_endpoints: upstreamPorts.map((p) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: p } } } })) }],
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
  return { port, push };
}

describe('an endpoint EDS removes', () => {
  it('has its idle pooled connections closed at once, while the request in flight to it completes', async () => {
    const a = await startUpstream('a');
    const b = await startUpstream('b');
    const port = await freePort();
    const cp = await startControlPlane(port);
    cp.push('v1', [a.port]);
    const proxy = runProxy(adsBootstrap(cp.port), ['--drain-time-s', '5']);
    cleanups.push(() => proxy.kill());
    const adminPort = await proxy.adminPort();
    await expect.poll(async () => (await admin(adminPort, '/ready')).status, { timeout: 15_000 }).toBe(200);
    // Two requests at once leave two pooled keep-alive connections to `a`.
    expect((await Promise.all([get(port, '/delay/200'), get(port, '/delay/200')])).map((r) => r.body)).toEqual(['a /delay/200', 'a /delay/200']);
    expect(a.openSockets()).toBe(2);
    const inFlight = get(port, '/delay/3000');
    await a.arrived('/delay/3000');
    cp.push('v2', [b.port]);
    await expect.poll(async () => (await get(port, '/')).body, { timeout: 10_000 }).toBe('b /');
    // The idle one closed; the busy one stays for its exchange.
    await expect.poll(() => a.openSockets()).toBe(1);
    expect(await outcome(inFlight)).toBe('200 a /delay/3000');
    // Done, it is not kept for reuse.
    await expect.poll(() => a.openSockets()).toBe(0);
    proxy.child.kill('SIGTERM');
    expect(await proxy.exited).toBe(0);
  });
});
