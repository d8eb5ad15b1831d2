import { describe, expect, it } from 'vitest';
import { StreamAdmission, type AdmissionClock } from './admission.js';

function fakeClock(): AdmissionClock & { advance(ms: number): void } {
  let now = 0;
  let timers: { at: number; fn: () => void }[] = [];
  return {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.push({ at: now + ms, fn });
      return {};
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = end;
    },
  };
}

describe('StreamAdmission', () => {
  it('admits a burst at once, then the rest at the rate, in arrival order', () => {
    const clock = fakeClock();
    const a = new StreamAdmission(10, 3, clock);
    const started: number[] = [];
    for (let i = 0; i < 8; i++) a.admit(() => started.push(i));
    expect(started).toEqual([0, 1, 2]);
    expect(a.pending).toBe(5);
    clock.advance(100);
    expect(started).toEqual([0, 1, 2, 3]);
    clock.advance(400);
    expect(started).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(a.pending).toBe(0);
  });

  it('forgets a stream cancelled while waiting', () => {
    const clock = fakeClock();
    const a = new StreamAdmission(1, 1, clock);
    const started: string[] = [];
    a.admit(() => started.push('a'));
    const cancel = a.admit(() => started.push('b'));
    a.admit(() => started.push('c'));
    cancel();
    clock.advance(1000);
    expect(started).toEqual(['a', 'c']);
  });

  it('admits everything at once with no rate', () => {
    const a = new StreamAdmission(0);
    let n = 0;
    for (let i = 0; i < 100; i++) a.admit(() => n++);
    expect(n).toBe(100);
  });
});
