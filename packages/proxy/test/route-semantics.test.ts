// Router and upstream semantics end to end, through a real ProxyServer to real upstreams on
// 127.0.0.1: upstream timeouts reported to outlier detection (LOCAL_ORIGIN_TIMEOUT), route priority
// HIGH on the cluster's HIGH circuit breakers and pools, per-route upgrade_configs over the
// connection manager's, and auto_host_rewrite from the endpoint hostname or DNS name.
import http from 'node:http';
import type net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { routeConfig, startRouterProxy, type RouterProxy } from './fixtures/router-proxy.js';

const closers: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

interface Upstream {
  readonly port: number;
  /** Requests not answered yet, oldest first (when `handle` holds them). */
  readonly held: http.ServerResponse[];
  /** Every connection the proxy opened. */
  readonly sockets: net.Socket[];
}

/** An HTTP/1.1 upstream; `handle` answers, or returns false to hold the request in `held`. */
async function upstream(handle: (req: http.IncomingMessage, res: http.ServerResponse) => boolean = (req, res) => (res.end(`host=${req.headers.host}`), true)): Promise<Upstream & { server: http.Server }> {
  const up = { port: 0, held: [] as http.ServerResponse[], sockets: [] as net.Socket[] };
  const server = http.createServer((req, res) => {
    if (!handle(req, res)) up.held.push(res);
  });
  server.on('connection', (s: net.Socket) => up.sockets.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return Object.assign(up, { port: (server.address() as AddressInfo).port, server });
}

function endpoint(port: number, address = '127.0.0.1', hostname?: string): Record<string, unknown> {
  return { endpoint: { ...(hostname ? { hostname } : {}), address: { socket_address: { address, port_value: port } } } };
}

function cluster(name: string, port: number, extra: Record<string, unknown> = {}, lbEndpoint: object = endpoint(port)): Record<string, unknown> {
  return { name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [lbEndpoint] }] }, ...extra };
}

