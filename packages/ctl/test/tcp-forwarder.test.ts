import net from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { TcpForwarder } from '../src/local/tcp-forwarder.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** An upstream that reads its request to the end (the client's FIN), then answers and ends. */
async function upstream(): Promise<{ port: number; open: Set<net.Socket> }> {
  const open = new Set<net.Socket>();
  const server = net.createServer({ allowHalfOpen: true }, (s) => {
    open.add(s);
    s.on('close', () => open.delete(s));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('end', () => s.end(`got ${got}`));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanups.push(async () => {
    for (const s of open) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { port: (server.address() as net.AddressInfo).port, open };
}

async function forwarder(target: ReturnType<Parameters<typeof TcpForwarder.listen>[1]>): Promise<TcpForwarder> {
  const f = await TcpForwarder.listen({ host: '127.0.0.1', port: 0 }, () => target);
  cleanups.push(() => f.stop());
  return f;
}

function connect(address: string): net.Socket {
  const [host, port] = address.split(':');
  return net.connect({ host, port: Number(port), allowHalfOpen: true });
}

/** Everything the socket receives until the far end ends it. */
async function received(s: net.Socket): Promise<string> {
  let got = '';
  s.on('data', (d: Buffer) => (got += d.toString()));
  await new Promise((resolve) => s.once('end', resolve).once('close', resolve));
  s.destroy();
  return got;
}

describe('TcpForwarder', () => {
  it('carries a connection to the target both ways, half-close included', async () => {
    const up = await upstream();
    const f = await forwarder({ host: '127.0.0.1', port: up.port });
    expect(f.address).toMatch(/^127\.0\.0\.1:\d+$/);
    const c = connect(f.address);
    c.end('ping');
    expect(await received(c)).toBe('got ping');
  });

  it('drops a connection when there is no target', async () => {
    const f = await forwarder(undefined);
    const c = connect(f.address);
    c.on('error', () => undefined);
    expect(await received(c)).toBe('');
  });

  it('stop ends the connections it carries', async () => {
    const up = await upstream();
    const f = await TcpForwarder.listen({ host: '127.0.0.1', port: 0 }, () => ({ host: '127.0.0.1', port: up.port }));
    const c = connect(f.address);
    c.on('error', () => undefined);
    const closed = received(c);
    await once(c, 'connect');
    c.write('held open');
    while (up.open.size === 0) await new Promise((r) => setImmediate(r));
    await f.stop();
    expect(await closed).toBe('');
  });

  it('rejects when it cannot listen', async () => {
    const f = await forwarder(undefined);
    const port = Number(f.address.split(':')[1]);
    await expect(TcpForwarder.listen({ host: '127.0.0.1', port }, () => undefined)).rejects.toThrow(/EADDRINUSE/);
  });
});
