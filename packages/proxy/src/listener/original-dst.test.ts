import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { destinationOf, originalDestination, originalDstAvailable, recordDestination } from './original-dst.js';

let server: net.Server | undefined;
afterEach(() => server?.close());

function accepted(): Promise<net.Socket> {
  return new Promise((resolve) => {
    server = net.createServer((s) => resolve(s)).listen(0, '127.0.0.1', () => {
      const c = net.connect((server!.address() as net.AddressInfo).port, '127.0.0.1');
      c.on('error', () => undefined);
    });
  });
}

describe('original destination', () => {
  it('the addon is built by npm ci on Linux', () => {
    expect(originalDstAvailable()).toBe(process.platform === 'linux');
  });

  it('a connection that was not redirected keeps its local address', async () => {
    const s = await accepted();
    expect(originalDestination(s)).toBeUndefined();
    expect(destinationOf(s)).toEqual({ address: '127.0.0.1', port: s.localPort });
    s.destroy();
  });

  it('a handed-off socket matches on its recorded original destination', async () => {
    const s = await accepted();
    recordDestination(s, { address: '10.96.0.12', port: 9080 });
    expect(destinationOf(s)).toEqual({ address: '10.96.0.12', port: 9080 });
    s.destroy();
  });
});

describe('original destination through HTTP/2', () => {
  it('is found through the socket proxy an HTTP/2 request exposes', async () => {
    const http2 = await import('node:http2');
    const server = http2.createServer();
    const seen = new Promise<unknown>((resolve) => server.on('stream', (stream) => {
      resolve(destinationOf(stream.session!.socket as net.Socket));
      stream.respond({ ':status': 200 });
      stream.end();
    }));
    server.on('connection', (s: net.Socket) => recordDestination(s, { address: '10.96.0.12', port: 9080 }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const client = http2.connect(`http://127.0.0.1:${(server.address() as net.AddressInfo).port}`);
    const req = client.request({ ':path': '/' });
    req.resume();
    expect(await seen).toEqual({ address: '10.96.0.12', port: 9080 });
    client.close();
    server.close();
  });
});
