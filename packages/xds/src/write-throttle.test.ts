import { describe, expect, it } from 'vitest';
import { WriteThrottle } from './write-throttle.js';

describe('WriteThrottle', () => {
  it('keeps at most `limit` writes in flight, starting the next in FIFO order as each is flushed', () => {
    const t = new WriteThrottle(2);
    const started: number[] = [];
    const done: (() => void)[] = [];
    for (let i = 0; i < 5; i++) t.run((d) => (started.push(i), done.push(d)));
    expect(started).toEqual([0, 1]);
    expect(t.waiting).toBe(3);
    done[1]!();
    expect(started).toEqual([0, 1, 2]);
    done[1]!(); // a second call of the same done frees nothing more
    expect(started).toEqual([0, 1, 2]);
    done[0]!();
    done[2]!();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    expect(t.waiting).toBe(0);
  });

  it('frees the slot of a write that is never flushed after stuckMs, and says so to that write only', async () => {
    const t = new WriteThrottle(1, 20);
    const started: string[] = [];
    const stuck: string[] = [];
    t.run(() => started.push('stuck'), () => stuck.push('stuck'));
    t.run((d) => (started.push('next'), d()), () => stuck.push('next'));
    expect(started).toEqual(['stuck']);
    await expect.poll(() => started).toEqual(['stuck', 'next']);
    expect(stuck).toEqual(['stuck']);
  });

  it('writes at once with no limit', () => {
    const t = new WriteThrottle(0);
    let n = 0;
    for (let i = 0; i < 10; i++) t.run(() => n++);
    expect(n).toBe(10);
  });
});
