// The upstream pools' protocol options end to end, through a real ProxyServer to real upstreams:
// common_http_protocol_options.idle_timeout, max_connection_duration and max_requests_per_connection
// closing upstream connections (seen on the upstream's own sockets and sessions, and counted in
// cluster.web.upstream_cx_idle_timeout / _max_duration_reached / _max_requests on the admin /stats),
// response heads past Node's 16 KiB default (Envoy accepts 60 KiB), and HTTP/2 max_concurrent_streams
// spreading streams over sessions.
import http from 'node:http';
import http2 from 'node:http2';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../src/upstream/circuit-breaker.js';
import { Http2Pool } from '../src/upstream/conn-pool.js';
import { hcmFilter, staticBootstrap, staticCluster, staticListener } from './fixtures/static-proxy.js';
import { routeConfig, startBootstrapProxy } from './fixtures/router-proxy.js';

const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

/** A proxy with one listener routing everything to cluster `web`, whose extra fields (proto3 JSON) are `cluster`. */
async function startProxy(upstreamPort: number, cluster: Record<string, unknown>): Promise<{ port: number; stat(name: string): Promise<number | undefined> }> {
  const routes = routeConfig([{ match: { prefix: '/' }, route: { cluster: 'web', timeout: '10s' } }]);
  const booted = await startBootstrapProxy(staticBootstrap([staticCluster('web', [upstreamPort], cluster)], [staticListener('ingress', hcmFilter(routes))]), 'ingress');
  closers.push(() => booted.stop());
  return { port: booted.port, stat: booted.stat };
}

/** typed_extension_protocol_options with these HttpProtocolOptions (HTTP/1.1 unless `explicit_http_config` says otherwise). */
function protocolOptions(options: Record<string, unknown>): Record<string, unknown> {
  return { typed_extension_protocol_options: { [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, explicit_http_config: { http_protocol_options: {} }, ...options } } };
}

interface H1Upstream {
  readonly port: number;
  /** Every connection the proxy opened, in order, and whether each has closed. */
  readonly sockets: net.Socket[];
  readonly closed: Set<net.Socket>;
  readonly acceptedAt: Map<net.Socket, number>;
  /** Requests held by `handle` returning false, oldest first. */
  readonly held: http.ServerResponse[];
}

/**
 * An HTTP/1.1 upstream that never closes a keep-alive connection itself (keepAliveTimeout 0), so a
 * closed socket was closed by the proxy. `handle` answers a request, or returns false to hold it.
 */
