import { describe, expect, it } from 'vitest';
import { Debouncer, type Clock } from './debounce.js';
import { pushRequest, type PushRequest } from './push-request.js';

/** A manual clock: timers fire only when the test advances time. */
class FakeClock implements Clock {
  t = 0;
  private timers = new Map<number, { at: number; fn: () => void }>();
  private id = 0;
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => {
    this.timers.set(++this.id, { at: this.t + ms, fn });
    return this.id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      const next = [...this.timers.entries()].filter(([, x]) => x.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
      await Promise.resolve();
      await Promise.resolve();
    }
    this.t = end;
    for (let i = 0; i < 10; i++) await Promise.resolve();
  }
}

function setup() {
  const clock = new FakeClock();
  const pushes: { at: number; request: PushRequest }[] = [];
  let release: (() => void) | undefined;
  let blocking = false;
  const d = new Debouncer({
    afterMs: 100,
    maxMs: 10_000,
    clock,
    push: (request) => {
      pushes.push({ at: clock.t, request });
      return blocking ? new Promise<void>((r) => (release = r)) : Promise.resolve();
    },
  });
  return { clock, pushes, d, block: () => (blocking = true), release: () => release?.() };
}

describe('Debouncer', () => {
  it('pushes once after 100 ms of quiet, merging the events', async () => {
    const { clock, pushes, d } = setup();
    d.enqueue(pushRequest('config', 0, { full: false, edsUpdates: ['a'] }));
    await clock.advance(50);
    d.enqueue(pushRequest('config', 50, { full: false, edsUpdates: ['b'] }));
    await clock.advance(99);
    expect(pushes).toHaveLength(0);
    await clock.advance(1);
    expect(pushes).toHaveLength(1);
    expect(pushes[0]!.at).toBe(150);
    expect(pushes[0]!.request.full).toBe(false);
    expect([...pushes[0]!.request.edsUpdates]).toEqual(['a', 'b']);
  });

  it('a full request wins over endpoint-only ones', async () => {
    const { clock, pushes, d } = setup();
    d.enqueue(pushRequest('endpoint', 0, { full: false, edsUpdates: ['a'] }));
    d.enqueue(pushRequest('config', 0));
    await clock.advance(100);
    expect(pushes[0]!.request.full).toBe(true);
  });

  it('pushes at the 10 s maximum even when events never stop', async () => {
    const { clock, pushes, d } = setup();
    for (let t = 0; t < 12_000; t += 50) {
      d.enqueue(pushRequest('config', clock.t));
      await clock.advance(50);
    }
    expect(pushes[0]!.at).toBe(10_000);
  });

  it('runs one push at a time and merges what arrives meanwhile into the next', async () => {
    const s = setup();
    s.block();
    s.d.enqueue(pushRequest('config', 0));
    await s.clock.advance(100);
    expect(s.pushes).toHaveLength(1);
    s.d.enqueue(pushRequest('endpoint', 100, { full: false, edsUpdates: ['x'] }));
    s.d.enqueue(pushRequest('endpoint', 100, { full: false, edsUpdates: ['y'] }));
    await s.clock.advance(500);
    expect(s.pushes).toHaveLength(1);
    s.release();
    await s.clock.advance(1);
    expect(s.pushes).toHaveLength(2);
    expect([...s.pushes[1]!.request.edsUpdates]).toEqual(['x', 'y']);
  });
});
