import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { afterAll, describe, expect, it } from 'vitest';
import { ClientHelloReader, inspectTls, parseClientHello, type ClientHelloParse, type TlsInspection } from './tls-inspector.js';

const servers: net.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});

async function listen(onConnection: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer(onConnection);
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

/** The first TLS record node:tls sends for these options: a real ClientHello, captured off the wire. */
async function captureClientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  let resolve!: (b: Buffer) => void;
  const got = new Promise<Buffer>((r) => (resolve = r));
  const port = await listen((s) => {
    let buf = Buffer.alloc(0);
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c]);
      if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
        resolve(buf.subarray(0, 5 + buf.readUInt16BE(3)));
        s.destroy();
      }
    });
  });
  const client = tls.connect({ host: '127.0.0.1', port, ...options });
  client.on('error', () => undefined);
  const hello = await got;
  client.destroy();
  return hello;
}

/** Re-frames a single-record hello into records of at most `size` bytes of handshake data each. */
function fragment(hello: Buffer, size: number): Buffer {
  const body = hello.subarray(5);
  const parts: Buffer[] = [];
  for (let i = 0; i < body.length; i += size) {
    const chunk = body.subarray(i, i + size);
    const header = Buffer.from([0x16, 0x03, 0x01, 0, 0]);
    header.writeUInt16BE(chunk.length, 3);
    parts.push(header, chunk);
  }
  return Buffer.concat(parts);
}

/** A minimal hand-built ClientHello record around the given extensions (length-prefixed here). */
function helloWith(extensions: Buffer | undefined): Buffer {
  return helloRaw(extensions ? Buffer.concat([u16(extensions.length), extensions]) : Buffer.alloc(0));
}

/** A minimal hand-built ClientHello record ending with `tail` as the extensions block, as is. */
function helloRaw(tail: Buffer): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x03, 0x03]),
    Buffer.alloc(32, 7),
    Buffer.from([0]), // session id
    Buffer.from([0, 2, 0x13, 0x01]), // one cipher suite
    Buffer.from([1, 0]), // null compression
    tail,
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([Buffer.from([0x16, 3, 1]), u16(hs.length), hs]);
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
}

function ext(type: number, data: Buffer): Buffer {
  return Buffer.concat([u16(type), u16(data.length), data]);
}

function sni(...names: string[]): Buffer {
  const list = Buffer.concat(names.map((n) => Buffer.concat([Buffer.from([0]), u16(n.length), Buffer.from(n, 'latin1')])));
  return ext(0, Buffer.concat([u16(list.length), list]));
}

const ALLOWED = new Set<ClientHelloParse['state']>(['need-more', 'too-large', 'not-tls', 'tls']);

describe('parseClientHello with real ClientHellos from node:tls', () => {
  it('finds the SNI and the ALPN list, in the client order', async () => {
    const hello = await captureClientHello({ servername: 'Www.Example.COM', ALPNProtocols: ['h2', 'http/1.1'] });
    expect(parseClientHello(hello)).toEqual({ state: 'tls', serverName: 'www.example.com', applicationProtocols: ['h2', 'http/1.1'] });
  });

  it('reports TLS without SNI or ALPN when the client sends neither', async () => {
    // node:tls sends no SNI when connecting to an IP address.
    const hello = await captureClientHello({});
    expect(parseClientHello(hello)).toEqual({ state: 'tls', applicationProtocols: [] });
  });

  it('asks for more on every proper prefix, and reads a hello fed a byte at a time', async () => {
    const hello = await captureClientHello({ servername: 'a.example.com', ALPNProtocols: ['istio'] });
    for (let n = 0; n < hello.length; n++) expect(parseClientHello(hello.subarray(0, n)).state, `prefix ${n}`).toBe('need-more');
    const reader = new ClientHelloReader();
    let last: ClientHelloParse = { state: 'need-more' };
    for (const byte of hello) last = reader.push(Buffer.from([byte]));
    expect(last).toEqual({ state: 'tls', serverName: 'a.example.com', applicationProtocols: ['istio'] });
  });

  it.each([1, 7, 100, 512])('reassembles a hello fragmented into %i-byte records', async (size) => {
    const hello = await captureClientHello({ servername: 'b.example.com', ALPNProtocols: ['h2'] });
    expect(parseClientHello(fragment(hello, size))).toEqual({ state: 'tls', serverName: 'b.example.com', applicationProtocols: ['h2'] });
  });

  it('never throws on mutations of a real hello', async () => {
    const hello = await captureClientHello({ servername: 'fuzz.example.com', ALPNProtocols: ['h2', 'http/1.1'] });
    let seed = 42;
    const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    for (let i = 0; i < 3000; i++) {
      const m = Buffer.from(hello);
      for (let k = 0; k < 1 + Math.floor(rand() * 4); k++) m[Math.floor(rand() * m.length)] = Math.floor(rand() * 256);
      const cut = rand() < 0.3 ? m.subarray(0, Math.floor(rand() * m.length)) : m;
      expect(ALLOWED.has(parseClientHello(cut).state)).toBe(true);
    }
  });
});

