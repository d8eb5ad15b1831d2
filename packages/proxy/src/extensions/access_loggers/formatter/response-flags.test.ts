import { describe, expect, it } from 'vitest';
import { formatResponseFlags } from './response-flags.js';

describe('%RESPONSE_FLAGS%', () => {
  it.each([
    [[], '-'],
    [['UH'], 'UH'],
    [['NR'], 'NR'],
    [['URX', 'UF'], 'UF,URX'],
    [['URX', 'UT'], 'UT,URX'],
    [['FI', 'DI'], 'DI,FI'],
    [['DC', 'UC'], 'UC,DC'],
    [['UO', 'UH', 'LH'], 'LH,UH,UO'],
    [['NC', 'NR'], 'NR,NC'],
    [['ZZ', 'UF'], 'UF,ZZ'],
  ])('%j prints %s, in Envoy order', (flags, expected) => {
    expect(formatResponseFlags(new Set(flags))).toBe(expected);
  });
});
