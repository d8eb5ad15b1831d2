// XXH64 (https://github.com/Cyan4973/xxHash/blob/dev/doc/xxhash_spec.md), the hash Envoy's
// HashUtil::xxHash64 uses for ring keys, Maglev permutations and route hash policies (seed 0).
// The arithmetic runs on two unsigned 32-bit halves, so hashing allocates no BigInts; only the
// `bigint` convenience wrapper builds one at the end.

/** An unsigned 64-bit value as two unsigned 32-bit halves. Mutable so callers can reuse one. */
export interface U64 {
  hi: number;
  lo: number;
}

const TWO_32 = 4294967296;

// The five XXH64 primes, split into halves.
const P1H = 0x9e3779b1, P1L = 0x85ebca87;
const P2H = 0xc2b2ae3d, P2L = 0x27d4eb4f;
const P3H = 0x165667b1, P3L = 0x9e3779f9;
const P4H = 0x85ebca77, P4L = 0xc2b2ae63;
const P5H = 0x27d4eb2f, P5L = 0x165667c5;
// 2^64 - PRIME64_1, for the fourth accumulator's start value (seed - PRIME64_1).
const NEG_P1H = 0x61c8864e, NEG_P1L = 0x7a143579;

const utf8 = new TextEncoder();

function add(r: U64, h: number, l: number): void {
  const lo = r.lo + l;
  r.hi = (r.hi + h + (lo >= TWO_32 ? 1 : 0)) >>> 0;
  r.lo = lo >>> 0;
}

/** r = r * (h:l) mod 2^64. The low halves' full product is split at 16 bits to stay exact. */
function mul(r: U64, h: number, l: number): void {
  const ah = r.hi, al = r.lo;
  const a0 = al & 0xffff, a1 = al >>> 16, b0 = l & 0xffff, b1 = l >>> 16;
  const mid = (a1 * b0 + a0 * b1) * 65536 + a0 * b0; // < 2^50, exact in a double
  const lowProductHi = a1 * b1 + Math.floor(mid / TWO_32);
  r.lo = Math.imul(al, l) >>> 0;
  r.hi = (lowProductHi + Math.imul(ah, l) + Math.imul(al, h)) >>> 0;
}

/** Rotate left by 0 < n < 32 (every rotation XXH64 uses is below 32). */
function rotl(r: U64, n: number): void {
  const h = r.hi, l = r.lo;
  r.hi = ((h << n) | (l >>> (32 - n))) >>> 0;
  r.lo = ((l << n) | (h >>> (32 - n))) >>> 0;
}

function xor(r: U64, h: number, l: number): void {
  r.hi = (r.hi ^ h) >>> 0;
  r.lo = (r.lo ^ l) >>> 0;
}

/** r ^= r >> n, for the avalanche's shifts 29, 32 and 33. */
function xorShiftRight(r: U64, n: number): void {
  if (n >= 32) {
    r.lo = (r.lo ^ (r.hi >>> (n - 32))) >>> 0;
  } else {
    r.lo = (r.lo ^ ((r.lo >>> n) | (r.hi << (32 - n)))) >>> 0;
    r.hi = (r.hi ^ (r.hi >>> n)) >>> 0;
  }
}

function u32At(b: Uint8Array, i: number): number {
  return (b[i]! | (b[i + 1]! << 8) | (b[i + 2]! << 16) | (b[i + 3]! << 24)) >>> 0;
}

/** acc = rotl(acc + lane * P2, 31) * P1; `t` is scratch. */
function round(acc: U64, t: U64, laneHi: number, laneLo: number): void {
  t.hi = laneHi;
  t.lo = laneLo;
  mul(t, P2H, P2L);
  add(acc, t.hi, t.lo);
  rotl(acc, 31);
  mul(acc, P1H, P1L);
}

/** acc = (acc ^ round(0, v)) * P1 + P4; consumes `v`. */
function mergeRound(acc: U64, v: U64, t: U64): void {
  const vh = v.hi, vl = v.lo;
  v.hi = 0;
  v.lo = 0;
  round(v, t, vh, vl);
  xor(acc, v.hi, v.lo);
  mul(acc, P1H, P1L);
  add(acc, P4H, P4L);
}

/** acc += rotl(v, n); `t` is scratch. */
function addRotated(acc: U64, v: U64, n: number, t: U64): void {
  t.hi = v.hi;
  t.lo = v.lo;
  rotl(t, n);
  add(acc, t.hi, t.lo);
}

function seedHalves(seed: number | bigint): [number, number] {
  if (typeof seed === 'bigint') {
    const s = BigInt.asUintN(64, seed);
    return [Number(s >> 32n), Number(s & 0xffffffffn)];
  }
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError(`xxHash64 seed must be a non-negative safe integer, got ${seed}`);
  return [Math.floor(seed / TWO_32) >>> 0, seed >>> 0];
}

