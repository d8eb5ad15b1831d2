import { describe, expect, it } from 'vitest';
import { Resource, ResourceManager, thresholdsOf } from './circuit-breaker.js';
import { ArenaCell, CounterArena, FIELDS, createRegion, regionBytes, sharedMemoryUnavailable, type SharedSlot } from './shared-counters.js';
import type { Cluster__Output } from '@weft/api';

function arena(workers = 2, slots = 4): CounterArena {
  return new CounterArena(new ArrayBuffer(regionBytes(workers, slots)), workers, slots);
}

describe('CounterArena', () => {
  it('sums a count over the workers\' columns; each worker adds only to its own', () => {
    const a = arena(3);
    const base = a.base(2, 5);
    a.add(base, 0, 2);
    a.add(base, 2, 3);
    expect(a.total(base)).toBe(5);
    expect(a.own(base, 2)).toBe(3);
    expect(a.total(a.base(2, 4))).toBe(0);
    a.zeroWorker(2);
    expect(a.total(base)).toBe(2);
  });

  it('refuses slots outside the region and regions that are too small', () => {
    expect(() => arena(2, 4).base(4, 0)).toThrow(/outside the region/);
    expect(() => new CounterArena(new ArrayBuffer(16), 2, 4)).toThrow(/smaller/);
    expect(regionBytes(2, 4)).toBe(4 * FIELDS * 2 * 4);
  });

  it('maps a real shared region when the addon is built (npm ci builds it here)', () => {
    expect(sharedMemoryUnavailable()).toBeUndefined();
    const region = createRegion(2, 8);
    expect(region?.fd).toBeGreaterThan(2);
    const base = region!.arena.base(7, FIELDS - 1);
    region!.arena.add(base, 1, 4);
    expect(region!.arena.total(base)).toBe(4);
  });
});

describe('Resource over shared counts', () => {
  const slot = (a: CounterArena, worker: number | undefined): SharedSlot => ({ arena: a, slot: 1, worker });

  it('holds the limit for the sum of the workers, and each worker releases only what it holds', () => {
    const a = arena();
    const base = a.base(1, 2);
    const w0 = new Resource(2, undefined, new ArenaCell(a, base, 0));
    const w1 = new Resource(2, undefined, new ArenaCell(a, base, 1));
    expect(w0.tryAcquire()).toBe(true);
    expect(w1.tryAcquire()).toBe(true);
    expect(w0.tryAcquire()).toBe(false);
    expect(w1.tryAcquire()).toBe(false);
    expect(w0.active).toBe(2);
    w1.release();
    w1.release(); // holds nothing more: no effect on worker 0's unit
    expect(w0.active).toBe(1);
    expect(w0.tryAcquire()).toBe(true);
  });

  it('detaches: units still held are counted locally and leave the shared slot to its next owner', () => {
    const a = arena();
    const cluster = { name: 'c', circuit_breakers: { thresholds: [{ max_requests: { value: 1 } }] } } as unknown as Cluster__Output;
    const old = new ResourceManager(thresholdsOf(cluster), undefined, 'DEFAULT', slot(a, 0));
    expect(old.requests.tryAcquire()).toBe(true);
    old.detach();
    const next = new ResourceManager(thresholdsOf(cluster), undefined, 'DEFAULT', slot(a, 0));
    expect(next.requests.tryAcquire()).toBe(true);
    old.requests.release();
    expect(next.requests.active).toBe(1);
    // The primary's view (no column) reads totals and holds nothing.
    const primary = new ResourceManager(thresholdsOf(cluster), undefined, 'DEFAULT', slot(a, undefined));
    expect(primary.requests.active).toBe(1);
  });

  it('keeps HIGH and DEFAULT counts apart in one slot', () => {
    const a = arena();
    const cluster = { name: 'c', circuit_breakers: { thresholds: [{ max_requests: { value: 1 } }, { priority: 'HIGH', max_requests: { value: 1 } }] } } as unknown as Cluster__Output;
    const d = new ResourceManager(thresholdsOf(cluster), undefined, 'DEFAULT', slot(a, 0));
    const h = new ResourceManager(thresholdsOf(cluster, 'HIGH'), undefined, 'HIGH', slot(a, 1));
    expect(d.requests.tryAcquire()).toBe(true);
    expect(h.requests.tryAcquire()).toBe(true);
    expect(d.requests.tryAcquire()).toBe(false);
  });
});
