// A downstream that gives up before the response headers cancels its upstream request (Weft issue
// #8; Envoy resets the upstream stream and logs DC). With no route timeout (Istio's default) the
// requests would otherwise stay in flight for ever: N clients leave, over HTTP/1.1 and HTTP/2, to
// HTTP/1.1 and HTTP/2 upstreams that never answer; the upstream sees each request aborted and the
// cluster's upstream_rq_active, read from the admin API, returns to 0.
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeConfig, startRouterProxy, type RouterProxy } from './fixtures/router-proxy.js';

const N = 20;

interface SlowUpstream {
  readonly port: number;
  /** Requests that arrived, and those whose stream or connection closed before an answer. */
  readonly arrived: () => number;
  readonly aborted: () => number;
  close(): Promise<void>;
}

/** An upstream that never answers and counts the requests the proxy abandons. */
async function slowUpstream(protocol: 'http1' | 'http2'): Promise<SlowUpstream> {
  let arrived = 0;
  let aborted = 0;
  const onRequest = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => {
    arrived++;
    res.once('close', () => {
      if (!res.writableEnded) aborted++;
    });
    req.resume();
  };
  const server = protocol === 'http2' ? http2.createServer(onRequest) : http.createServer(onRequest);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const sessions = new Set<http2.ServerHttp2Session>();
  server.on('session', (s: http2.ServerHttp2Session) => sessions.add(s));
  return {
    port: (server.address() as AddressInfo).port,
    arrived: () => arrived,
    aborted: () => aborted,
    close: () =>
      new Promise<void>((r) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        for (const s of sessions) s.destroy();
        server.close(() => r());
      }),
  };
}

let proxy: RouterProxy;
const upstreams: Record<'http1' | 'http2', SlowUpstream | undefined> = { http1: undefined, http2: undefined };

beforeAll(async () => {
  upstreams.http1 = await slowUpstream('http1');
  upstreams.http2 = await slowUpstream('http2');
  proxy = await startRouterProxy({
    clusters: { h1: { ports: [upstreams.http1.port] }, h2: { ports: [upstreams.http2.port], http2: true } },
    // timeout 0s: no route timeout, as Istio configures its routes.
    routeConfig: routeConfig([
      { name: 'h2', match: { prefix: '/h2' }, route: { cluster: 'h2', timeout: '0s' } },
      { name: 'h1', match: { prefix: '/' }, route: { cluster: 'h1', timeout: '0s' } },
    ]),
  });
});

afterAll(async () => {
  await proxy?.stop();
  await upstreams.http1?.close();
  await upstreams.http2?.close();
});

/** N HTTP/1.1 clients, each on its own connection; resolves once all are sent, with a way to abandon them. */
function http1Clients(path: string): { abandon(): void } {
  const reqs = Array.from({ length: N }, () => {
    const r = http.request({ host: '127.0.0.1', port: proxy.port, path, agent: false });
    r.on('error', () => undefined);
    r.end();
    return r;
  });
  return { abandon: () => reqs.forEach((r) => r.destroy()) };
}

/** N HTTP/2 streams on one session; abandoning resets each stream (RST_STREAM CANCEL). */
function http2Clients(path: string): { abandon(): void; close(): void } {
  const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
  session.on('error', () => undefined);
  const streams = Array.from({ length: N }, () => {
    const s = session.request({ ':path': path });
    s.on('error', () => undefined);
    s.end();
    return s;
  });
  return { abandon: () => streams.forEach((s) => s.close(http2.constants.NGHTTP2_CANCEL)), close: () => session.destroy() };
}

describe.each([
  ['HTTP/1.1', 'http1', '/slow'],
  ['HTTP/1.1', 'http2', '/h2/slow'],
  ['HTTP/2', 'http1', '/slow'],
  ['HTTP/2', 'http2', '/h2/slow'],
] as const)('downstream %s to an %s upstream', (downstream, upstream, path) => {
  it(`cancels the upstream requests of ${N} clients that leave before the response headers`, async () => {
    const u = upstreams[upstream]!;
    const cluster = upstream === 'http2' ? 'h2' : 'h1';
    const before = { arrived: u.arrived(), aborted: u.aborted() };
    const clients: { abandon(): void; close?(): void } = downstream === 'HTTP/2' ? http2Clients(path) : http1Clients(path);
    await expect.poll(() => u.arrived() - before.arrived, { timeout: 10_000 }).toBe(N);
    expect(await proxy.stat(`cluster.${cluster}.upstream_rq_active`)).toBe(N);
    clients.abandon();
    await expect.poll(() => proxy.stat(`cluster.${cluster}.upstream_rq_active`), { timeout: 10_000 }).toBe(0);
    await expect.poll(() => u.aborted() - before.aborted, { timeout: 10_000 }).toBe(N);
    clients.close?.();
  });
});
