import net from 'node:net';
import type { Listener__Output } from '@weft/api';
import { silentLogger } from '@weft/base';
import { afterEach, describe, expect, it } from 'vitest';
import { ListenerManager, type ListenerFactory, type NetworkFilter } from './listener-manager.js';

/** A factory whose single chain answers every connection with the listener's tag, then closes. */
function taggingFactory(drained: string[]): ListenerFactory {
  return {
    build(l: Listener__Output) {
      const tag = (l.stat_prefix || l.name) as string;
      const filter: NetworkFilter = {
        onConnection: (s) => s.end(tag),
        drain: () => void drained.push(tag),
      };
      const chain = { name: `${l.name}#0`, filter };
      return { chains: [chain], select: () => chain };
    },
  };
}

function listener(name: string, port: number, statPrefix = name): Listener__Output {
  return { name, stat_prefix: statPrefix, address: { socket_address: { address: '127.0.0.1', port_value: port } } } as unknown as Listener__Output;
}

function read(address: string): Promise<string> {
  const [host, port] = address.split(':');
  return new Promise((resolve, reject) => {
    const c = net.connect(Number(port), host);
    let data = '';
    c.setEncoding('utf8').on('data', (d) => (data += d));
    c.on('end', () => resolve(data));
    c.on('error', reject);
  });
}

let manager: ListenerManager | undefined;
afterEach(() => {
  manager?.shutdown();
  manager?.closeAllConnections();
});

describe('ListenerManager', () => {
  it('binds, replaces in place on the same address (draining the old chains), and removes', async () => {
    const drained: string[] = [];
    manager = new ListenerManager(taggingFactory(drained), silentLogger());
    await manager.addOrUpdate(listener('web', 0, 'v1'));
    const address = manager.boundAddress('web')!;
    expect(await read(address)).toBe('v1');
    // Same config again: nothing changes.
    await manager.addOrUpdate(listener('web', 0, 'v1'));
    expect(drained).toEqual([]);
    const port = Number(address.split(':')[1]);
    await manager.addOrUpdate(listener('web', port, 'v2'));
    expect(drained).toEqual(['v1']);
    expect(await read(manager.boundAddress('web')!)).toBe('v2');
    manager.remove('web');
    expect(manager.names()).toEqual([]);
    await expect(read(address)).rejects.toThrow();
  });

  it('reports a bind failure with its error code and keeps the rest', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    manager = new ListenerManager(taggingFactory([]), silentLogger());
    await expect(manager.addOrUpdate(listener('taken', port))).rejects.toMatchObject({ code: 'WEFT_PROXY_LISTENER_BIND' });
    expect(manager.names()).toEqual([]);
    blocker.close();
  });

  it('finds listeners by port for original-destination hand-off, exact address before 0.0.0.0', async () => {
    manager = new ListenerManager(taggingFactory([]), silentLogger());
    const unbound = (name: string, address: string) =>
      ({ name, address: { socket_address: { address, port_value: 9080 } }, bind_to_port: { value: false } }) as unknown as Listener__Output;
    await manager.addOrUpdate(unbound('0.0.0.0_9080', '0.0.0.0'));
    await manager.addOrUpdate(unbound('10.96.0.12_9080', '10.96.0.12'));
    expect(manager.findByPort(9080, '10.96.0.12')).toBe('10.96.0.12_9080');
    expect(manager.findByPort(9080, '10.96.0.99')).toBe('0.0.0.0_9080');
    expect(manager.findByPort(9090)).toBeUndefined();
  });
});

describe('connection limits', () => {
  /** A chain that holds connections open until the test closes them. */
  function holdingFactory(held: net.Socket[]): ListenerFactory {
    return {
      build(l: Listener__Output) {
        const chain = { name: `${l.name}#0`, filter: { onConnection: (s: net.Socket) => void held.push(s), drain: () => undefined } };
        return { chains: [chain], select: () => chain };
      },
    };
  }

  function connect(address: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), host, () => resolve({ socket, closed: new Promise((r) => socket.once('close', () => r())) }));
      socket.on('error', () => undefined);
      socket.once('error', reject);
    });
  }

  it.each([
    ['a listener limit', { perListener: (n: string) => (n === 'web' ? 2 : undefined) }, 'listener'],
    ['the global limit', { global: 2 }, 'global'],
  ])('%s closes connections over it at once and admits again when one closes', async (_name, limits, which) => {
    const held: net.Socket[] = [];
    const overflows: string[] = [];
    manager = new ListenerManager(holdingFactory(held), silentLogger(), undefined, { ...limits, onOverflow: (_l, w) => void overflows.push(w) });
    await manager.addOrUpdate(listener('web', 0));
    const address = manager.boundAddress('web')!;
    await connect(address);
    await connect(address);
    await expect.poll(() => held.length).toBe(2);
    const third = await connect(address);
    await third.closed;
    expect(overflows).toEqual([which]);
    held[0]!.destroy();
    // Once the freed slot is seen, a new connection reaches the chain again.
    await expect
      .poll(async () => {
        await connect(address).catch(() => undefined);
        return held.length;
      })
      .toBeGreaterThanOrEqual(3);
    for (const s of held) s.destroy();
  });
});

