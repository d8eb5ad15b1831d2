// Request smuggling through the router (Weft issue #8): a GET or HEAD whose Content-Length frames a
// body must have that body forwarded, so that the upstream connection stays in step with the
// downstream. One raw client connection sends a GET with a 195-byte body and then a POST whose body
// is itself a request; the upstream (one pooled connection, so any desync would show) must parse
// exactly those two requests, and a second client on that connection must get its own answer.
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from './fixtures/static-proxy.js';
import { routeConfig, startRouterProxy, type RouterProxy } from './fixtures/router-proxy.js';

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

let proxy: RouterProxy;
let upstream: http.Server;
const seen: Seen[] = [];
const upstreamConnections = new Set<net.Socket>();

beforeAll(async () => {
  upstream = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('latin1').on('data', (c: string) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', body });
      const answer = JSON.stringify({ method: req.method, url: req.url, bytes: body.length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
      res.end(answer);
    });
  });
  upstream.on('connection', (s: net.Socket) => upstreamConnections.add(s));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  proxy = await startRouterProxy({
    clusters: { web: { ports: [(upstream.address() as AddressInfo).port], maxConnections: 1 } },
    routeConfig: routeConfig([{ name: 'all', match: { prefix: '/' }, route: { cluster: 'web', timeout: '5s' } }]),
  });
});

afterAll(async () => {
  await proxy?.stop();
  upstream?.closeAllConnections();
  await new Promise<void>((r) => upstream?.close(() => r()));
});

/** Reads HTTP/1.1 responses (Content-Length framed) from a raw socket until `count` are complete. */
function readResponses(socket: net.Socket, count: number): Promise<{ status: number; body: string }[]> {
  return new Promise((resolve, reject) => {
    let data = '';
    const out: { status: number; body: string }[] = [];
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('close', () => reject(new Error(`connection closed after ${out.length} responses: ${data}`)));
    socket.on('data', (d: string) => {
      data += d;
      for (;;) {
        const end = data.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = data.slice(0, end);
        const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (data.length < end + 4 + length) break;
        out.push({ status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0), body: data.slice(end + 4, end + 4 + length) });
        data = data.slice(end + 4 + length);
        if (out.length === count) {
          socket.removeAllListeners('close');
          resolve(out);
          return;
        }
      }
    });
  });
}

describe('request smuggling', () => {
  it.each(['GET', 'HEAD'])('forwards the body of a %s with Content-Length, so a body-borne request is never run', async (method) => {
    seen.length = 0;
    const getBody = 'g'.repeat(195);
    const smuggled = 'GET /smuggled-secret HTTP/1.1\r\nHost: web\r\n\r\n';
    const bytes =
      `${method} /first HTTP/1.1\r\nHost: web\r\nContent-Length: 195\r\n\r\n${getBody}` +
      `POST /second HTTP/1.1\r\nHost: web\r\nContent-Length: ${smuggled.length}\r\n\r\n${smuggled}`;
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port }, () => socket.write(bytes));
    const responses = method === 'HEAD' ? readHeadThenOne(socket) : readResponses(socket, 2);
    const [first, second] = await responses;
    socket.destroy();
    expect(first?.status).toBe(200);
    expect(second?.status).toBe(200);
    if (method === 'GET') expect(JSON.parse(first!.body)).toEqual({ method: 'GET', url: '/first', bytes: 195 });
    expect(JSON.parse(second!.body)).toEqual({ method: 'POST', url: '/second', bytes: smuggled.length });
    expect(seen).toEqual([
      { method, url: '/first', body: getBody },
      { method: 'POST', url: '/second', body: smuggled },
    ]);
    expect(seen.some((s) => s.url.includes('smuggled-secret'))).toBe(false);
    // The next client reuses the one upstream connection and gets its own answer.
    const next = await request(proxy.port, '/third');
    expect(next.status).toBe(200);
    expect(JSON.parse(next.body)).toEqual({ method: 'GET', url: '/third', bytes: 0 });
    expect(seen.map((s) => s.url)).toEqual(['/first', '/second', '/third']);
    expect(upstreamConnections.size).toBe(1);
  });
});

/** A HEAD response has headers only (its Content-Length describes a body that is not sent). */
async function readHeadThenOne(socket: net.Socket): Promise<{ status: number; body: string }[]> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('data', (d: string) => {
      data += d;
      const firstEnd = data.indexOf('\r\n\r\n');
      if (firstEnd < 0) return;
      const rest = data.slice(firstEnd + 4);
      const end = rest.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(rest.slice(0, end))?.[1] ?? 0);
      if (rest.length < end + 4 + length) return;
      resolve([
        { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(data)?.[1] ?? 0), body: '' },
        { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(rest)?.[1] ?? 0), body: rest.slice(end + 4, end + 4 + length) },
      ]);
    });
  });
}
