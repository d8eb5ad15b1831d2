import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    ['100ms', 100],
    ['1.5s', 1500],
    ['1h2m', 3_720_000],
    ['10s', 10_000],
    ['0', 0],
    ['500us', 0.5],
    ['-2s', -2000],
  ])('%s = %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it.each(['', '10', 's', '1x', '1s foo', '--1s'])('rejects %j', (text) => expect(parseDuration(text)).toBeUndefined());

  it.each([
    [100, '100ms'],
    [90_000, '1m30s'],
    [3_600_000, '1h0m0s'],
    [1500, '1.5s'],
  ])('formats %d as %s', (ms, text) => expect(formatDuration(ms)).toBe(text));
});
