import { describe, expect, it } from 'vitest';
import { defineErrors, listErrors, WeftError } from './errors.js';

describe('defineErrors', () => {
  const E = defineErrors({
    BAD_FILE: { code: 'WEFT_TEST_BAD_FILE', message: 'cannot read %s: %s' },
  });

  it('builds errors with the stable code, formatted message and cause', () => {
    const cause = new Error('ENOENT');
    const e = E.BAD_FILE(['/x', 'missing'], cause);
    expect(e).toBeInstanceOf(WeftError);
    expect(e.code).toBe('WEFT_TEST_BAD_FILE');
    expect(e.message).toBe('cannot read /x: missing');
    expect(e.cause).toBe(cause);
    expect(E.BAD_FILE.is(e)).toBe(true);
    expect(E.BAD_FILE.is(new Error('x'))).toBe(false);
  });

  it('rejects malformed and duplicate codes when the catalog is defined', () => {
    expect(() => defineErrors({ A: { code: 'bad', message: '' } })).toThrow(/must match/);
    expect(() =>
      defineErrors({ A: { code: 'WEFT_X', message: '' }, B: { code: 'WEFT_X', message: '' } }),
    ).toThrow(/duplicate/);
  });

  it('lists the catalog for documentation', () => {
    expect(listErrors(E)).toEqual([{ code: 'WEFT_TEST_BAD_FILE', message: 'cannot read %s: %s' }]);
  });
});
