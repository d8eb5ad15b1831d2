import { describe, expect, it } from 'vitest';
import { Ctx } from './context.js';
import { checkDuration, parseDuration } from './duration.js';

describe('parseDuration (Go time.ParseDuration grammar)', () => {
  it.each([
    ['1s', 1_000_000_000n],
    ['100ms', 100_000_000n],
    ['1.5s', 1_500_000_000n],
    ['1h2m', 3_720_000_000_000n],
    ['2h45m30.5s', 9_930_500_000_000n],
    ['.5s', 500_000_000n],
    ['5.s', 5_000_000_000n],
    ['300us', 300_000n],
    ['300\u00b5s', 300_000n],
    ['1ns', 1n],
    ['0', 0n],
    ['-1.5h', -5_400_000_000_000n],
    ['+10m', 600_000_000_000n],
  ])('parses %s', (text, nanos) => {
    expect(parseDuration(text)).toEqual({ ok: true, nanos });
  });

  it.each([
    ['', 'empty'],
    ['10', 'expected a number followed by a unit'],
    ['1d', 'unknown unit "d"'],
    ['5 s', 'unknown unit " s"'],
    ['.s', 'missing digits'],
    ['1.2.3s', 'expected a number followed by a unit'],
    ['s', 'missing digits'],
    ['3000000h', 'too large'],
  ])('rejects %j (%s)', (text, why) => {
    const d = parseDuration(text);
    expect(d.ok).toBe(false);
    expect(d.ok ? '' : d.error).toContain(why);
  });
});

describe('checkDuration (Istio: >= 1ms, whole milliseconds)', () => {
  const errorsFor = (text: string, rule?: Parameters<typeof checkDuration>[2]): string[] => {
    const ctx = Ctx.root();
    checkDuration(text, ctx.at('timeout'), rule);
    return ctx.result().errors.map((e) => `${e.path}: ${e.message}`);
  };

  it('accepts 1ms and whole-millisecond values', () => {
    expect(errorsFor('1ms')).toEqual([]);
    expect(errorsFor('1.5s')).toEqual([]);
  });

  it('rejects values under 1ms, including 0s', () => {
    expect(errorsFor('0s')).toEqual(['timeout: duration 0s must be at least 1ms']);
    expect(errorsFor('999us')).toEqual(['timeout: duration 999us must be at least 1ms']);
  });

  it('rejects sub-millisecond precision', () => {
    expect(errorsFor('1.0005s')).toEqual(['timeout: duration 1.0005s must be a whole number of milliseconds']);
  });

  it('applies maximums and second precision when asked', () => {
    expect(errorsFor('31s', { max: 30_000_000_000n })).toEqual(['timeout: duration 31s must be at most 30s']);
    expect(errorsFor('1500ms', { precision: 's' })).toEqual(['timeout: duration 1500ms must be a whole number of seconds']);
  });
});
