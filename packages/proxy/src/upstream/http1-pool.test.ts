// Http1Pool against real upstreams on 127.0.0.1: node:http servers for the usual exchanges, and raw
// net servers that write exact bytes for framing, resets and protocol errors. Reuse is seen on the
// upstream's own sockets; a connection the pool must not reuse is seen closing there.
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { PassThrough, Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from './circuit-breaker.js';
import { wholeBody } from './http1-connection.js';
import { Http1Pool } from './http1-pool.js';
import { poolCounters, type PoolLimits, type UpstreamRequest, type UpstreamResponse } from './pool-types.js';

const closers: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

interface Upstream {
  readonly port: number;
  /** Every connection the pool opened, in order, and those that closed. */
  readonly sockets: net.Socket[];
  readonly closed: Set<net.Socket>;
}

function track(server: net.Server): Pick<Upstream, 'sockets' | 'closed'> {
  const up = { sockets: [] as net.Socket[], closed: new Set<net.Socket>() };
  server.on('connection', (s: net.Socket) => {
    up.sockets.push(s);
    s.once('close', () => up.closed.add(s));
  });
  return up;
}

/** A node:http upstream (it never closes a keep-alive connection itself). */
async function httpUpstream(handle: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Upstream & { server: http.Server }> {
  const server = http.createServer(handle);
  server.keepAliveTimeout = 0;
  const up = track(server);
  const port = await listen(server);
  closers.push(() => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))));
  return { ...up, port, server };
}

/**
 * A raw upstream: `answer` gets each request head (bodies are not read) with the socket and the
 * request's index among all it received, and writes whatever bytes it likes.
 */
async function rawUpstream(answer: (socket: net.Socket, head: string, index: number) => void): Promise<Upstream> {
  let index = 0;
  const server = net.createServer((socket) => {
    let buffered = '';
    socket.on('error', () => undefined);
    socket.setEncoding('latin1').on('data', (d: string) => {
      buffered += d;
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        answer(socket, head, index++);
      }
    });
  });
  const up = track(server);
  const port = await listen(server);
  closers.push(() => new Promise<void>((r) => (up.sockets.forEach((s) => s.destroy()), server.close(() => r()))));
  return { ...up, port };
}

function makePool(port: number, limits: Partial<PoolLimits> = {}, maxConnections = 16): Http1Pool {
  const resources = new ResourceManager({ maxConnections, maxPendingRequests: 16, maxRequests: 1024, maxRetries: 3 });
  const pool = new Http1Pool('127.0.0.1', port, { connectTimeoutMs: 1000, resources, ...limits });
  closers.push(() => pool.close());
  return pool;
}

const GET: UpstreamRequest = { method: 'GET', path: '/', authority: 'web', headers: {} };

function send(pool: Http1Pool, req: Partial<UpstreamRequest> = {}, body?: NodeJS.ReadableStream, signal = new AbortController().signal): Promise<UpstreamResponse> {
  return pool.request({ ...GET, ...req }, body, signal);
}

/** The whole body as text (rejects when the body errors). */
function text(res: UpstreamResponse): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    res.body.on('data', (d: Buffer) => (out += d.toString('latin1')));
    res.body.on('end', () => resolve(out));
    res.body.on('error', reject);
  });
}

async function exchange(pool: Http1Pool, req: Partial<UpstreamRequest> = {}, body?: NodeJS.ReadableStream): Promise<{ status: number; headers: UpstreamResponse['headers']; body: string }> {
  const res = await send(pool, req, body);
  return { status: res.status, headers: res.headers, body: await text(res) };
}

const ok = (body: string, extra = '') => `HTTP/1.1 200 OK\r\ncontent-length: ${body.length}\r\n${extra}\r\n${body}`;