describe('parseClientHello with malformed input', () => {
  it.each<[string, Buffer, ClientHelloParse['state']]>([
    ['an HTTP request', Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'), 'not-tls'],
    ['the HTTP/2 preface', Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), 'not-tls'],
    ['one non-TLS byte', Buffer.from([0x47]), 'not-tls'],
    ['a handshake byte with a bad version', Buffer.from([0x16, 0x09]), 'not-tls'],
    ['an empty record', Buffer.from([0x16, 3, 1, 0, 0]), 'not-tls'],
    ['a record over 2^14 bytes', Buffer.from([0x16, 3, 1, 0x40, 0x01]), 'not-tls'],
    ['a ServerHello instead of a ClientHello', Buffer.from([0x16, 3, 3, 0, 4, 2, 0, 0, 0]), 'not-tls'],
    ['an alert record after a partial hello', Buffer.from([0x16, 3, 1, 0, 1, 1, 0x15, 3, 3]), 'not-tls'],
    ['a ClientHello whose fields overrun it', Buffer.from([0x16, 3, 1, 0, 8, 1, 0, 0, 4, 3, 3, 0xff, 0xff]), 'not-tls'],
    ['a hello claiming 16 MiB', Buffer.from([0x16, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff]), 'too-large'],
    ['nothing yet', Buffer.alloc(0), 'need-more'],
    ['half a header', Buffer.from([0x16, 3]), 'need-more'],
  ])('%s → %s', (_name, input, state) => {
    expect(parseClientHello(input).state).toBe(state);
  });

  it.each<[string, Buffer]>([
    ['a truncated extension', Buffer.from([0, 0, 0, 9, 0])],
    ['a duplicated extension', Buffer.concat([sni('a.example'), sni('b.example')])],
    ['two host names', sni('a.example', 'b.example')],
    ['a host name with a NUL byte', sni('a\0b')],
    ['an empty host name', sni('')],
    ['an empty ALPN list', ext(16, u16(0))],
    ['an empty ALPN protocol', ext(16, Buffer.from([0, 1, 0]))],
  ])('treats a hello with %s as not TLS (Envoy: tls_not_found)', (_name, extensions) => {
    expect(parseClientHello(helloWith(extensions)).state).toBe('not-tls');
  });

  it.each<[string, Buffer]>([
    ['an extensions block longer than the hello', Buffer.from([0, 9, 0, 0])],
    ['bytes after the extensions block', Buffer.from([0, 0, 1])],
    ['half an extensions length', Buffer.from([0])],
  ])('treats a hello with %s as not TLS', (_name, tail) => {
    expect(parseClientHello(helloRaw(tail)).state).toBe('not-tls');
  });

  it('accepts a hand-built hello without extensions, and one with only SNI', () => {
    expect(parseClientHello(helloWith(undefined))).toEqual({ state: 'tls', applicationProtocols: [] });
    expect(parseClientHello(helloWith(sni('x.test')))).toEqual({ state: 'tls', serverName: 'x.test', applicationProtocols: [] });
  });

  it('gives up once the limit is read without a complete hello', () => {
    const partial = Buffer.concat([Buffer.from([0x16, 3, 1, 0x40, 0x00, 1, 0, 0x80, 0]), Buffer.alloc(0x4000 - 4)]);
    expect(parseClientHello(partial, 1024).state).toBe('too-large');
    const many = fragment(helloWith(Buffer.concat([sni('x.test'), ext(0x1234, Buffer.alloc(3000))])), 10);
    expect(parseClientHello(many, 2048).state).toBe('too-large');
    expect(parseClientHello(many).state).toBe('tls');
  });
});

describe('inspectTls on a socket', () => {
  async function inspect(send: (s: net.Socket) => void, timeoutMs = 2000): Promise<{ result: TlsInspection; replay: Buffer }> {
    let done!: (v: { result: TlsInspection; replay: Buffer }) => void;
    const out = new Promise<{ result: TlsInspection; replay: Buffer }>((r) => (done = r));
    const port = await listen((socket) => {
      inspectTls(socket, { timeoutMs }, (result) => {
        // What the next owner of the socket reads: everything, from the first byte.
        const chunks: Buffer[] = [];
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.resume();
        setTimeout(() => {
          socket.destroy();
          done({ result, replay: Buffer.concat(chunks) });
        }, 50);
      });
    });
    const client = net.connect({ host: '127.0.0.1', port }, () => send(client));
    client.on('error', () => undefined);
    const r = await out;
    client.destroy();
    return r;
  }

  it('puts back every byte it read, split across writes', async () => {
    const hello = await captureClientHello({ servername: 'a.example.com', ALPNProtocols: ['h2'] });
    const { result, replay } = await inspect((c) => {
      c.write(hello.subarray(0, 3));
      setTimeout(() => c.write(hello.subarray(3)), 20);
    });
    expect(result).toMatchObject({ kind: 'done', transportProtocol: 'tls', serverName: 'a.example.com', applicationProtocols: ['h2'] });
    expect(replay.equals(hello)).toBe(true);
  });

  it('decides plaintext on the first byte and keeps it', async () => {
    const { result, replay } = await inspect((c) => c.write('GET / HTTP/1.1\r\n\r\n'));
    expect(result).toMatchObject({ kind: 'done', transportProtocol: 'raw_buffer' });
    expect(replay.toString()).toBe('GET / HTTP/1.1\r\n\r\n');
  });

  it('times out on a silent client', async () => {
    const { result } = await inspect(() => undefined, 100);
    expect(result).toEqual({ kind: 'timeout' });
  });

  it('reports a client that closes mid-hello', async () => {
    const { result } = await inspect((c) => c.end(Buffer.from([0x16, 3, 1])));
    expect(result).toEqual({ kind: 'closed' });
  });
});
