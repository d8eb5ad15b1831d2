import { createLogger } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { CounterArena, regionBytes } from '../upstream/shared-counters.js';
import { PrimarySlots, WorkerSlots } from './cluster-slots.js';

const logger = createLogger({ component: 'test', level: 'silent' });
const arena = () => new CounterArena(new ArrayBuffer(regionBytes(2, 6)), 2, 6);

describe('PrimarySlots', () => {
  it('gives static clusters their bootstrap index and dynamic ones the slots after them', () => {
    const books = new PrimarySlots(arena(), 2, logger);
    expect(books.slotFor('s1', 1)?.slot).toBe(1);
    expect(books.slotFor('d1', undefined)?.slot).toBe(2);
    expect(books.slotFor('d2', undefined)?.slot).toBe(3);
  });

  it('reuses a slot only after the primary and every worker it was handed to let it go', () => {
    const books = new PrimarySlots(arena(), 0, logger);
    const s = books.slotFor('a', undefined)!;
    books.given(s.slot, 0);
    books.given(s.slot, 1);
    books.release(s);
    expect(books.slotFor('b', undefined)?.slot).not.toBe(s.slot);
    books.released(s.slot, 0);
    expect(books.slotFor('c', undefined)?.slot).not.toBe(s.slot);
    books.workerGone(1);
    expect(books.slotFor('d', undefined)?.slot).toBe(s.slot);
  });

  it('falls back to per-process counts when the region is full, and never frees static slots', () => {
    const books = new PrimarySlots(arena(), 1, logger);
    const st = books.slotFor('s', 0)!;
    books.release(st);
    const got = Array.from({ length: 6 }, (_, i) => books.slotFor(`d${i}`, undefined)?.slot);
    expect(got).toEqual([1, 2, 3, 4, 5, undefined]);
  });

  it('zeroes a gone worker\'s column, so its units stop counting', () => {
    const a = arena();
    const books = new PrimarySlots(a, 0, logger);
    a.add(a.base(0, 2), 1, 5);
    books.workerGone(1);
    expect(a.total(a.base(0, 2))).toBe(0);
  });
});

describe('WorkerSlots', () => {
  it('takes offered slots, gives back the ones no instance took unless it holds them, and releases retired ones', () => {
    const released: number[] = [];
    const a = arena();
    a.add(a.base(4, 0), 1, 3);
    const w = new WorkerSlots(a, 1, 1, (s) => released.push(s));
    expect(a.total(a.base(4, 0))).toBe(0); // a re-forked worker starts with nothing held
    expect(w.slotFor('static', 0)).toMatchObject({ slot: 0, worker: 1 });
    w.offer([['a', 2], ['b', 3]]);
    const a2 = w.slotFor('a', undefined)!;
    w.settle();
    expect(released).toEqual([3]);
    w.offer([['a', 2]]);
    w.settle();
    expect(released).toEqual([3]);
    expect(w.slotFor('unknown', undefined)).toBeUndefined();
    w.release(a2);
    w.release({ arena: a, slot: 0, worker: 1 });
    expect(released).toEqual([3, 2]);
  });
});
