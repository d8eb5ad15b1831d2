// The pools against real servers: max_connections, max_pending_requests overflow and
// max_requests_per_connection (Envoy's circuit breakers as the DestinationRule connectionPool sets them).
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ResourceManager } from '../src/upstream/circuit-breaker.js';
import { Http1Pool, Http2Pool, UpstreamError, type ConnPool, type UpstreamResponse } from '../src/upstream/conn-pool.js';

interface Held {
  server: http.Server;
  port: number;
  /** Responses waiting to be answered, in arrival order. */
  waiting: http.ServerResponse[];
  connections: number;
}

async function holdingServer(): Promise<Held> {
  const held: Held = { server: http.createServer(), port: 0, waiting: [], connections: 0 };
  held.server.on('request', (_req, res: http.ServerResponse) => held.waiting.push(res));
  held.server.on('connection', () => held.connections++);
  await new Promise<void>((r) => held.server.listen(0, '127.0.0.1', () => r()));
  held.port = (held.server.address() as AddressInfo).port;
  return held;
}

const closers: (() => Promise<void>)[] = [];

async function setup(limits: { maxConnections: number; maxPendingRequests: number; maxRequestsPerConnection?: number }) {
  const held = await holdingServer();
  const resources = new ResourceManager({ maxConnections: limits.maxConnections, maxPendingRequests: limits.maxPendingRequests, maxRequests: 1024, maxRetries: 3 });
  const pool = new Http1Pool('127.0.0.1', held.port, { connectTimeoutMs: 1000, resources, ...(limits.maxRequestsPerConnection ? { maxRequestsPerConnection: limits.maxRequestsPerConnection } : {}) });
  closers.push(async () => {
    pool.close();
    held.server.closeAllConnections();
    await new Promise((r) => held.server.close(r));
  });
  return { held, pool, resources };
}

const get = (pool: ConnPool, signal = new AbortController().signal) => pool.request({ method: 'GET', path: '/', authority: 'web', headers: {} }, undefined, signal);

async function waitUntil(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(check()).toBe(true);
}

function read(res: UpstreamResponse): Promise<void> {
  return new Promise((resolve) => {
    res.body.on('end', resolve);
    res.body.resume();
  });
}

afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

describe('Http1Pool circuit breakers', () => {
  it('queues one request as pending on the busy connection and overflows the next', async () => {
    const { held, pool, resources } = await setup({ maxConnections: 1, maxPendingRequests: 1 });
    const first = get(pool);
    await waitUntil(() => held.waiting.length === 1);
    const second = get(pool);
    await expect(get(pool)).rejects.toEqual(new UpstreamError('overflow', 'pending requests overflow'));
    expect(resources.pendingRequests.active).toBe(1);
    held.waiting[0]!.end('one');
    await read(await first);
    await waitUntil(() => held.waiting.length === 2);
    expect(resources.pendingRequests.active).toBe(0);
    held.waiting[1]!.end('two');
    await read(await second);
    await waitUntil(() => resources.connections.active === 0);
  });

  it('gives a pending request up as a timeout when its signal aborts, releasing its place', async () => {
    const { held, pool, resources } = await setup({ maxConnections: 1, maxPendingRequests: 1 });
    const first = get(pool);
    await waitUntil(() => held.waiting.length === 1);
    const controller = new AbortController();
    const pending = get(pool, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ failure: 'timeout', queued: true });
    expect(resources.pendingRequests.active).toBe(0);
    held.waiting[0]!.end();
    await read(await first);
    expect(held.waiting).toHaveLength(1);
  });

  it('opens one connection to a host with none although other hosts hold every max_connections unit (Envoy), and no second', async () => {
    const a = await setup({ maxConnections: 1, maxPendingRequests: 1 });
    const b = await holdingServer();
    closers.push(async () => {
      b.server.closeAllConnections();
      await new Promise((r) => b.server.close(r));
    });
    const poolB = new Http1Pool('127.0.0.1', b.port, { connectTimeoutMs: 1000, resources: a.resources });
    closers.push(async () => poolB.close());
    const first = get(a.pool);
    await waitUntil(() => a.held.waiting.length === 1);
    const onB = get(poolB);
    await waitUntil(() => b.waiting.length === 1);
    expect(a.resources.connections.active).toBe(1);
    // B has its connection now: the next request waits as pending.
    const pendingB = get(poolB);
    await waitUntil(() => a.resources.pendingRequests.active === 1);
    b.waiting[0]!.end();
    await read(await onB);
    a.held.waiting[0]!.end();
    await read(await first);
    await waitUntil(() => b.waiting.length === 2);
    b.waiting[1]!.end();
    await read(await pendingB);
    await waitUntil(() => a.resources.connections.active === 0);
  });

  it('closes a connection after max_requests_per_connection requests', async () => {
    const { held, pool } = await setup({ maxConnections: 4, maxPendingRequests: 4, maxRequestsPerConnection: 2 });
    for (let i = 0; i < 4; i++) {
      const r = get(pool);
      await waitUntil(() => held.waiting.length === i + 1);
      held.waiting[i]!.end();
      await read(await r);
    }
    expect(held.connections).toBe(2);
  });

  it('keeps reusing one connection when max_requests_per_connection is unset', async () => {
    const { held, pool } = await setup({ maxConnections: 4, maxPendingRequests: 4 });
    for (let i = 0; i < 4; i++) {
      const r = get(pool);
      await waitUntil(() => held.waiting.length === i + 1);
      held.waiting[i]!.end();
      await read(await r);
    }
    expect(held.connections).toBe(1);
  });
});

describe('Http2Pool', () => {
  async function h2Setup(maxPendingRequests: number) {
    const server = http2.createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as AddressInfo).port;
    const resources = new ResourceManager({ maxConnections: 1024, maxPendingRequests, maxRequests: 1024, maxRetries: 3 });
    const pool = new Http2Pool('127.0.0.1', port, { connectTimeoutMs: 1000, resources });
    closers.push(async () => {
      pool.close();
      await new Promise((r) => server.close(r));
    });
    return { pool, resources };
  }

  it('counts requests made while the session connects as pending, overflowing past the limit', async () => {
    const { pool, resources } = await h2Setup(1);
    const first = get(pool);
    await expect(get(pool)).rejects.toMatchObject({ failure: 'overflow' });
    expect(resources.pendingRequests.active).toBe(1);
    await read(await first);
    expect(resources.pendingRequests.active).toBe(0);
    // Connected now: requests are multiplexed at once, never pending.
    await Promise.all([get(pool), get(pool)].map(async (r) => read(await r)));
  });

  it('adds no session listeners per request once connected', async () => {
    const { pool } = await h2Setup(1024);
    for (let i = 0; i < 20; i++) await read(await get(pool));
    expect(pool.sessions).toHaveLength(1);
    expect(pool.sessions[0]!.session.listenerCount('connect')).toBe(0);
  });
});
