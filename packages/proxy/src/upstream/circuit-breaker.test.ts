import type { Cluster__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { Resource, ResourceManager, thresholdsOf } from './circuit-breaker.js';

describe('thresholdsOf', () => {
  it.each([
    ['no circuit breakers: Envoy defaults', undefined, { maxConnections: 1024, maxPendingRequests: 1024, maxRequests: 1024, maxRetries: 3 }],
    [
      'the DEFAULT priority, unset fields defaulted',
      { thresholds: [{ priority: 'HIGH', max_connections: { value: 9 } }, { priority: 'DEFAULT', max_connections: { value: 1 }, max_pending_requests: { value: 2 } }] },
      { maxConnections: 1, maxPendingRequests: 2, maxRequests: 1024, maxRetries: 3 },
    ],
  ])('%s', (_name, circuitBreakers, expected) => {
    expect(thresholdsOf({ name: 'c', circuit_breakers: circuitBreakers } as unknown as Cluster__Output)).toEqual(expected);
  });
});

describe('Resource', () => {
  it('grants units up to its max and takes them back', () => {
    const r = new Resource(2);
    expect([r.tryAcquire(), r.tryAcquire(), r.tryAcquire()]).toEqual([true, true, false]);
    expect(r.active).toBe(2);
    r.release();
    expect(r.canCreate()).toBe(true);
    expect(r.tryAcquire()).toBe(true);
  });

  it('hands a released unit to the longest waiter, before any newcomer', async () => {
    const r = new Resource(1);
    r.tryAcquire();
    const order: string[] = [];
    const first = r.wait(new AbortController().signal).then((granted) => order.push(`first ${granted}`));
    const second = r.wait(new AbortController().signal).then((granted) => order.push(`second ${granted}`));
    r.release();
    expect(r.tryAcquire()).toBe(false);
    await first;
    r.release();
    await second;
    expect(order).toEqual(['first true', 'second true']);
    r.release();
    expect(r.active).toBe(0);
  });

  it('drops a waiter whose signal aborts, without taking a unit', async () => {
    const r = new Resource(1);
    r.tryAcquire();
    const controller = new AbortController();
    const waiting = r.wait(controller.signal);
    controller.abort();
    expect(await waiting).toBe(false);
    r.release();
    expect(r.active).toBe(0);
    expect(await r.wait(AbortSignal.abort())).toBe(false);
  });
});

describe('ResourceManager', () => {
  it('sizes each resource from the thresholds', () => {
    const m = new ResourceManager({ maxConnections: 1, maxPendingRequests: 2, maxRequests: 3, maxRetries: 4 });
    expect([m.connections.max, m.pendingRequests.max, m.requests.max, m.retries.max]).toEqual([1, 2, 3, 4]);
  });
});
