import { describe, expect, it } from 'vitest';
import { afterFailure, restartDelay } from './restart-policy.js';

describe('restart policy', () => {
  it('backs off from 200 ms, doubling, to at most 10 s', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9].map((a) => restartDelay(a))).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
  });

  it('gives up at the 10th consecutive quick failure', () => {
    let failures = 0;
    const delays: number[] = [];
    for (let i = 0; i < 9; i++) {
      const d = afterFailure(failures, 500);
      expect(d.action).toBe('restart');
      if (d.action === 'restart') delays.push(d.delayMs);
      failures = d.failures;
    }
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 6400, 10_000, 10_000, 10_000]);
    expect(afterFailure(failures, 500)).toEqual({ action: 'give-up', failures: 10 });
  });

  it('a run that stayed up 10 s resets the count', () => {
    expect(afterFailure(9, 10_000)).toEqual({ action: 'restart', attempt: 1, delayMs: 200, failures: 0 });
    expect(afterFailure(0, 100)).toEqual({ action: 'restart', attempt: 1, delayMs: 200, failures: 1 });
  });
});
