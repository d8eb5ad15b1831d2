// Malformed and hostile downstream traffic against an in-process ProxyServer: each case gets the
// status Envoy would answer (or its connection closed), and the proxy keeps serving — a normal
// request still gets 200 after every case.
import http2 from 'node:http2';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange, request, startProxy, startUpstream, type ProxyFixture } from './fixtures/static-proxy.js';

let proxy: ProxyFixture;
let upstream: Awaited<ReturnType<typeof startUpstream>>;

const HEADERS_TIMEOUT_MS = 300;
const MAX_STREAMS = 64;

beforeAll(async () => {
  upstream = await startUpstream();
  proxy = await startProxy({
    clusters: { web: [upstream.port] },
    routes: [{ name: 'web', prefix: '/', cluster: 'web' }],
    hcm: {
      max_request_headers_kb: 8,
      request_headers_timeout: `${HEADERS_TIMEOUT_MS / 1000}s`,
      http2_protocol_options: { max_concurrent_streams: MAX_STREAMS },
    },
  });
});

afterAll(async () => {
  await proxy?.stop();
  await upstream?.close();
});

async function stillServes(): Promise<void> {
  const res = await request(proxy.port, '/ok');
  expect(res.status).toBe(200);
  expect(res.body).toBe('hello');
}

function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.1 (\d{3})/.exec(raw)?.[1] ?? 0);
}

describe('malformed HTTP/1.1', () => {
  it('answers 431 to request headers over max_request_headers_kb', async () => {
    const big = `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10 * 1024)}\r\n\r\n`;
    const r = await rawExchange(proxy.port, big);
    expect(statusOf(r.data)).toBe(431);
    expect(r.closed).toBe(true);
    await stillServes();
  });

  it.each([
    ['Content-Length with Transfer-Encoding (smuggling)', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['an invalid request line', 'GET / HTTP/1.1 extra\r\nHost: x\r\n\r\n'],
    ['garbage instead of a request line', '\x01\x02\x03 not http at all\r\n\r\n'],
    ['a control character in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n'],
    ['an invalid chunk size', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n'],
  ])('answers 400 to %s', async (_name, bytes) => {
    const r = await rawExchange(proxy.port, bytes);
    expect(statusOf(r.data)).toBe(400);
    expect(r.data).not.toContain('hello');
    expect(r.closed).toBe(true);
    await stillServes();
  });

  it('cuts off a client that sends its headers byte by byte after request_headers_timeout', async () => {
    const started = Date.now();
    const socket = net.connect({ host: '127.0.0.1', port: proxy.port });
    const head = `GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ${'s'.repeat(200)}\r\n`;
    let i = 0;
    const drip = setInterval(() => {
      if (!socket.destroyed) socket.write(head[i++ % head.length]!);
    }, 20);
    let data = '';
    socket.setEncoding('latin1').on('data', (d: string) => (data += d));
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.on('close', () => resolve()));
    clearInterval(drip);
    const elapsed = Date.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(HEADERS_TIMEOUT_MS - 20);
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT_MS + 2_000);
    expect(statusOf(data)).toBe(408);
    await stillServes();
  });

  it('survives a connection reset before any byte, and one that never sends', async () => {
    const reset = net.connect({ host: '127.0.0.1', port: proxy.port });
    await new Promise<void>((r) => reset.on('connect', () => r()));
    reset.resetAndDestroy();
    const silent = net.connect({ host: '127.0.0.1', port: proxy.port });
    silent.on('error', () => undefined);
    await new Promise<void>((r) => silent.on('connect', () => r()));
    await stillServes();
    silent.destroy();
  });
});

describe('hostile HTTP/2', () => {
  function h2Get(session: http2.ClientHttp2Session, path: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const s = session.request({ ':path': path });
      let status = 0;
      s.on('response', (h) => (status = Number(h[':status'])));
      s.on('error', reject);
      s.resume();
      s.on('end', () => resolve(status));
    });
  }

  it('advertises max_concurrent_streams from http2_protocol_options', async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
    await new Promise<void>((r) => session.once('remoteSettings', () => r()));
    expect(session.remoteSettings.maxConcurrentStreams).toBe(MAX_STREAMS);
    expect(await h2Get(session, '/h2')).toBe(200);
    session.close();
  });

  it('closes a prior-knowledge connection that sends garbage frames, and only that one', async () => {
    const bystander = http2.connect(`http://127.0.0.1:${proxy.port}`);
    expect(await h2Get(bystander, '/before')).toBe(200);
    const settings = Buffer.from('000000040000000000', 'hex'); // an empty SETTINGS frame
    const garbage = Buffer.from('ffffffffffffffffdeadbeefdeadbeefdeadbeef', 'hex');
    const r = await rawExchange(proxy.port, Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), settings, garbage]), 15_000);
    expect(r.closed).toBe(true);
    expect(await h2Get(bystander, '/after')).toBe(200);
    bystander.close();
    await stillServes();
  });

  it('survives a rapid reset flood (2,000 streams opened and cancelled) and serves afterwards', async () => {
    const session = http2.connect(`http://127.0.0.1:${proxy.port}`);
    session.on('error', () => undefined);
    await new Promise<void>((r) => session.once('remoteSettings', () => r()));
    const started = Date.now();
    let opened = 0;
    while (opened < 2_000 && !session.closed && !session.destroyed && Date.now() - started < 5_000) {
      try {
        const s = session.request({ ':path': `/flood/${opened}` });
        s.on('error', () => undefined);
        s.close(http2.constants.NGHTTP2_CANCEL);
        opened++;
      } catch {
        break; // the proxy sent GOAWAY: no more streams on this connection
      }
      if (opened % 50 === 0) await new Promise((r) => setImmediate(r));
    }
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(opened).toBeGreaterThan(MAX_STREAMS);
    // The flooding connection is closed by the proxy (premature resets, or nghttp2's reset limit).
    await expect.poll(() => session.destroyed || session.closed, { timeout: 5_000 }).toBe(true);
    session.destroy();
    const fresh = http2.connect(`http://127.0.0.1:${proxy.port}`);
    expect(await h2Get(fresh, '/after-flood')).toBe(200);
    fresh.close();
    await stillServes();
  });
});