async function h1Upstream(handle: (req: http.IncomingMessage, res: http.ServerResponse) => boolean = (_q, res) => (res.end('ok'), true)): Promise<H1Upstream> {
  const up: H1Upstream = { port: 0, sockets: [], closed: new Set(), acceptedAt: new Map(), held: [] };
  const server = http.createServer((req, res) => {
    if (!handle(req, res)) up.held.push(res);
  });
  server.keepAliveTimeout = 0;
  server.on('connection', (s: net.Socket) => {
    up.sockets.push(s);
    up.acceptedAt.set(s, Date.now());
    s.once('close', () => up.closed.add(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return Object.assign(up, { port: (server.address() as AddressInfo).port });
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One HTTP/1.1 request on a fresh downstream connection (response heads up to 64 KiB accepted). */
function get(port: number, path = '/'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false, maxHeaderSize: 64 * 1024 }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

const seconds = (ms: number) => `${ms / 1000}s`;

describe('HTTP/1.1 upstream: common_http_protocol_options', () => {
  it('closes an idle upstream connection after idle_timeout, and reuses it before', async () => {
    const up = await h1Upstream();
    const proxy = await startProxy(up.port, protocolOptions({ common_http_protocol_options: { idle_timeout: seconds(300) } }));
    expect((await get(proxy.port)).status).toBe(200);
    expect((await get(proxy.port)).status).toBe(200);
    // Both requests went over one keep-alive connection (far quicker than 300 ms apart)...
    expect(up.sockets).toHaveLength(1);
    // ...which the proxy closes once it has been idle for idle_timeout.
    await expect.poll(() => up.closed.has(up.sockets[0]!), { timeout: 5000 }).toBe(true);
    expect(await proxy.stat('cluster.web.upstream_cx_idle_timeout')).toBe(1);
    expect(await proxy.stat('cluster.web.upstream_cx_max_duration_reached')).toBe(0);
    // The next request opens a new connection.
    expect((await get(proxy.port)).status).toBe(200);
    expect(up.sockets).toHaveLength(2);
  });

  it('drains a busy connection at max_connection_duration: the request in flight finishes, then the connection closes', async () => {
    const duration = 300;
    // The upstream answers `duration` ms after it accepted the connection. The proxy's timer for
    // this connection started (on the same event loop) before the accept, so it fires first.
    const up = await h1Upstream((req, res) => {
      if (req.url !== '/slow') return (res.end('quick'), true);
      const since = Date.now() - up.acceptedAt.get(req.socket)!;
      setTimeout(() => res.end('slow done'), Math.max(0, duration - since) + 20);
      return true;
    });
    const proxy = await startProxy(up.port, protocolOptions({ common_http_protocol_options: { max_connection_duration: seconds(duration) } }));
    const r = await get(proxy.port, '/slow');
    expect(r).toMatchObject({ status: 200, body: 'slow done' });
    await expect.poll(() => up.closed.has(up.sockets[0]!), { timeout: 5000 }).toBe(true);
    expect(await proxy.stat('cluster.web.upstream_cx_max_duration_reached')).toBe(1);
    expect((await get(proxy.port)).body).toBe('quick');
    expect(up.sockets).toHaveLength(2);
  });

  it('closes an idle connection at max_connection_duration though idle_timeout is far off', async () => {
    const up = await h1Upstream();
    const proxy = await startProxy(up.port, protocolOptions({ common_http_protocol_options: { max_connection_duration: seconds(300), idle_timeout: '3600s' } }));
    expect((await get(proxy.port)).status).toBe(200);
    await expect.poll(() => up.closed.has(up.sockets[0]!), { timeout: 5000 }).toBe(true);
    expect(await proxy.stat('cluster.web.upstream_cx_max_duration_reached')).toBe(1);
    expect(await proxy.stat('cluster.web.upstream_cx_idle_timeout')).toBe(0);
  });

  it('closes a connection after max_requests_per_connection requests, counting upstream_cx_max_requests once', async () => {
    const up = await h1Upstream();
    const proxy = await startProxy(up.port, protocolOptions({ common_http_protocol_options: { max_requests_per_connection: 2 } }));
    for (let i = 0; i < 3; i++) expect((await get(proxy.port)).status).toBe(200);
    // The second request used up the first connection, which closed after its response.
    expect(up.sockets).toHaveLength(2);
    await expect.poll(() => up.closed.has(up.sockets[0]!), { timeout: 5000 }).toBe(true);
    expect(up.closed.has(up.sockets[1]!)).toBe(false);
    expect(await proxy.stat('cluster.web.upstream_cx_max_requests')).toBe(1);
  });

  it('passes a 20 KiB upstream response head through (Envoy accepts up to 60 KiB by default)', async () => {
    const big = Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`x-big-${i}`, String.fromCharCode(97 + i).repeat(1024)]));
    const up = await h1Upstream((_q, res) => {
      res.writeHead(200, big);
      res.end('big head');
      return true;
    });
    const proxy = await startProxy(up.port, {});
    const r = await get(proxy.port);
    expect(r.status).toBe(200);
    expect(r.body).toBe('big head');
    for (const [k, v] of Object.entries(big)) expect(r.headers[k]).toBe(v);
  });

  it('refuses an upstream response head over 60 KiB with a 503 (the upstream is reset)', async () => {
    const big = Object.fromEntries(Array.from({ length: 62 }, (_, i) => [`x-big-${i}`, 'z'.repeat(1024)]));
    const up = await h1Upstream((_q, res) => {
      res.writeHead(200, big);
      res.end('too big');
      return true;
    });
    const proxy = await startProxy(up.port, {});
    const r = await get(proxy.port);
    expect(r.status).toBe(503);
    expect(r.headers['x-big-0']).toBeUndefined();
    expect(r.body).toMatch(/^upstream connect error or disconnect\/reset before headers/);
  });
});

interface H2Upstream {
  readonly port: number;
  readonly sessions: http2.Http2Session[];
  readonly closed: Set<http2.Http2Session>;
  /** Sessions on which the proxy sent GOAWAY. */
  readonly goaway: Set<http2.Http2Session>;
  /** Streams held until the test answers them. */
  readonly held: http2.ServerHttp2Stream[];
  /** The number of concurrently open streams on each session, at its highest. */
  readonly peak: Map<http2.Http2Session, number>;
}

/** A node:http2 upstream; a `/hold` stream is held until the test answers it, others get 200 `ok`. */
async function h2Upstream(): Promise<H2Upstream> {
  const up: H2Upstream = { port: 0, sessions: [], closed: new Set(), goaway: new Set(), held: [], peak: new Map() };
  const open = new Map<http2.Http2Session, number>();
  const server = http2.createServer();
  server.on('session', (s) => {
    up.sessions.push(s);
    open.set(s, 0);
    up.peak.set(s, 0);
    s.once('close', () => up.closed.add(s));
    s.once('goaway', () => up.goaway.add(s));
  });
  server.on('stream', (stream, headers) => {
    const session = stream.session!;
    open.set(session, open.get(session)! + 1);
    up.peak.set(session, Math.max(up.peak.get(session)!, open.get(session)!));
    stream.once('close', () => open.set(session, open.get(session)! - 1));
    if (headers[':path'] === '/hold') up.held.push(stream);
    else {
      stream.respond({ ':status': 200 });
      stream.end('ok');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of up.sessions) s.destroy();
        server.close(() => r());
      }),
  );
  return Object.assign(up, { port: (server.address() as AddressInfo).port });
}

function h2Options(http2Options: Record<string, unknown>, common: Record<string, unknown> = {}): Record<string, unknown> {
  return protocolOptions({ explicit_http_config: { http2_protocol_options: http2Options }, common_http_protocol_options: common });
}

describe('HTTP/2 upstream', () => {
  it('spreads 6 concurrent requests over 3 sessions with max_concurrent_streams 2', async () => {
    const up = await h2Upstream();
    const proxy = await startProxy(up.port, {
      ...h2Options({ max_concurrent_streams: 2 }),
      circuit_breakers: { thresholds: [{ max_requests: 1000, max_pending_requests: 1000, max_connections: 1000 }] },
    });
    const replies = Array.from({ length: 6 }, () => get(proxy.port, '/hold'));
    // All six reach the upstream at once: none waits for another to finish.
    await expect.poll(() => up.held.length, { timeout: 5000 }).toBe(6);
    expect(up.sessions.length).toBeGreaterThanOrEqual(3);
    for (const peak of up.peak.values()) expect(peak).toBeLessThanOrEqual(2);
    for (const s of up.held) {
      s.respond({ ':status': 200 });
      s.end('held ok');
    }
    for (const r of await Promise.all(replies)) expect(r).toMatchObject({ status: 200, body: 'held ok' });
    expect(await proxy.stat('cluster.web.upstream_rq_total')).toBe(6);
  });

  it('closes an idle session after idle_timeout', async () => {
    const up = await h2Upstream();
    const proxy = await startProxy(up.port, h2Options({}, { idle_timeout: seconds(300) }));
    expect((await get(proxy.port)).body).toBe('ok');
    expect((await get(proxy.port)).body).toBe('ok');
    expect(up.sessions).toHaveLength(1);
    await expect.poll(() => up.closed.has(up.sessions[0]!), { timeout: 5000 }).toBe(true);
    expect(await proxy.stat('cluster.web.upstream_cx_idle_timeout')).toBe(1);
    expect((await get(proxy.port)).body).toBe('ok');
    expect(up.sessions).toHaveLength(2);
  });

  it('keeps a session with a stream in flight open past idle_timeout', async () => {
    const idle = 200;
    const up = await h2Upstream();
    const proxy = await startProxy(up.port, h2Options({}, { idle_timeout: seconds(idle) }));
    expect((await get(proxy.port)).body).toBe('ok');
    const held = get(proxy.port, '/hold');
    await expect.poll(() => up.held.length).toBe(1);
    // Answered after more than idle_timeout with the stream open: any idle timer the proxy had
    // started (earlier, shorter) would have fired before this one.
    await new Promise((r) => setTimeout(r, idle + 100));
    expect(up.closed.size).toBe(0);
    up.held[0]!.respond({ ':status': 200 });
    up.held[0]!.end('held ok');
    expect((await held).body).toBe('held ok');
    expect((await get(proxy.port)).body).toBe('ok');
    expect(up.sessions).toHaveLength(1);
  });

  it('drains a session at max_connection_duration (GOAWAY): the stream in flight finishes, new requests get a new session', async () => {
    const up = await h2Upstream();
    const proxy = await startProxy(up.port, h2Options({}, { max_connection_duration: seconds(300) }));
    const held = get(proxy.port, '/hold');
    await expect.poll(() => up.held.length).toBe(1);
    await expect.poll(() => up.goaway.has(up.sessions[0]!), { timeout: 5000 }).toBe(true);
    expect(up.closed.size).toBe(0);
    // A request after the GOAWAY goes over a new session while the old one still has its stream.
    expect((await get(proxy.port)).body).toBe('ok');
    expect(up.sessions).toHaveLength(2);
    up.held[0]!.respond({ ':status': 200 });
    up.held[0]!.end('held ok');
    expect((await held)).toMatchObject({ status: 200, body: 'held ok' });
    await expect.poll(() => up.closed.has(up.sessions[0]!), { timeout: 5000 }).toBe(true);
    // The second session may reach its own max_connection_duration by now: at least the first counted.
    expect(await proxy.stat('cluster.web.upstream_cx_max_duration_reached')).toBeGreaterThanOrEqual(1);
  });

  it('drains a session after max_requests_per_connection streams (GOAWAY), counting upstream_cx_max_requests once', async () => {
    const up = await h2Upstream();
    const proxy = await startProxy(up.port, h2Options({}, { max_requests_per_connection: 2 }));
    for (let i = 0; i < 3; i++) expect((await get(proxy.port)).body).toBe('ok');
    expect(up.sessions).toHaveLength(2);
    await expect.poll(() => up.closed.has(up.sessions[0]!), { timeout: 5000 }).toBe(true);
    expect(up.goaway.has(up.sessions[1]!)).toBe(false);
    expect(await proxy.stat('cluster.web.upstream_cx_max_requests')).toBe(1);
  });

  it('closes at idle_timeout a session whose only request overflowed max_pending_requests while it connected', async () => {
    const up = await h2Upstream();
    const resources = new ResourceManager({ maxConnections: 1024, maxPendingRequests: 1, maxRequests: 1024, maxRetries: 3 });
    const pool = new Http2Pool('127.0.0.1', up.port, { connectTimeoutMs: 1000, resources, maxConcurrentStreams: 1, idleTimeoutMs: 150 });
    closers.push(async () => pool.close());
    const req = { method: 'GET', path: '/', authority: 'web', headers: {} };
    // Both sent before any session connects: the first fills session A and the one pending place,
    // the second opens session B and overflows there.
    const first = pool.request(req, undefined, new AbortController().signal);
    await expect(pool.request(req, undefined, new AbortController().signal)).rejects.toMatchObject({ failure: 'overflow' });
    const res = await first;
    res.body.resume();
    await new Promise((r) => res.body.on('end', r));
    await expect.poll(() => up.sessions.length).toBe(2);
    // Neither session has a stream: both close after idle_timeout.
    await expect.poll(() => up.closed.size, { timeout: 5000 }).toBe(2);
    await expect.poll(() => pool.activeConnections()).toBe(0);
  });
});