/** A proxy whose one listener routes with these routes over these clusters; `hcm` adds HttpConnectionManager fields. */
async function proxy(clusters: Record<string, unknown>[], routes: Record<string, unknown>[], hcm: Record<string, unknown> = {}): Promise<RouterProxy> {
  const booted = await startRouterProxy({ clusters: {}, rawClusters: clusters, routeConfig: routeConfig(routes), hcm });
  closers.push(() => booted.stop());
  return booted;
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

describe('upstream timeouts and outlier detection', () => {
  const timeoutRoute = { match: { prefix: '/' }, route: { cluster: 'slow', timeout: '0.05s' } };
  // Long interval and ejection time: nothing is unejected while the test runs.
  const base = { interval: '60s', base_ejection_time: '60s', max_ejection_percent: 100 };

  it('counts a route timeout as a gateway failure (504) when local-origin errors are not split', async () => {
    const up = await upstream(() => false);
    const outlier = { ...base, consecutive_gateway_failure: 2, enforcing_consecutive_gateway_failure: 100, consecutive_5xx: 1000 };
    const p = await proxy([cluster('slow', up.port, { outlier_detection: outlier })], [timeoutRoute]);
    for (let i = 0; i < 2; i++) expect(await get(p.port, '/')).toMatchObject({ status: 504, body: 'upstream request timeout' });
    expect(await p.stat('cluster.slow.outlier_detection.ejections_enforced_consecutive_gateway_failure')).toBe(1);
    expect(await p.stat('cluster.slow.outlier_detection.ejections_active')).toBe(1);
    expect(await p.stat('cluster.slow.upstream_rq_timeout')).toBe(2);
  });

  it('counts a per-try timeout as a local-origin failure when split_external_local_origin_errors is set', async () => {
    const up = await upstream(() => false);
    const outlier = { ...base, split_external_local_origin_errors: true, consecutive_local_origin_failure: 2, enforcing_consecutive_local_origin_failure: 100, consecutive_gateway_failure: 1000, consecutive_5xx: 1000 };
    const route = { match: { prefix: '/' }, route: { cluster: 'slow', timeout: '10s', retry_policy: { retry_on: '5xx', num_retries: 1, per_try_timeout: '0.05s' } } };
    const p = await proxy([cluster('slow', up.port, { outlier_detection: outlier })], [route]);
    expect(await get(p.port, '/')).toMatchObject({ status: 504 });
    expect(await p.stat('cluster.slow.outlier_detection.ejections_enforced_consecutive_local_origin_failure')).toBe(1);
    expect(await p.stat('cluster.slow.outlier_detection.ejections_enforced_consecutive_gateway_failure')).toBe(0);
  });
});

describe('route priority HIGH', () => {
  const routes = [
    { match: { prefix: '/high' }, route: { cluster: 'cb', priority: 'HIGH', timeout: '10s' } },
    { match: { prefix: '/' }, route: { cluster: 'cb', timeout: '10s' } },
  ];

  it('takes requests from the HIGH circuit breakers: neither priority is limited by the other\'s max_requests', async () => {
    const up = await upstream(() => false);
    const thresholds = [{ max_requests: 1 }, { priority: 'HIGH', max_requests: 1 }];
    const p = await proxy([cluster('cb', up.port, { circuit_breakers: { thresholds } })], routes);
    const high = get(p.port, '/high/1');
    await expect.poll(() => up.held.length, { timeout: 5000 }).toBe(1);
    // HIGH is full; another HIGH request overflows, a DEFAULT one still goes.
    expect(await get(p.port, '/high/2')).toMatchObject({ status: 503, headers: { 'x-envoy-overloaded': 'true' } });
    const normal = get(p.port, '/default/1');
    await expect.poll(() => up.held.length, { timeout: 5000 }).toBe(2);
    expect(await get(p.port, '/default/2')).toMatchObject({ status: 503 });
    expect(await p.stat('cluster.cb.circuit_breakers.high.rq_open')).toBe(1);
    expect(await p.stat('cluster.cb.circuit_breakers.default.rq_open')).toBe(1);
    for (const r of up.held.splice(0)) r.end('ok');
    expect((await Promise.all([high, normal])).map((r) => r.status)).toEqual([200, 200]);
    expect(await p.stat('cluster.cb.circuit_breakers.high.rq_open')).toBe(0);
  });

  it('uses a pool of its own: a HIGH request opens a connection while DEFAULT\'s max_connections is used up', async () => {
    const up = await upstream(() => false);
    const thresholds = [{ max_connections: 1, max_pending_requests: 1 }, { priority: 'HIGH', max_connections: 1, max_pending_requests: 1 }];
    const p = await proxy([cluster('cb', up.port, { circuit_breakers: { thresholds } })], routes);
    const normal = get(p.port, '/default/1');
    await expect.poll(() => up.held.length, { timeout: 5000 }).toBe(1);
    const high = get(p.port, '/high/1');
    await expect.poll(() => up.held.length, { timeout: 5000 }).toBe(2);
    expect(up.sockets.length).toBe(2);
    expect(await p.stat('cluster.cb.circuit_breakers.default.cx_open')).toBe(1);
    expect(await p.stat('cluster.cb.circuit_breakers.high.cx_open')).toBe(1);
    for (const r of up.held.splice(0)) r.end('ok');
    expect((await Promise.all([normal, high])).map((r) => r.status)).toEqual([200, 200]);
  });
});

describe('per-route upgrade_configs', () => {
  /** An upstream that accepts WebSocket upgrades and echoes the tunnelled bytes. */
  async function wsUpstream(): Promise<Upstream> {
    const up = await upstream();
    const tunnels = new Set<net.Socket>();
    up.server.on('upgrade', (_req: http.IncomingMessage, socket: net.Socket) => {
      tunnels.add(socket);
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
      socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
      socket.on('error', () => undefined);
    });
    closers.push(async () => {
      for (const s of tunnels) s.destroy();
    });
    return up;
  }

  /** A WebSocket-style Upgrade request: 101 and one echoed message through the tunnel, or the refusal's status. */
  function upgrade(port: number, path: string): Promise<{ status: number; echoed?: string }> {
    return new Promise((resolve, reject) => {
      const req = http.request({ host: '127.0.0.1', port, path, agent: false, headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', 'sec-websocket-version': '13' } });
      req.on('upgrade', (res: http.IncomingMessage, socket: net.Socket) => {
        socket.once('data', (d: Buffer) => {
          socket.destroy();
          resolve({ status: res.statusCode ?? 0, echoed: d.toString() });
        });
        socket.write('hello');
      });
      req.on('response', (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 0 });
      });
      req.on('error', reject);
      req.end();
    });
  }

  const routes = (...r: [string, object | undefined][]) => r.map(([prefix, upgradeConfig]) => ({ match: { prefix }, route: { cluster: 'ws', ...(upgradeConfig ? { upgrade_configs: [upgradeConfig] } : {}) } }));

  it('a route disables an upgrade the connection manager enables (403), other routes keep it', async () => {
    const up = await wsUpstream();
    const p = await proxy([cluster('ws', up.port)], routes(['/off', { upgrade_type: 'websocket', enabled: false }], ['/', undefined]), { upgrade_configs: [{ upgrade_type: 'websocket' }] });
    expect(await upgrade(p.port, '/off')).toEqual({ status: 403 });
    expect(await upgrade(p.port, '/chat')).toEqual({ status: 101, echoed: 'echo:hello' });
  });

  it('a route enables an upgrade the connection manager disables; routes that say nothing refuse it', async () => {
    const up = await wsUpstream();
    const p = await proxy([cluster('ws', up.port)], routes(['/on', { upgrade_type: 'WebSocket' }], ['/', undefined]), { upgrade_configs: [{ upgrade_type: 'websocket', enabled: false }] });
    expect(await upgrade(p.port, '/on')).toEqual({ status: 101, echoed: 'echo:hello' });
    expect(await upgrade(p.port, '/chat')).toEqual({ status: 403 });
  });

  it('a route enables an upgrade the connection manager does not list (as Envoy does)', async () => {
    const up = await wsUpstream();
    const p = await proxy([cluster('ws', up.port)], routes(['/on', { upgrade_type: 'websocket' }], ['/', undefined]));
    expect(await upgrade(p.port, '/on')).toEqual({ status: 101, echoed: 'echo:hello' });
    expect(await upgrade(p.port, '/chat')).toEqual({ status: 403 });
  });
});

describe('auto_host_rewrite', () => {
  it('sets Host to the endpoint hostname, the DNS name of a DNS cluster, or leaves it when the host has none', async () => {
    const up = await upstream();
    const auto = (prefix: string, c: string) => ({ match: { prefix }, route: { cluster: c, auto_host_rewrite: true } });
    const dns = { type: 'STRICT_DNS', dns_lookup_family: 'V4_ONLY' };
    const p = await proxy(
      [
        cluster('named', up.port, {}, endpoint(up.port, '127.0.0.1', 'reviews.internal')),
        cluster('unnamed', up.port),
        cluster('dns', up.port, dns, endpoint(up.port, 'localhost')),
        cluster('dns_named', up.port, dns, endpoint(up.port, 'localhost', 'explicit.internal')),
      ],
      [auto('/named', 'named'), auto('/unnamed', 'unnamed'), auto('/dns-named', 'dns_named'), auto('/dns', 'dns'), { match: { prefix: '/' }, route: { cluster: 'named' } }],
    );
    const host = { host: 'front.example' };
    expect(await get(p.port, '/named', host)).toMatchObject({ status: 200, body: 'host=reviews.internal' });
    expect(await get(p.port, '/unnamed', host)).toMatchObject({ status: 200, body: 'host=front.example' });
    expect(await get(p.port, '/plain', host)).toMatchObject({ status: 200, body: 'host=front.example' });
    // The DNS clusters have hosts once their first resolution is in.
    await expect.poll(async () => (await get(p.port, '/dns', host)).body, { timeout: 5000 }).toBe('host=localhost');
    await expect.poll(async () => (await get(p.port, '/dns-named', host)).body, { timeout: 5000 }).toBe('host=explicit.internal');
  });
});