describe('Http1Pool keep-alive', () => {
  it('sends sequential requests over one connection, with host and the headers as given', async () => {
    const seen: http.IncomingHttpHeaders[] = [];
    const up = await httpUpstream((req, res) => {
      seen.push(req.headers);
      res.end(`hello ${req.url}`);
    });
    const pool = makePool(up.port);
    for (let i = 0; i < 3; i++) expect(await exchange(pool, { path: `/${i}`, headers: { 'x-n': String(i) } })).toMatchObject({ status: 200, body: `hello /${i}` });
    expect(up.sockets).toHaveLength(1);
    expect(pool.activeConnections()).toBe(1);
    expect(seen.map((h) => [h.host, h['x-n']])).toEqual([
      ['web', '0'],
      ['web', '1'],
      ['web', '2'],
    ]);
    // Nothing node:http used to add: no connection header, no content-length on a GET.
    expect(seen[0]!.connection).toBeUndefined();
    expect(seen[0]!['content-length']).toBeUndefined();
  });

  it('reuses the most recently freed connection first (LIFO)', async () => {
    const held: { res: http.ServerResponse; socket: net.Socket }[] = [];
    const up = await httpUpstream((req, res) => {
      if (req.url === '/hold') held.push({ res, socket: req.socket });
      else res.end(String(up.sockets.indexOf(req.socket)));
    });
    const pool = makePool(up.port);
    const first = send(pool, { path: '/hold' });
    const second = send(pool, { path: '/hold' });
    await expect.poll(() => held.length).toBe(2);
    const [a, b] = held;
    a!.res.end('a');
    expect(await text(await first)).toBe('a');
    b!.res.end('b');
    expect(await text(await second)).toBe('b');
    // b's connection went idle last: the next request goes there.
    expect((await exchange(pool)).body).toBe(String(up.sockets.indexOf(b!.socket)));
    expect(up.sockets).toHaveLength(2);
  });

  it('drops a connection the upstream closed while idle, and serves the next request on a new one', async () => {
    const up = await rawUpstream((socket) => socket.end(ok('bye')));
    const pool = makePool(up.port);
    expect((await exchange(pool)).body).toBe('bye');
    await expect.poll(() => pool.activeConnections()).toBe(0);
    expect((await exchange(pool)).body).toBe('bye');
    expect(up.sockets).toHaveLength(2);
  });

  it('closes a connection whose response said connection: close', async () => {
    const up = await rawUpstream((socket) => socket.write(ok('once', 'connection: close\r\n')));
    const pool = makePool(up.port);
    expect((await exchange(pool)).body).toBe('once');
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
    expect((await exchange(pool)).body).toBe('once');
    expect(up.sockets).toHaveLength(2);
  });

  it.each([
    ['a whole second response', 'HTTP/1.1 204 No Content\r\n\r\n'],
    ['the start of a second response', 'HTTP/1.1 20'],
  ])('closes a connection whose upstream sent %s after the one asked for', async (_name, extra) => {
    const up = await rawUpstream((socket) => socket.write(ok('one') + extra));
    const pool = makePool(up.port);
    expect((await exchange(pool)).body).toBe('one');
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
    expect(pool.activeConnections()).toBe(0);
  });
});

