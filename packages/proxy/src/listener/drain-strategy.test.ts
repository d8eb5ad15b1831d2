import { describe, expect, it } from 'vitest';
import { drainClose, drainSweepDelayMs, type DrainSettings } from './drain-strategy.js';

const immediate: DrainSettings = { strategy: 'immediate', timeMs: 10_000 };
const gradual: DrainSettings = { strategy: 'gradual', timeMs: 10_000 };

describe('drainClose', () => {
  it.each([
    ['immediate closes at the start', immediate, 0, 0.99, true],
    ['immediate closes later too', immediate, 9_000, 0.99, true],
    ['gradual keeps a connection at the start', gradual, 0, 0, false],
    ['gradual closes below the elapsed share', gradual, 5_000, 0.49, true],
    ['gradual keeps above the elapsed share', gradual, 5_000, 0.51, false],
    ['gradual closes everything once the drain time is over', gradual, 12_000, 0.99, true],
    ['gradual with no drain time closes at once', { strategy: 'gradual', timeMs: 0 } as DrainSettings, 0, 0.99, true],
  ])('%s', (_name, settings, elapsed, roll, expected) => {
    expect(drainClose(settings, elapsed, () => roll)).toBe(expected);
  });
});

describe('drainSweepDelayMs', () => {
  it('sweeps after drain_timeout when immediate, at the end of the drain time when gradual', () => {
    expect(drainSweepDelayMs(immediate, 5_000)).toBe(5_000);
    expect(drainSweepDelayMs(gradual, 5_000)).toBe(10_000);
  });
});
