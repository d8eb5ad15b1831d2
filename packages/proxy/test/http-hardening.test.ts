// The downstream hardening of the HTTP connection manager, over real sockets against an in-process
// proxy and a recording upstream: pipelining one request at a time, Envoy's header count limit, HTTP
// versions, Host validation, absolute-form and CONNECT targets, WebSocket upgrades, path
// normalization, x-forwarded-for and internal-header sanitizing, server_name, underscores, stream
// timeouts and max_requests_per_connection.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { loadProtoRegistry } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyListenerFactory } from '../src/server/listener-factory.js';
import { rawExchange, request, startProxy, type ProxyFixture } from './fixtures/static-proxy.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface Recorder {
  port: number;
  seen: Seen[];
  maxActive: number;
  close(): Promise<void>;
}

/** An upstream that records every request it parses; /slow answers after 30 ms, /hang never; WebSocket upgrades echo. */
async function startRecorder(): Promise<Recorder> {
  const rec: Recorder = { port: 0, seen: [], maxActive: 0, close: async () => undefined };
  const upgraded = new Set<net.Socket>();
  let active = 0;
  const server = http.createServer((req, res) => {
    active++;
    rec.maxActive = Math.max(rec.maxActive, active);
    let body = '';
    req.setEncoding('utf8').on('data', (c: string) => (body += c));
    req.on('end', () => {
      rec.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      if (req.url?.startsWith('/hang')) return;
      const answer = () => {
        active--;
        res.writeHead(200, { 'content-type': 'text/plain', server: 'upstream-server' });
        res.end(`ok ${req.url}`);
      };
      if (req.url?.startsWith('/slow')) setTimeout(answer, 30);
      else answer();
    });
  });
  server.on('upgrade', (req: http.IncomingMessage, socket: net.Socket) => {
    rec.seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: '' });
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nx-upstream: yes\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(Buffer.concat([Buffer.from('echo:'), d])));
    socket.on('end', () => socket.end());
    socket.on('error', () => undefined);
    upgraded.add(socket);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  rec.port = (server.address() as AddressInfo).port;
  rec.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      for (const s of upgraded) s.destroy();
      server.close(() => r());
    });
  return rec;
}

function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

const ROUTER = [{ name: 'envoy.filters.http.router', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } }];

