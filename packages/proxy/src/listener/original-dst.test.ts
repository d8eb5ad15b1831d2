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
