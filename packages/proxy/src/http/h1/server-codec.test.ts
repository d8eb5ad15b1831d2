// The downstream HTTP/1.1 codec over real sockets with raw clients: framing, keep-alive, pipelining
// one request at a time, smuggling shapes and limits refused, timeouts, backpressure, upgrades.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Http1ServerCodec, type Http1CodecOptions, type Http1ServerRequest, type Http1ServerResponse } from './server-codec.js';

type Handler = (req: Http1ServerRequest, res: Http1ServerResponse) => void;

const servers: net.Server[] = [];
const clients: net.Socket[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.destroy();
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function serve(onRequest: Handler, options: Partial<Http1CodecOptions> = {}): Promise<{ port: number; codec: Http1ServerCodec }> {
  const codec = new Http1ServerCodec({ maxHeaderSize: 16 * 1024, headersTimeoutMs: 0, idleTimeoutMs: 0, autoContinue: true, onRequest, onUpgrade: (_r, s) => s.destroy(), ...options });
  const server = net.createServer((s) => codec.attach(s));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  server.on('close', () => codec.close());
  return { port: (server.address() as AddressInfo).port, codec };
}

/** A raw client: everything it receives, and whether the server closed. */
interface Raw {
  socket: net.Socket;
  data: () => string;
  closed: Promise<void>;
  /** Resolves once the received text satisfies `test`. */
  until: (test: (data: string) => boolean, ms?: number) => Promise<string>;
}

async function connect(port: number): Promise<Raw> {
  const socket = net.connect({ port, host: '127.0.0.1' });
  clients.push(socket);
  let data = '';
  const waiters: (() => void)[] = [];
  socket.setEncoding('latin1');
  socket.on('data', (d: string) => {
    data += d;
    for (const w of waiters.splice(0)) w();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<void>((r) => socket.once('close', () => r()));
  socket.once('close', () => {
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  const until = async (test: (d: string) => boolean, ms = 3000): Promise<string> => {
    const deadline = Date.now() + ms;
    while (!test(data)) {
      if (socket.destroyed || Date.now() > deadline) throw new Error(`timed out; received: ${JSON.stringify(data)}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    return data;
  };
  return { socket, data: () => data, closed, until };
}

const count = (text: string, what: string): number => text.split(what).length - 1;

describe('Http1ServerCodec', () => {
  it('parses a request as node:http did and frames an ended response by its length, kept alive', async () => {
    const seen: Http1ServerRequest[] = [];
    const { port } = await serve((req, res) => {
      seen.push(req);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`hello ${req.url}`);
    });
    const c = await connect(port);
    c.socket.write('GET /a?x=1 HTTP/1.1\r\nHost: h\r\nX-Dup: 1\r\nx-dup: 2\r\nCookie: a=1\r\nCookie: b=2\r\nHost: ignored\r\n\r\n');
    const first = await c.until((d) => d.includes('hello /a?x=1'));
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(first).toContain('content-length: 12\r\n');
    expect(first).toContain('connection: keep-alive\r\n');
    expect(first).toMatch(/date: \w{3}, \d{2} \w{3} \d{4}/);
    expect(seen[0]!.method).toBe('GET');
    expect(seen[0]!.headers).toMatchObject({ host: 'h', 'x-dup': '1, 2', cookie: 'a=1; b=2' });
    expect(seen[0]!.rawHeaders.slice(0, 2)).toEqual(['Host', 'h']);
    expect(seen[0]!.bodyless).toBe(true);
    c.socket.write('GET /b HTTP/1.1\r\nHost: h\r\n\r\n');
    await c.until((d) => d.includes('hello /b'));
    expect(c.socket.destroyed).toBe(false);
  });

  it('hands a request that arrived in one read to onRequest complete, with or without a body', async () => {
    const atStart: { url: string; complete: boolean; bodyless: boolean }[] = [];
    const { port } = await serve((req, res) => {
      atStart.push({ url: req.url, complete: req.complete, bodyless: req.bodyless });
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    const c = await connect(port);
    c.socket.write('GET /get HTTP/1.1\r\nHost: h\r\n\r\n');
    await c.until((d) => count(d, 'ok') === 1);
    c.socket.write('POST /post HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc');
    await c.until((d) => count(d, 'ok') === 2);
    expect(atStart).toEqual([
      { url: '/get', complete: true, bodyless: true },
      { url: '/post', complete: true, bodyless: false },
    ]);
  });

  it('answers pipelined requests one at a time, in order, the next only after the response before it', async () => {
    let active = 0;
    let maxActive = 0;
    const order: string[] = [];
    const { port } = await serve((req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      order.push(req.url);
      setTimeout(() => {
        active--;
        res.end(`r${req.url}`);
      }, 20);
    });
    const c = await connect(port);
    c.socket.write('GET /1 HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\nPOST /3 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc');
    const all = await c.until((d) => count(d, 'HTTP/1.1 200') === 3);
    expect(order).toEqual(['/1', '/2', '/3']);
    expect(maxActive).toBe(1);
    expect(all.indexOf('r/1')).toBeLessThan(all.indexOf('r/2'));
    expect(all.indexOf('r/2')).toBeLessThan(all.indexOf('r/3'));
  });

  it.each([
    ['Content-Length with Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n'],
    ['two different Content-Lengths', 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!'],
    ['Transfer-Encoding not ending in chunked', 'POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked, identity\r\n\r\n5\r\nhello\r\n0\r\n\r\n'],
    ['an obsolete line folding', 'GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n'],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost: x\r\nX-A : a\r\n\r\n'],
    ['a NUL in a header value', 'GET / HTTP/1.1\r\nHost: x\r\nX-Bad: a\x00b\r\n\r\n'],
  ])('refuses %s with 400 and closes, the handler never called', async (_name, bytes) => {
    const urls: string[] = [];
    const { port } = await serve((req, res) => {
      urls.push(req.url);
      res.end('served');
    });
    const c = await connect(port);
    c.socket.write(bytes);
    await c.closed;
    expect(c.data()).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(c.data()).not.toContain('served');
    expect(urls).toEqual([]);
  });

  it('answers 400 to a malformed chunk in the body of the request being handled, and aborts its body', async () => {
    let bodyError: Error | undefined;
    const { port } = await serve((req) => {
      req.on('error', (e) => (bodyError = e));
      req.resume();
    });
    const c = await connect(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
    await c.closed;
    expect(c.data()).toMatch(/^HTTP\/1\.1 400 /);
    await expect.poll(() => bodyError?.message).toBe('aborted');
  });

  it('refuses a header block above maxHeaderSize with 431', async () => {
    const { port } = await serve((_req, res) => res.end('served'), { maxHeaderSize: 1024 });
    const c = await connect(port);
    c.socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(2000)}\r\n\r\n`);
    await c.closed;
    expect(c.data()).toMatch(/^HTTP\/1\.1 431 /);
  });

  it('answers 408 to a head that does not arrive within the headers timeout', async () => {
    const { port } = await serve((_req, res) => res.end('served'), { headersTimeoutMs: 200 });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n');
    const started = Date.now();
    await c.closed;
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(c.data()).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('closes a keep-alive connection idle for the idle timeout, not one that is busy', async () => {
    let release: (() => void) | undefined;
    const { port } = await serve(
      (req, res) => {
        if (req.url === '/slow') release = () => res.end('slow');
        else res.end('fast');
      },
      { idleTimeoutMs: 150 },
    );
    const busy = await connect(port);
    busy.socket.write('GET /slow HTTP/1.1\r\nHost: x\r\n\r\n');
    const idle = await connect(port);
    idle.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.until((d) => d.includes('fast'));
    await idle.closed;
    expect(busy.socket.destroyed).toBe(false);
    release!();
    await busy.until((d) => d.includes('slow'));
  });

  it('chunks a response without Content-Length on HTTP/1.1, with trailers; closes after it on HTTP/1.0', async () => {
    const { port } = await serve((req, res) => {
      res.writeHead(200, {});
      res.write('ab');
      res.write(Buffer.from('cde'));
      res.addTrailers({ 'grpc-status': '0' });
      res.end();
    });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await c.until((d) => d.endsWith('\r\n\r\n') && d.includes('0\r\ngrpc-status'));
    expect(text).toContain('transfer-encoding: chunked\r\n');
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe('2\r\nab\r\n3\r\ncde\r\n0\r\ngrpc-status: 0\r\n\r\n');
    const old = await connect(port);
    old.socket.write('GET / HTTP/1.0\r\nHost: x\r\nConnection: keep-alive\r\n\r\n');
    await old.closed;
    expect(old.data()).toContain('connection: close\r\n');
    expect(old.data()).not.toContain('transfer-encoding');
    expect(old.data().endsWith('\r\n\r\nabcde')).toBe(true);
  });

  it('sends no body for HEAD, 204 and 304, and keeps the connection', async () => {
    const { port } = await serve((req, res) => {
      const status = req.url === '/204' ? 204 : req.url === '/304' ? 304 : 200;
      res.writeHead(status, { 'content-length': '5' });
      res.end('hello');
    });
    const c = await connect(port);
    c.socket.write('HEAD / HTTP/1.1\r\nHost: x\r\n\r\nGET /204 HTTP/1.1\r\nHost: x\r\n\r\nGET /304 HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await c.until((d) => d.includes('304 Not Modified') && d.endsWith('\r\n\r\n'));
    expect(text).not.toContain('hello');
    expect(count(text, 'HTTP/1.1 ')).toBe(3);
    expect(c.socket.destroyed).toBe(false);
  });

  it('refuses a response header value that would split the head', async () => {
    let thrown: unknown;
    const { port } = await serve((_req, res) => {
      try {
        res.writeHead(200, { 'x-evil': 'a\r\nset-cookie: pwned' });
      } catch (e) {
        thrown = e;
      }
      res.writeHead(500, { 'content-length': '0' });
      res.end();
    });
    const c = await connect(port);
    c.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    const text = await c.until((d) => d.includes('\r\n\r\n'));
    expect(String(thrown)).toContain('x-evil');
    expect(text).toMatch(/^HTTP\/1\.1 500 /);
    expect(text).not.toContain('pwned');
  });

  it('stops reading a request body its consumer does not take, and streams it all once it does', async () => {
    let req: Http1ServerRequest | undefined;
    const { port } = await serve((r, res) => {
      req = r;
      r.on('end', () => res.end(`got ${r.bytesReceived}`));
    });
    const c = await connect(port);
    const total = 8 * 1024 * 1024;
    c.socket.write(`POST / HTTP/1.1\r\nHost: x\r\nContent-Length: ${total}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 'b');
    let sent = 0;
    const pump = () => {
      while (sent < total && c.socket.write(chunk)) sent += chunk.length;
      if (sent < total) c.socket.once('drain', () => {
        sent += chunk.length;
        pump();
      });
    };
    pump();
    await expect.poll(() => req !== undefined).toBe(true);
    // Nobody reads: the codec stops reading once the stream's buffer is full.
    await expect.poll(() => req!.readableLength > 0).toBe(true);
    const before = req!.bytesReceived;
    await new Promise((r) => setTimeout(r, 200));
    expect(req!.bytesReceived).toBeLessThan(total / 2);
    expect(req!.bytesReceived - before).toBeLessThan(1024 * 1024);
    req!.resume();
    await c.until((d) => d.includes(`got ${total}`), 10_000);
  });

  it('reads request trailers and aborts a body cut by the client', async () => {
    const trailers: Record<string, unknown>[] = [];
    let aborted: Http1ServerRequest | undefined;
    let finished = false;
    let closed = false;
    const { port } = await serve((req, res) => {
      if (req.url === '/cut') {
        aborted = req;
        req.on('error', () => undefined);
        req.resume();
        res.on('finish', () => (finished = true));
        res.on('close', () => (closed = true));
        return;
      }
      req.resume();
      req.on('end', () => {
        trailers.push(req.trailers);
        res.end('ok');
      });
    });
    const c = await connect(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-Sum: 9\r\n\r\n');
    await c.until((d) => d.includes('ok'));
    expect(trailers).toEqual([{ 'x-sum': '9' }]);
    const cut = await connect(port);
    cut.socket.write('POST /cut HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc');
    await expect.poll(() => aborted?.bytesReceived).toBe(3);
    cut.socket.destroy();
    await expect.poll(() => closed).toBe(true);
    expect(finished).toBe(false);
    expect(aborted!.destroyed).toBe(true);
    expect(aborted!.complete).toBe(false);
  });

  it('answers Expect: 100-continue itself unless told not to', async () => {
    const { port } = await serve((req, res) => {
      req.resume();
      req.on('end', () => res.end('done'));
    });
    const c = await connect(port);
    c.socket.write('POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n');
    await c.until((d) => d.startsWith('HTTP/1.1 100 Continue\r\n\r\n'));
    c.socket.write('hi');
    await c.until((d) => d.includes('done'));
    const { port: relayed } = await serve((_req, res) => res.end('no continue'), { autoContinue: false });
    const r = await connect(relayed);
    r.socket.write('GET / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n\r\n');
    const text = await r.until((d) => d.includes('no continue'));
    expect(text).not.toContain('100 Continue');
  });

  it('hands an upgrade its socket with the bytes after the head', async () => {
    let got: { url: string; head: string } | undefined;
    const { port } = await serve((_req, res) => res.end('plain'), {
      onUpgrade: (req, socket, head) => {
        got = { url: req.url, head: head.toString() };
        socket.write('HTTP/1.1 101 Switching Protocols\r\n\r\n');
        socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
        socket.resume();
      },
    });
    const c = await connect(port);
    c.socket.write('GET /ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly');
    await c.until((d) => d.includes('101'));
    expect(got).toEqual({ url: '/ws', head: 'early' });
    c.socket.write('later');
    await c.until((d) => d.includes('echo:later'));
  });

  it('closes idle connections on request and leaves busy ones', async () => {
    let hold: Http1ServerResponse | undefined;
    const { port, codec } = await serve((req, res) => {
      if (req.url === '/hold') hold = res;
      else res.end('x');
    });
    const idle = await connect(port);
    idle.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await idle.until((d) => d.endsWith('x'));
    const busy = await connect(port);
    busy.socket.write('GET /hold HTTP/1.1\r\nHost: x\r\n\r\n');
    await expect.poll(() => hold !== undefined).toBe(true);
    codec.closeIdleConnections();
    await idle.closed;
    expect(busy.socket.destroyed).toBe(false);
    hold!.end('held');
    await busy.until((d) => d.endsWith('held'));
  });
});
