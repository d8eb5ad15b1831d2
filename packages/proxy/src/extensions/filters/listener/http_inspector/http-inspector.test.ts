import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectHttp, sniffHttp, type HttpInspection } from './http-inspector.js';

const bytes = (s: string) => Buffer.from(s, 'latin1');
const PREFACE = 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n';

describe('sniffHttp', () => {
  it.each([
    ['GET / HTTP/1.1\r\n', 'http/1.1'],
    ['POST /a?b=c HTTP/1.0\r\nHost: x\r\n', 'http/1.0'],
    ['OPTIONS * HTTP/1.1\n', 'http/1.1'],
    ['CONNECT example.com:443 HTTP/1.1\r\n', 'http/1.1'],
    [PREFACE, 'h2c'],
    [PREFACE + '\x00\x00\x00\x04', 'h2c'],
  ])('finds %j as %s', (text, protocol) => {
    expect(sniffHttp(bytes(text))).toEqual({ state: 'http', protocol });
  });

  it.each(['G', 'GET', 'GET ', 'GET /x', 'GET /x HTTP/1', 'GET /x HTTP/1.1', 'GET /x HTTP/1.1\r', 'PRI * HTTP/2', 'P'])('waits for more after %j', (text) => {
    expect(sniffHttp(bytes(text))).toEqual({ state: 'need-more' });
  });

  it.each([
    ['\x16\x03\x01\x00\x05', 'a TLS record'],
    ['SSH-2.0-OpenSSH_9.6\r\n', 'an SSH banner'],
    ['GET / HTTP/2.0\r\n', 'HTTP/2.0 in a request line'],
    ['GET / HTTP/1.2\r\n', 'an unknown minor version'],
    ['GET  / HTTP/1.1\r\n', 'an empty request target'],
    ['GET / HTTP/1.1 \r\n', 'trailing garbage'],
    ['GE(T / HTTP/1.1\r\n', 'a method that is not a token'],
    [' GET / HTTP/1.1\r\n', 'a leading space'],
    ['PRI * HTTP/2.1', 'a broken preface'],
    ['\r\n', 'an empty line'],
  ])('does not take %j (%s) for HTTP', (text) => {
    expect(sniffHttp(bytes(text))).toEqual({ state: 'not-http' });
  });

  it('gives up once the bound is reached without a whole request line', () => {
    const long = bytes(`GET /${'a'.repeat(100)}`);
    expect(sniffHttp(long, 64)).toEqual({ state: 'not-http' });
    expect(sniffHttp(long, 4096)).toEqual({ state: 'need-more' });
  });
});

const servers: net.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

/** Runs the inspector on an accepted socket; resolves with its result and every byte the next owner reads. */
async function inspect(send: (c: net.Socket) => void, timeoutMs = 5000, maxBytes?: number): Promise<{ result: HttpInspection; replay: Buffer }> {
  let done!: (v: { result: HttpInspection; replay: Buffer }) => void;
  const out = new Promise<{ result: HttpInspection; replay: Buffer }>((r) => (done = r));
  const server = net.createServer((socket) => {
    socket.on('error', () => undefined);
    inspectHttp(socket, { timeoutMs, ...(maxBytes ? { maxBytes } : {}) }, (result) => {
      if (result.kind !== 'done') {
        socket.destroy();
        return done({ result, replay: Buffer.alloc(0) });
      }
      const chunks: Buffer[] = [];
      socket.on('data', (c: Buffer) => chunks.push(c));
      socket.on('end', () => {
        done({ result, replay: Buffer.concat(chunks) });
        socket.destroy();
      });
      socket.resume();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const client = net.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }, () => send(client));
  client.on('error', () => undefined);
  return out;
}

describe('inspectHttp on a socket', () => {
  it('detects HTTP/1.1 sent in pieces and puts back every byte', async () => {
    const request = 'GET /hello HTTP/1.1\r\nhost: a\r\n\r\n';
    const { result, replay } = await inspect((c) => {
      c.write(request.slice(0, 5));
      setImmediate(() => c.end(request.slice(5)));
    });
    expect(result).toEqual({ kind: 'done', protocol: 'http/1.1' });
    expect(replay.toString('latin1')).toBe(request);
  });

  it('detects the h2c preface', async () => {
    const { result, replay } = await inspect((c) => c.end(PREFACE + 'rest'));
    expect(result).toEqual({ kind: 'done', protocol: 'h2c' });
    expect(replay.toString('latin1')).toBe(PREFACE + 'rest');
  });

  it('lets a non-HTTP stream through with no protocol, bytes intact', async () => {
    const { result, replay } = await inspect((c) => c.end('hello tcp\r\n'));
    expect(result).toEqual({ kind: 'done', protocol: undefined });
    expect(replay.toString('latin1')).toBe('hello tcp\r\n');
  });

  it('stops at its bound when the request line never ends', async () => {
    const body = `GET /${'x'.repeat(300)}`;
    const { result, replay } = await inspect((c) => c.end(body), 5000, 128);
    expect(result).toEqual({ kind: 'done', protocol: undefined });
    expect(replay.toString('latin1')).toBe(body);
  });

  it('reports a connection closed before it could decide', async () => {
    const { result } = await inspect((c) => c.end('GET /'));
    expect(result).toEqual({ kind: 'closed' });
  });

  it('times out on a silent client', async () => {
    const { result } = await inspect(() => undefined, 30);
    expect(result).toEqual({ kind: 'timeout' });
  });
});