describe('Http1Pool request bodies', () => {
  interface Seen {
    headers: http.IncomingHttpHeaders;
    body: string;
  }
  async function echo(): Promise<{ up: Upstream & { server: http.Server }; seen: Seen[] }> {
    const seen: Seen[] = [];
    const up = await httpUpstream((req, res) => {
      let body = '';
      req.setEncoding('latin1').on('data', (d: string) => (body += d));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        res.end(`got ${body.length}`);
      });
    });
    return { up, seen };
  }

  it('sends a body without content-length chunked, and reuses the connection after', async () => {
    const { up, seen } = await echo();
    const pool = makePool(up.port);
    const r = await exchange(pool, { method: 'POST' }, Readable.from([Buffer.from('hello '), Buffer.alloc(0), Buffer.from('world')]));
    expect(r.body).toBe('got 11');
    expect(seen[0]!.headers['transfer-encoding']).toBe('chunked');
    expect(seen[0]!.headers['content-length']).toBeUndefined();
    expect(seen[0]!.body).toBe('hello world');
    expect((await exchange(pool, { method: 'POST' }, Readable.from([Buffer.from('again')]))).body).toBe('got 5');
    expect(up.sockets).toHaveLength(1);
  });

  it('sends a body with content-length as is', async () => {
    const { up, seen } = await echo();
    const pool = makePool(up.port);
    const big = 'x'.repeat(300_000);
    const r = await exchange(pool, { method: 'PUT', headers: { 'content-length': String(big.length + 3) } }, Readable.from([Buffer.from('abc'), Buffer.from(big)]));
    expect(r.body).toBe(`got ${big.length + 3}`);
    expect(seen[0]!.headers['transfer-encoding']).toBeUndefined();
    expect(seen[0]!.headers['content-length']).toBe(String(big.length + 3));
    expect(seen[0]!.body).toBe(`abc${big}`);
    expect((await exchange(pool)).body).toBe('got 0');
    expect(up.sockets).toHaveLength(1);
  });

  it('sends content-length: 0 with a POST that has no body (as node:http did)', async () => {
    const { up, seen } = await echo();
    const pool = makePool(up.port);
    expect((await exchange(pool, { method: 'POST' })).body).toBe('got 0');
    expect(seen[0]!.headers['content-length']).toBe('0');
  });

  it('refuses a header value that would split the head, without sending anything', async () => {
    const { up } = await echo();
    const pool = makePool(up.port);
    await expect(send(pool, { headers: { 'x-evil': 'a\r\nx-injected: 1' } })).rejects.toMatchObject({ failure: 'reset' });
    await expect(send(pool, { path: '/a b' })).rejects.toMatchObject({ failure: 'reset' });
    expect(up.sockets).toHaveLength(0);
  });

  it('stops pulling the request body while the upstream does not read it (bounded buffering)', async () => {
    const total = 64 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'r');
    let produced = 0;
    const body = new Readable({
      read() {
        this.push(produced < total ? chunk : null);
        produced += chunk.length;
      },
    });
    let resumeUpstream: (() => void) | undefined;
    const up = await httpUpstream((req, res) => {
      req.pause();
      let got = 0;
      resumeUpstream = () => req.resume();
      req.on('data', (d: Buffer) => (got += d.length));
      req.on('end', () => res.end(String(got)));
    });
    const pool = makePool(up.port);
    const res = send(pool, { method: 'POST', headers: { 'content-length': String(total) } }, body);
    await expect.poll(() => resumeUpstream).toBeDefined();
    await new Promise((r) => setTimeout(r, 200));
    // The kernel's buffers and a stream's high-water mark hold some; the rest waits in the source.
    expect(produced).toBeLessThan(total / 2);
    resumeUpstream!();
    expect(await text(await res)).toBe(String(total));
  });

  it('closes the connection when the response ends before the request body was sent whole', async () => {
    const up = await rawUpstream((socket) => socket.write(ok('early')));
    const pool = makePool(up.port);
    const body = new PassThrough();
    body.write('part of it');
    expect((await exchange(pool, { method: 'POST' }, body)).body).toBe('early');
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
    expect(pool.activeConnections()).toBe(0);
  });

  it('relays 100 Continue to onContinue before the body is sent', async () => {
    const { up, seen } = await echo();
    up.server.on('checkContinue', (req: http.IncomingMessage, res: http.ServerResponse) => {
      res.writeContinue();
      up.server.emit('request', req, res);
    });
    const pool = makePool(up.port);
    const body = new PassThrough();
    let continued = 0;
    const res = send(pool, { method: 'POST', headers: { expect: '100-continue', 'content-length': '4' }, onContinue: () => (continued++, body.end('data')) }, body);
    expect(await text(await res)).toBe('got 4');
    expect(continued).toBe(1);
    expect(seen[0]!.body).toBe('data');
  });

  it('skips other 1xx responses', async () => {
    const up = await rawUpstream((socket) => socket.write(`HTTP/1.1 103 Early Hints\r\nlink: </a>\r\n\r\n${ok('final')}`));
    const pool = makePool(up.port);
    let continued = 0;
    expect(await exchange(pool, { onContinue: () => continued++ })).toMatchObject({ status: 200, body: 'final' });
    expect(continued).toBe(0);
  });
});

describe('Http1Pool response delivery', () => {
  it('hands over a response that came in one read whole: its body can be taken at once (wholeBody)', async () => {
    const up = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello'));
    const pool = makePool(up.port);
    const res = await send(pool);
    expect(res.status).toBe(200);
    expect(wholeBody(res.body)?.toString()).toBe('hello');
    // A body still arriving is not whole.
    const slow = await rawUpstream((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nhello');
      setTimeout(() => socket.write('world'), 50);
    });
    const partial = await send(makePool(slow.port));
    expect(wholeBody(partial.body)).toBeUndefined();
    expect(await text(partial)).toBe('helloworld');
  });
});