describe('draining', () => {
  /** A chain that keeps every connection open and records its drain. */
  function holding(held: net.Socket[], drained: string[]): ListenerFactory {
    return {
      build(l: Listener__Output) {
        const chain = { name: `${l.name}#0`, filter: { onConnection: (s: net.Socket) => void held.push(s), drain: () => void drained.push(l.name) } };
        return { chains: [chain], select: () => chain };
      },
    };
  }

  function open(address: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
    const [host, port] = address.split(':');
    return new Promise((resolve, reject) => {
      const socket = net.connect(Number(port), host, () => resolve({ socket, closed: new Promise((r) => socket.once('close', () => r())) }));
      socket.on('error', () => undefined);
      socket.once('error', reject);
    });
  }

  const inbound = (name: string) => ({ ...listener(name, 0), traffic_direction: 'INBOUND' }) as Listener__Output;

  it('shutdown stops accepting, drains every chain, starts no later listener and reports idle once the last connection closes', async () => {
    const held: net.Socket[] = [];
    const drained: string[] = [];
    manager = new ListenerManager(holding(held, drained), silentLogger());
    await manager.addOrUpdate(listener('web', 0));
    const address = manager.boundAddress('web')!;
    const client = await open(address);
    await expect.poll(() => held.length).toBe(1);
    manager.shutdown();
    expect(drained).toEqual(['web']);
    expect(manager.drainingListeners()).toBe(1);
    await expect(open(address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await manager.addOrUpdate(listener('late', 0));
    expect(manager.names()).toEqual([]);
    expect(await manager.whenIdle(0)).toBe(false);
    const idle = manager.whenIdle(10_000);
    client.socket.destroy();
    expect(await idle).toBe(true);
    expect(manager.drainingListeners()).toBe(0);
  });

  it('closes what is left of a removed listener after the drain time', async () => {
    const held: net.Socket[] = [];
    manager = new ListenerManager(holding(held, []), silentLogger(), undefined, {}, { timeMs: 50 });
    await manager.addOrUpdate(listener('web', 0));
    const client = await open(manager.boundAddress('web')!);
    await expect.poll(() => held.length).toBe(1);
    manager.remove('web');
    expect(manager.drainingListeners()).toBe(1);
    await client.closed;
    expect(await manager.whenIdle(1000)).toBe(true);
  });

  it('/drain_listeners?inboundonly stops only inbound listeners, and keeps their connections', async () => {
    const held: net.Socket[] = [];
    const drained: string[] = [];
    manager = new ListenerManager(holding(held, drained), silentLogger());
    await manager.addOrUpdate(inbound('in'));
    await manager.addOrUpdate(listener('out', 0));
    const inAddress = manager.boundAddress('in')!;
    const outAddress = manager.boundAddress('out')!;
    const kept = await open(inAddress);
    await expect.poll(() => held.length).toBe(1);
    manager.drainListeners({ inboundOnly: true, graceful: false });
    expect(drained).toEqual([]);
    await expect(open(inAddress)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    await open(outAddress);
    await expect.poll(() => held.length).toBe(2);
    expect(kept.socket.destroyed).toBe(false);
    // LDS starts no inbound listener any more, outbound ones still.
    await manager.addOrUpdate(inbound('in2'));
    await manager.addOrUpdate(listener('out2', 0));
    expect(manager.names().sort()).toEqual(['out', 'out2']);
  });

  it('/drain_listeners?graceful keeps accepting while the chains drain, then stops after the drain time', async () => {
    const held: net.Socket[] = [];
    const drained: string[] = [];
    manager = new ListenerManager(holding(held, drained), silentLogger(), undefined, {}, { timeMs: 200 });
    await manager.addOrUpdate(listener('web', 0));
    const address = manager.boundAddress('web')!;
    manager.drainListeners({ inboundOnly: false, graceful: true });
    expect(drained).toEqual(['web']);
    expect(manager.drainingListeners()).toBe(1);
    await open(address);
    await expect.poll(() => held.length).toBe(1);
    await expect.poll(() => manager!.names()).toEqual([]);
    await expect(open(address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // The connections accepted before the end carry on (the process is not exiting).
    expect(held[0]!.destroyed).toBe(false);
  });
});