function routeConfig(extra: object[] = []) {
  return {
    name: 'local',
    virtual_hosts: [
      { name: 'other', domains: ['other.example', 'other.example:*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 299, body: { inline_string: 'other vhost' } } }] },
      { name: 'all', domains: ['*'], routes: [...extra, { match: { prefix: '/' }, route: { cluster: 'web', timeout: '5s' } }] },
    ],
  };
}

let upstream: Recorder;
const proxies: ProxyFixture[] = [];

async function proxyWith(hcm: Record<string, unknown>, extraRoutes: object[] = []): Promise<ProxyFixture> {
  const p = await startProxy({ clusters: { web: [upstream.port] }, routes: [], hcm: { route_config: routeConfig(extraRoutes), http_filters: ROUTER, ...hcm } });
  proxies.push(p);
  return p;
}

let plain: ProxyFixture;

beforeAll(async () => {
  upstream = await startRecorder();
  plain = await proxyWith({});
});

afterAll(async () => {
  for (const p of proxies) await p.stop();
  await upstream?.close();
}, 30_000);

describe('HTTP/1.1 pipelining', () => {
  it('handles the requests of one connection one at a time, in order, and answers them all', async () => {
    upstream.maxActive = 0;
    const n = 40;
    const bytes = Array.from({ length: n }, (_, i) => `GET /slow/${i} HTTP/1.1\r\nHost: x\r\n\r\n`).join('') + 'GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n';
    const r = await rawExchange(plain.port, bytes, 10_000);
    const answers = [...r.data.matchAll(/ok (\/\S+)/g)].map((m) => m[1]);
    expect(answers).toEqual([...Array.from({ length: n }, (_, i) => `/slow/${i}`), '/last']);
    expect(upstream.maxActive).toBe(1);
  });
});

describe('request validation', () => {
  const headers = (n: number) => Array.from({ length: n }, (_, i) => `x-h${i}: v\r\n`).join('');

  it('answers 431 above max_headers_count (100 by default) and forwards 100', async () => {
    expect(statusOf((await rawExchange(plain.port, `GET /h100 HTTP/1.1\r\nHost: x\r\n${headers(98)}Connection: close\r\n\r\n`)).data)).toBe(200);
    // 2,100 headers are neither cut nor forwarded: the request is refused.
    const before = upstream.seen.length;
    expect(statusOf((await rawExchange(plain.port, `GET /h2100 HTTP/1.1\r\nHost: x\r\n${headers(2100)}\r\n`)).data)).toBe(431);
    expect(statusOf((await rawExchange(plain.port, `GET /h101 HTTP/1.1\r\nHost: x\r\n${headers(100)}\r\n`)).data)).toBe(431);
    expect(upstream.seen.length).toBe(before);
  });

  it('honours common_http_protocol_options.max_headers_count', async () => {
    const p = await proxyWith({ common_http_protocol_options: { max_headers_count: 5 } });
    expect(statusOf((await rawExchange(p.port, `GET / HTTP/1.1\r\nHost: x\r\n${headers(3)}Connection: close\r\n\r\n`)).data)).toBe(200);
    expect(statusOf((await rawExchange(p.port, `GET / HTTP/1.1\r\nHost: x\r\n${headers(5)}\r\n`)).data)).toBe(431);
  });

  it('answers 505 to HTTP/2.0 in an HTTP/1 request line and 426 to HTTP/1.0 (unless accept_http_10)', async () => {
    const v2 = await rawExchange(plain.port, 'GET /x HTTP/2.0\r\nHost: x\r\n\r\n');
    expect(statusOf(v2.data)).toBe(505);
    expect(v2.closed).toBe(true);
    expect(statusOf((await rawExchange(plain.port, 'GET /x HTTP/1.0\r\nHost: x\r\n\r\n')).data)).toBe(426);
    const p = await proxyWith({ http_protocol_options: { accept_http_10: true, default_host_for_http_10: 'other.example' } });
    expect((await rawExchange(p.port, 'GET /x HTTP/1.0\r\nHost: x\r\n\r\n')).data).toContain('ok /x');
    expect((await rawExchange(p.port, 'GET /x HTTP/1.0\r\n\r\n')).data).toContain('other vhost');
  });

  it('answers 400 to a duplicate or an invalid Host', async () => {
    expect(statusOf((await rawExchange(plain.port, 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n')).data)).toBe(400);
    expect(statusOf((await rawExchange(plain.port, 'GET / HTTP/1.1\r\nHost: a b@c\r\n\r\n')).data)).toBe(400);
  });

  it('routes an absolute-form request by the authority in its URI', async () => {
    const r = await rawExchange(plain.port, 'GET http://other.example:81/p?q HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(r.data).toContain('other vhost');
    const before = upstream.seen.length;
    await rawExchange(plain.port, 'GET http://web.example/abs?q=1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    const seen = upstream.seen.slice(before);
    expect(seen.map((s) => [s.url, s.headers.host])).toEqual([['/abs?q=1', 'web.example']]);
  });

  it('answers CONNECT with 404 (no route matches without a connect_matcher) and closes', async () => {
    const r = await rawExchange(plain.port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect(statusOf(r.data)).toBe(404);
    expect(r.closed).toBe(true);
  });

  it('refuses headers with underscores when headers_with_underscores_action is REJECT_REQUEST, drops them with DROP_HEADER', async () => {
    const reject = await proxyWith({ common_http_protocol_options: { headers_with_underscores_action: 'REJECT_REQUEST' } });
    expect((await request(reject.port, '/u', { headers: { x_bad: '1' } })).status).toBe(400);
    const drop = await proxyWith({ common_http_protocol_options: { headers_with_underscores_action: 'DROP_HEADER' } });
    const before = upstream.seen.length;
    expect((await request(drop.port, '/u', { headers: { x_bad: '1', 'x-good': '1' } })).status).toBe(200);
    const seen = upstream.seen[before]!;
    expect(seen.headers['x_bad']).toBeUndefined();
    expect(seen.headers['x-good']).toBe('1');
  });
});

describe('WebSocket upgrades', () => {
  const UPGRADE = 'GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

  it('tunnels an upgrade when upgrade_configs enables websocket: 101, then bytes both ways', async () => {
    const p = await proxyWith({ upgrade_configs: [{ upgrade_type: 'websocket' }] });
    const socket = net.connect(p.port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1').on('data', (d: string) => (data += d));
    socket.write(UPGRADE);
    await expect.poll(() => data, { timeout: 5000 }).toContain('\r\n\r\n');
    expect(statusOf(data)).toBe(101);
    expect(data.toLowerCase()).toContain('x-upstream: yes');
    const seen = upstream.seen.at(-1)!;
    expect(seen.url).toBe('/chat');
    expect(seen.headers.upgrade).toBe('websocket');
    expect(seen.headers['sec-websocket-key']).toBe('dGhlIHNhbXBsZSBub25jZQ==');
    socket.write('frame-1');
    await expect.poll(() => data, { timeout: 5000 }).toContain('echo:frame-1');
    socket.destroy();
  });

  it('refuses an upgrade with 403 when websocket is not enabled', async () => {
    const r = await rawExchange(plain.port, UPGRADE);
    expect(statusOf(r.data)).toBe(403);
  });
});

describe('paths', () => {
  it('normalize_path routes /fault/../w as /w, and the upstream gets the normalized path', async () => {
    const p = await proxyWith({ normalize_path: true }, [{ match: { prefix: '/fault' }, direct_response: { status: 503 } }]);
    const before = upstream.seen.length;
    expect((await request(p.port, '/fault/../w?x=1')).status).toBe(200);
    expect(upstream.seen[before]!.url).toBe('/w?x=1');
    // Without it, the path is matched as sent.
    const q = await proxyWith({}, [{ match: { prefix: '/fault' }, direct_response: { status: 503 } }]);
    expect((await rawExchange(q.port, 'GET /fault/../w HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).data).toMatch(/^HTTP\/1\.1 503/);
  });

  it('merge_slashes and path_with_escaped_slashes_action', async () => {
    const p = await proxyWith({ merge_slashes: true, path_with_escaped_slashes_action: 'UNESCAPE_AND_FORWARD' });
    const before = upstream.seen.length;
    expect((await request(p.port, '//a%2Fb///c')).status).toBe(200);
    expect(upstream.seen[before]!.url).toBe('/a/b/c');
    const r = await proxyWith({ path_with_escaped_slashes_action: 'REJECT_REQUEST' });
    expect((await request(r.port, '/a%2fb')).status).toBe(400);
    const redirect = await proxyWith({ path_with_escaped_slashes_action: 'UNESCAPE_AND_REDIRECT' });
    const res = await rawExchange(redirect.port, 'GET /a%2Fb?q HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(statusOf(res.data)).toBe(307);
    expect(res.data.toLowerCase()).toContain('location: /a/b?q');
  });
});

describe('forwarding headers', () => {
  it('use_remote_address appends the peer to an existing x-forwarded-for; the request is then external and loses x-envoy control headers', async () => {
    const p = await proxyWith({ use_remote_address: true });
    const before = upstream.seen.length;
    await request(p.port, '/xff', { headers: { 'x-forwarded-for': '203.0.113.7', 'x-envoy-ip-tags': 'forged', 'x-envoy-internal': 'true' } });
    const h = upstream.seen[before]!.headers;
    expect(h['x-forwarded-for']).toBe('203.0.113.7,127.0.0.1');
    expect(h['x-envoy-ip-tags']).toBeUndefined();
    expect(h['x-envoy-internal']).toBeUndefined();
    // From loopback with no x-forwarded-for, the request is internal and keeps them.
    await request(p.port, '/xff2', { headers: { 'x-envoy-ip-tags': 'kept' } });
    const h2 = upstream.seen[before + 1]!.headers;
    expect(h2['x-forwarded-for']).toBe('127.0.0.1');
    expect(h2['x-envoy-internal']).toBe('true');
    expect(h2['x-envoy-ip-tags']).toBe('kept');
  });

  it('without use_remote_address x-forwarded-for passes as sent and x-forwarded-proto is set when absent', async () => {
    const before = upstream.seen.length;
    await request(plain.port, '/xff3', { headers: { 'x-forwarded-for': '198.51.100.1, 10.0.0.1' } });
    const h = upstream.seen[before]!.headers;
    expect(h['x-forwarded-for']).toBe('198.51.100.1, 10.0.0.1');
    expect(h['x-forwarded-proto']).toBe('http');
  });

  it('sets server from server_name over the upstream one (OVERWRITE) and passes it through with PASS_THROUGH', async () => {
    expect((await request(plain.port, '/s')).headers['server']).toBe('envoy');
    const named = await proxyWith({ server_name: 'istio-envoy' });
    expect((await request(named.port, '/s')).headers['server']).toBe('istio-envoy');
    const pass = await proxyWith({ server_header_transformation: 'PASS_THROUGH' });
    expect((await request(pass.port, '/s')).headers['server']).toBe('upstream-server');
  });

  it('sanitizes x-forwarded-client-cert on plaintext connections (every mode but ALWAYS_FORWARD_ONLY)', async () => {
    const p = await proxyWith({ forward_client_cert_details: 'APPEND_FORWARD' });
    const before = upstream.seen.length;
    await request(p.port, '/x', { headers: { 'x-forwarded-client-cert': 'By=spiffe://forged' } });
    expect(upstream.seen[before]!.headers['x-forwarded-client-cert']).toBeUndefined();
    const always = await proxyWith({ forward_client_cert_details: 'ALWAYS_FORWARD_ONLY' });
    await request(always.port, '/x', { headers: { 'x-forwarded-client-cert': 'By=spiffe://kept' } });
    expect(upstream.seen[before + 1]!.headers['x-forwarded-client-cert']).toBe('By=spiffe://kept');
  });
});

describe('timeouts and connection limits', () => {
  it('stream_idle_timeout answers 408 when nothing moves, and the upstream request is not left hanging', async () => {
    const p = await proxyWith({ stream_idle_timeout: '0.2s' });
    const res = await request(p.port, '/hang/idle');
    expect(res.status).toBe(408);
  });

  it('max_requests_per_connection closes the connection after that many responses', async () => {
    const p = await proxyWith({ common_http_protocol_options: { max_requests_per_connection: 2 } });
    const r = await rawExchange(p.port, 'GET /1 HTTP/1.1\r\nHost: x\r\n\r\nGET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n');
    expect([...r.data.matchAll(/ok (\/\d)/g)].map((m) => m[1])).toEqual(['/1', '/2']);
    expect(r.data.toLowerCase()).toContain('connection: close');
    expect(r.closed).toBe(true);
  });

  it('proxy_100_continue sends Expect: 100-continue upstream and relays its 100; without it the proxy answers it', async () => {
    const send = (port: number, path: string) =>
      new Promise<{ status: number; continued: boolean }>((resolve, reject) => {
        let continued = false;
        const req = http.request({ port, host: '127.0.0.1', method: 'POST', path, headers: { host: 'x', expect: '100-continue', 'content-length': '5' }, agent: false });
        // The body goes only after a 100 Continue: a proxy that never relays one leaves this request waiting.
        req.on('continue', () => {
          continued = true;
          req.end('hello');
        });
        req.on('response', (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode ?? 0, continued }));
        });
        req.on('error', reject);
      });
    const relayed = await proxyWith({ proxy_100_continue: true });
    expect(await send(relayed.port, '/expect-relayed')).toEqual({ status: 200, continued: true });
    const up = upstream.seen.find((r) => r.url === '/expect-relayed');
    expect(up?.headers['expect']).toBe('100-continue');
    expect(up?.body).toBe('hello');
    expect(await send(plain.port, '/expect-local')).toEqual({ status: 200, continued: true });
    const local = upstream.seen.find((r) => r.url === '/expect-local');
    expect(local?.headers['expect']).toBeUndefined();
    expect(local?.body).toBe('hello');
  });

  it('NACKs an HCM field weft-proxy does not implement, naming it', async () => {
    await expect(proxyWith({ local_reply_config: { mappers: [] , body_format: { text_format: 'x' } } })).rejects.toThrow(/local_reply_config/);
    await expect(proxyWith({ upgrade_configs: [{ upgrade_type: 'CONNECT' }] })).rejects.toThrow(/upgrade_configs\[0\]\.upgrade_type/);
  });
});

describe('listener addresses', () => {
  it('NACKs a listener whose socket address is not an IP (no DNS lookup, no bind attempt)', () => {
    const registry = loadProtoRegistry();
    const factory = new ProxyListenerFactory({ registry, clusters: { get: () => undefined }, routes: { get: () => undefined } as never, hashing: { hashOf: () => undefined } as never, logger: { child: () => ({}) } as never, onHttpComplete: () => undefined });
    const listener = (address: string) =>
      ({ name: 'gw', address: { socket_address: { address, port_value: 8080 } }, filter_chains: [] }) as never;
    expect(factory.check(listener('not-an-ip.example')).errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'listener gw.address.socket_address.address', message: "'not-an-ip.example' is not an IP address" })]));
    expect(factory.check(listener('0.0.0.0')).errors.filter((e) => e.path.includes('socket_address'))).toEqual([]);
    expect(factory.check(listener('::')).errors.filter((e) => e.path.includes('socket_address'))).toEqual([]);
  });
});