describe('Http1Pool response framing', () => {
  it('reads no body for HEAD although content-length is set, and reuses the connection', async () => {
    const up = await rawUpstream((socket, head) => socket.write(head.startsWith('HEAD') ? 'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n' : ok('after')));
    const pool = makePool(up.port);
    expect(await exchange(pool, { method: 'HEAD' })).toMatchObject({ status: 200, headers: { 'content-length': '5' }, body: '' });
    expect((await exchange(pool)).body).toBe('after');
    expect(up.sockets).toHaveLength(1);
  });

  it('reads no body for 204 and 304', async () => {
    const up = await rawUpstream((socket, _head, i) => socket.write(i === 0 ? 'HTTP/1.1 204 No Content\r\n\r\n' : i === 1 ? 'HTTP/1.1 304 Not Modified\r\ncontent-length: 9\r\n\r\n' : ok('third')));
    const pool = makePool(up.port);
    expect(await exchange(pool)).toMatchObject({ status: 204, body: '' });
    expect(await exchange(pool)).toMatchObject({ status: 304, body: '' });
    expect((await exchange(pool)).body).toBe('third');
    expect(up.sockets).toHaveLength(1);
  });

  it('reads a chunked response and gives its trailers with lower-case names before end', async () => {
    const up = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Checksum\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\nX-Checksum: abc\r\nGrpc-Status: 0\r\n\r\n'));
    const pool = makePool(up.port);
    const res = await send(pool);
    const body = res.body as Readable & { trailers?: Record<string, string> };
    let atEnd: Record<string, string> | undefined;
    body.on('end', () => (atEnd = body.trailers));
    expect(await text(res)).toBe('hello world');
    expect(atEnd).toEqual({ 'x-checksum': 'abc', 'grpc-status': '0' });
    expect((await exchange(pool)).body).toBe('hello world');
    expect(up.sockets).toHaveLength(1);
  });

  it('reads a close-delimited response to the close, and does not keep the connection', async () => {
    const up = await rawUpstream((socket) => {
      socket.write('HTTP/1.1 200 OK\r\n\r\npart one, ');
      setImmediate(() => socket.end('part two'));
    });
    const pool = makePool(up.port);
    expect(await exchange(pool)).toMatchObject({ status: 200, body: 'part one, part two' });
    await expect.poll(() => pool.activeConnections()).toBe(0);
  });

  it('stops reading from the upstream while the body is not consumed (bounded buffering)', async () => {
    const size = 8 * 1024 * 1024;
    const up = await rawUpstream((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${size}\r\n\r\n`);
      socket.end(Buffer.alloc(size, 'z'));
    });
    const pool = makePool(up.port);
    const res = await send(pool);
    const body = res.body as Readable;
    // Nobody reads: the pool fills the body's buffer, pauses the socket and stops there.
    await expect.poll(() => body.readableLength).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 100));
    expect(body.readableLength).toBeLessThan(1024 * 1024);
    expect((await text(res)).length).toBe(size);
  });
});

describe('Http1Pool failures', () => {
  it('fails with reset when the upstream resets before the response head', async () => {
    const up = await rawUpstream((socket) => socket.resetAndDestroy());
    const pool = makePool(up.port);
    await expect(send(pool)).rejects.toMatchObject({ failure: 'reset' });
    expect(pool.activeConnections()).toBe(0);
  });

  it('fails with reset when the upstream closes before the response head', async () => {
    const up = await rawUpstream((socket) => socket.end());
    const pool = makePool(up.port);
    await expect(send(pool)).rejects.toMatchObject({ failure: 'reset' });
  });

  it('makes the body emit an error when the upstream resets mid-body, and closes the connection', async () => {
    const up = await rawUpstream((socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly ten b');
      setTimeout(() => socket.resetAndDestroy(), 20);
    });
    const pool = makePool(up.port);
    const res = await send(pool);
    await expect(text(res)).rejects.toThrow();
    await expect.poll(() => pool.activeConnections()).toBe(0);
  });

  it('fails with timeout when the signal aborts before the head, closing the connection', async () => {
    const up = await httpUpstream(() => undefined);
    const resources = new ResourceManager({ maxConnections: 4, maxPendingRequests: 4, maxRequests: 1024, maxRetries: 3 });
    const pool = new Http1Pool('127.0.0.1', up.port, { connectTimeoutMs: 1000, resources });
    closers.push(() => pool.close());
    const controller = new AbortController();
    const res = send(pool, {}, undefined, controller.signal);
    await expect.poll(() => up.sockets.length).toBe(1);
    controller.abort();
    await expect(res).rejects.toMatchObject({ failure: 'timeout' });
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
    expect(pool.activeConnections()).toBe(0);
    expect(resources.connections.active).toBe(0);
  });

  it('cuts the body with an error when the signal aborts after the head', async () => {
    const up = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome'));
    const pool = makePool(up.port);
    const controller = new AbortController();
    const res = await send(pool, {}, undefined, controller.signal);
    const done = text(res);
    controller.abort();
    await expect(done).rejects.toThrow();
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
  });

  it('closes the connection when the router destroys an unfinished body, and releases the unit', async () => {
    const up = await rawUpstream((socket) => socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nsome'));
    const resources = new ResourceManager({ maxConnections: 4, maxPendingRequests: 4, maxRequests: 1024, maxRetries: 3 });
    const pool = new Http1Pool('127.0.0.1', up.port, { connectTimeoutMs: 1000, resources });
    closers.push(() => pool.close());
    const res = await send(pool);
    expect(resources.connections.active).toBe(1);
    res.body.resume();
    (res.body as Readable).destroy();
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
    expect(resources.connections.active).toBe(0);
    expect(pool.activeConnections()).toBe(0);
  });

  it('fails with connect-failure when the port refuses', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await new Promise((r) => server.close(r));
    const pool = makePool(port);
    await expect(send(pool)).rejects.toMatchObject({ failure: 'connect-failure' });
    expect(pool.activeConnections()).toBe(0);
  });

  it('fails with connect-failure when the TLS handshake does not complete within the connect timeout', async () => {
    // Accepts the TCP connection and never answers the ClientHello.
    const server = net.createServer({ pauseOnConnect: true });
    const up = track(server);
    const port = await listen(server);
    closers.push(() => new Promise<void>((r) => (up.sockets.forEach((s) => s.destroy()), server.close(() => r()))));
    const resources = new ResourceManager({ maxConnections: 4, maxPendingRequests: 4, maxRequests: 1024, maxRetries: 3 });
    const pool = new Http1Pool('127.0.0.1', port, { connectTimeoutMs: 150, resources }, { rejectUnauthorized: false, servername: '' });
    closers.push(() => pool.close());
    const started = Date.now();
    await expect(send(pool)).rejects.toMatchObject({ failure: 'connect-failure' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(up.sockets).toHaveLength(1);
    expect(pool.activeConnections()).toBe(0);
    expect(resources.connections.active).toBe(0);
  });

  it('fails with connect-failure when the TLS handshake fails', async () => {
    // An upstream that answers the ClientHello with plaintext HTTP and closes.
    const server = net.createServer((s) => s.once('data', () => s.end('HTTP/1.1 400 Bad Request\r\n\r\n')));
    const port = await listen(server);
    closers.push(() => new Promise<void>((r) => server.close(() => r())));
    const pool = new Http1Pool('127.0.0.1', port, { connectTimeoutMs: 1000, resources: new ResourceManager({ maxConnections: 4, maxPendingRequests: 4, maxRequests: 1024, maxRetries: 3 }) }, { rejectUnauthorized: false, servername: '' });
    closers.push(() => pool.close());
    await expect(send(pool)).rejects.toMatchObject({ failure: 'connect-failure' });
  });

  it('fails with reset on a response head above maxResponseHeadersBytes, and closes the connection', async () => {
    const up = await rawUpstream((socket) => socket.write(ok('big', `x-big: ${'b'.repeat(4096)}\r\n`)));
    const pool = makePool(up.port, { maxResponseHeadersBytes: 2048 });
    await expect(send(pool)).rejects.toMatchObject({ failure: 'reset' });
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
  });

  it.each([
    ['content-length and transfer-encoding', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n'],
    ['two different content-lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd'],
    ['an invalid chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n'],
  ])('refuses a response with %s and closes the connection', async (_name, bytes) => {
    const up = await rawUpstream((socket, _head, i) => socket.write(i === 0 ? bytes : ok('fine')));
    const pool = makePool(up.port);
    const outcome = send(pool).then(text);
    await expect(outcome).rejects.toThrow();
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
    expect((await exchange(pool)).body).toBe('fine');
    expect(up.sockets).toHaveLength(2);
  });
});

describe('Http1Pool connection lifetime', () => {
  it('closes an idle connection after idle_timeout and counts it', async () => {
    const up = await rawUpstream((socket) => socket.write(ok('x')));
    const counters = poolCounters();
    const pool = makePool(up.port, { idleTimeoutMs: 100, counters });
    await exchange(pool);
    await exchange(pool);
    expect(up.sockets).toHaveLength(1);
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
    expect(counters.upstream_cx_idle_timeout.value).toBe(1);
    expect(pool.activeConnections()).toBe(0);
  });

  it('never closes a busy connection at idle_timeout', async () => {
    const up = await rawUpstream((socket, head) => {
      if (head.includes('/slow')) setTimeout(() => socket.write(ok('slow')), 250);
      else socket.write(ok('quick'));
    });
    const counters = poolCounters();
    const pool = makePool(up.port, { idleTimeoutMs: 100, counters });
    await exchange(pool);
    expect((await exchange(pool, { path: '/slow' })).body).toBe('slow');
    expect(up.sockets).toHaveLength(1);
    expect(counters.upstream_cx_idle_timeout.value).toBe(0);
  });

  it('closes a connection after max_requests_per_connection and counts it once', async () => {
    const up = await rawUpstream((socket) => socket.write(ok('x')));
    const counters = poolCounters();
    const pool = makePool(up.port, { maxRequestsPerConnection: 2, counters });
    for (let i = 0; i < 3; i++) await exchange(pool);
    expect(up.sockets).toHaveLength(2);
    await expect.poll(() => up.closed.has(up.sockets[0]!)).toBe(true);
    expect(up.closed.has(up.sockets[1]!)).toBe(false);
    expect(counters.upstream_cx_max_requests.value).toBe(1);
  });

  it('drains: idle connections close now, a busy one after its response', async () => {
    const held: net.Socket[] = [];
    const up = await rawUpstream((socket, head) => (head.includes('/hold') ? held.push(socket) : socket.write(ok('x'))));
    const pool = makePool(up.port);
    const busy = send(pool, { path: '/hold' });
    await exchange(pool);
    await expect.poll(() => held.length).toBe(1);
    expect(up.sockets).toHaveLength(2);
    const idle = up.sockets.find((s) => s !== held[0])!;
    pool.drain();
    await expect.poll(() => up.closed.has(idle)).toBe(true);
    expect(up.closed.has(held[0]!)).toBe(false);
    held[0]!.write(ok('last'));
    expect(await text(await busy)).toBe('last');
    await expect.poll(() => up.closed.has(held[0]!)).toBe(true);
    expect(pool.activeConnections()).toBe(0);
  });

  it('returns the connections unit when the exchange ends, and hands it to a pending request', async () => {
    const held: net.Socket[] = [];
    const up = await rawUpstream((socket) => held.push(socket));
    const resources = new ResourceManager({ maxConnections: 1, maxPendingRequests: 1, maxRequests: 1024, maxRetries: 3 });
    const pool = new Http1Pool('127.0.0.1', up.port, { connectTimeoutMs: 1000, resources });
    closers.push(() => pool.close());
    const first = send(pool);
    await expect.poll(() => held.length).toBe(1);
    const second = send(pool);
    await expect.poll(() => resources.pendingRequests.active).toBe(1);
    held[0]!.write(ok('one'));
    expect(await text(await first)).toBe('one');
    await expect.poll(() => held.length).toBe(2);
    // The pending request went over the connection the first one freed.
    expect(held[1]).toBe(held[0]);
    held[1]!.write(ok('two'));
    expect(await text(await second)).toBe('two');
    await expect.poll(() => resources.connections.active).toBe(0);
  });
});
