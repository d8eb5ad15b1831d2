import { describe, expect, it } from 'vitest';
import { mulberry32 } from './mulberry32.js';
import { hex64, mod64, toU64, xxHash64, xxHash64Parts } from './xxhash64.js';

// A straightforward BigInt XXH64 written from the spec, to cross-check the 32-bit-halves version.
const M = (1n << 64n) - 1n;
const P = [0x9e3779b185ebca87n, 0xc2b2ae3d27d4eb4fn, 0x165667b19e3779f9n, 0x85ebca77c2b2ae63n, 0x27d4eb2f165667c5n] as const;
const [P1, P2, P3, P4, P5] = P;
const rotl = (x: bigint, r: bigint): bigint => ((x << r) | (x >> (64n - r))) & M;
const mul = (a: bigint, b: bigint): bigint => (a * b) & M;
const lane = (b: Uint8Array, i: number, n: number): bigint => {
  let v = 0n;
  for (let k = n - 1; k >= 0; k--) v = (v << 8n) | BigInt(b[i + k]!);
  return v;
};
const round = (acc: bigint, input: bigint): bigint => mul(rotl((acc + mul(input, P2)) & M, 31n), P1);
const merge = (acc: bigint, v: bigint): bigint => (mul(acc ^ round(0n, v), P1) + P4) & M;
function referenceXxh64(b: Uint8Array, seed: bigint): bigint {
  let i = 0;
  let h: bigint;
  if (b.length >= 32) {
    let v1 = (seed + P1 + P2) & M, v2 = (seed + P2) & M, v3 = seed, v4 = (seed - P1) & M;
    for (; i + 32 <= b.length; i += 32) {
      v1 = round(v1, lane(b, i, 8));
      v2 = round(v2, lane(b, i + 8, 8));
      v3 = round(v3, lane(b, i + 16, 8));
      v4 = round(v4, lane(b, i + 24, 8));
    }
    h = (rotl(v1, 1n) + rotl(v2, 7n) + rotl(v3, 12n) + rotl(v4, 18n)) & M;
    h = merge(merge(merge(merge(h, v1), v2), v3), v4);
  } else {
    h = (seed + P5) & M;
  }
  h = (h + BigInt(b.length)) & M;
  for (; i + 8 <= b.length; i += 8) h = (mul(rotl(h ^ round(0n, lane(b, i, 8)), 27n), P1) + P4) & M;
  if (i + 4 <= b.length) {
    h = (mul(rotl(h ^ mul(lane(b, i, 4), P1), 23n), P2) + P3) & M;
    i += 4;
  }
  for (; i < b.length; i++) h = mul(rotl(h ^ mul(BigInt(b[i]!), P5), 11n), P1);
  h ^= h >> 33n;
  h = mul(h, P2);
  h ^= h >> 29n;
  h = mul(h, P3);
  return h ^ (h >> 32n);
}

describe('xxHash64', () => {
  it.each([
    ['', 0, 0xef46db3751d8e999n],
    ['a', 0, 0xd24ec4f1a98c6e5bn],
    ['abc', 0, 0x44bc2cf5ad770999n],
    ['xxhash', 0, 0x32dd38952c4bc720n],
    ['xxhash', 20141025, 0xb559b98d844e0635n],
    ['Nobody inspects the spammish repetition', 0, 0xfbcea83c8a378bf1n],
  ])('hashes %j with seed %d to the published value', (input, seed, expected) => {
    expect(xxHash64(input, seed)).toBe(expected);
  });

  it('agrees with a BigInt reference for every length 0..199 and random seeds', () => {
    const rnd = mulberry32(7);
    for (let len = 0; len < 200; len++) {
      const b = Uint8Array.from({ length: len }, () => Math.floor(rnd() * 256));
      const seed = len % 3 === 0 ? 0n : (BigInt(Math.floor(rnd() * 2 ** 32)) << 32n) | BigInt(Math.floor(rnd() * 2 ** 32));
      expect(xxHash64(b, seed)).toBe(referenceXxh64(b, seed));
    }
  });

  it('hashes strings as UTF-8', () => {
    expect(xxHash64('héllo ☃')).toBe(referenceXxh64(new TextEncoder().encode('héllo ☃'), 0n));
  });

  it('gives the same value as halves and as a bigint', () => {
    const { hi, lo } = xxHash64Parts('10.0.0.1:80_0');
    expect((BigInt(hi) << 32n) | BigInt(lo)).toBe(xxHash64('10.0.0.1:80_0'));
  });

  it('accepts a number seed equal to the same bigint seed', () => {
    expect(xxHash64('k', 1)).toBe(xxHash64('k', 1n));
    expect(xxHash64('k', 2 ** 40 + 5)).toBe(xxHash64('k', 2n ** 40n + 5n));
  });
});

describe('64-bit helpers', () => {
  it.each([
    [0n, 100], [99n, 100], [(1n << 64n) - 1n, 100], [0xdeadbeefcafebaben, 65537], [(1n << 64n) - 1n, 5000011],
  ])('mod64(%s, %d) matches bigint arithmetic', (v, m) => {
    const { hi, lo } = toU64(v);
    expect(mod64(hi, lo, m)).toBe(Number(v % BigInt(m)));
  });

  it('formats 16 zero-padded lowercase hex digits', () => {
    expect(hex64(0xabn)).toBe('00000000000000ab');
    expect(hex64(0xef46db3751d8e999n)).toBe('ef46db3751d8e999');
  });
});