function stripes(b: Uint8Array, sh: number, sl: number, out: U64, t: U64): number {
  const v1: U64 = { hi: sh, lo: sl };
  add(v1, P1H, P1L);
  add(v1, P2H, P2L);
  const v2: U64 = { hi: sh, lo: sl };
  add(v2, P2H, P2L);
  const v3: U64 = { hi: sh, lo: sl };
  const v4: U64 = { hi: sh, lo: sl };
  add(v4, NEG_P1H, NEG_P1L);
  let i = 0;
  for (const last = b.length - 32; i <= last; i += 32) {
    round(v1, t, u32At(b, i + 4), u32At(b, i));
    round(v2, t, u32At(b, i + 12), u32At(b, i + 8));
    round(v3, t, u32At(b, i + 20), u32At(b, i + 16));
    round(v4, t, u32At(b, i + 28), u32At(b, i + 24));
  }
  out.hi = 0;
  out.lo = 0;
  addRotated(out, v1, 1, t);
  addRotated(out, v2, 7, t);
  addRotated(out, v3, 12, t);
  addRotated(out, v4, 18, t);
  mergeRound(out, v1, t);
  mergeRound(out, v2, t);
  mergeRound(out, v3, t);
  mergeRound(out, v4, t);
  return i;
}

/** XXH64 of `input` (strings are hashed as UTF-8) written into `out`, which is returned. */
export function xxHash64Into(input: string | Uint8Array, seed: number | bigint, out: U64): U64 {
  const b = typeof input === 'string' ? utf8.encode(input) : input;
  const [sh, sl] = seedHalves(seed);
  const t: U64 = { hi: 0, lo: 0 };
  const k: U64 = { hi: 0, lo: 0 };
  const len = b.length;
  let i = 0;
  if (len >= 32) {
    i = stripes(b, sh, sl, out, t);
  } else {
    out.hi = sh;
    out.lo = sl;
    add(out, P5H, P5L);
  }
  add(out, Math.floor(len / TWO_32) >>> 0, len >>> 0);
  for (; i + 8 <= len; i += 8) {
    k.hi = 0;
    k.lo = 0;
    round(k, t, u32At(b, i + 4), u32At(b, i));
    xor(out, k.hi, k.lo);
    rotl(out, 27);
    mul(out, P1H, P1L);
    add(out, P4H, P4L);
  }
  if (i + 4 <= len) {
    t.hi = 0;
    t.lo = u32At(b, i);
    mul(t, P1H, P1L);
    xor(out, t.hi, t.lo);
    rotl(out, 23);
    mul(out, P2H, P2L);
    add(out, P3H, P3L);
    i += 4;
  }
  for (; i < len; i++) {
    t.hi = 0;
    t.lo = b[i]!;
    mul(t, P5H, P5L);
    xor(out, t.hi, t.lo);
    rotl(out, 11);
    mul(out, P1H, P1L);
  }
  xorShiftRight(out, 33);
  mul(out, P2H, P2L);
  xorShiftRight(out, 29);
  mul(out, P3H, P3L);
  xorShiftRight(out, 32);
  return out;
}

/** XXH64 of `input` (UTF-8 for strings) as two 32-bit halves. */
export function xxHash64Parts(input: string | Uint8Array, seed: number | bigint = 0): U64 {
  return xxHash64Into(input, seed, { hi: 0, lo: 0 });
}

/** XXH64 of `input` (UTF-8 for strings) as an unsigned 64-bit bigint, as Envoy's HashUtil::xxHash64. */
export function xxHash64(input: string | Uint8Array, seed: number | bigint = 0): bigint {
  const { hi, lo } = xxHash64Parts(input, seed);
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** Splits an unsigned 64-bit bigint (taken mod 2^64) into halves, written into `out`. */
export function toU64(value: bigint, out: U64 = { hi: 0, lo: 0 }): U64 {
  const v = BigInt.asUintN(64, value);
  out.hi = Number(v >> 32n);
  out.lo = Number(v & 0xffffffffn);
  return out;
}

/** (hi * 2^32 + lo) mod m, exact for m < 2^26 (Maglev table sizes, percentages). */
export function mod64(hi: number, lo: number, m: number): number {
  return ((hi % m) * (TWO_32 % m) + (lo % m)) % m;
}

/** Envoy's Hex::uint64ToHex: 16 lowercase hex digits, zero-padded. */
export function hex64(value: bigint): string {
  return BigInt.asUintN(64, value).toString(16).padStart(16, '0');
}
