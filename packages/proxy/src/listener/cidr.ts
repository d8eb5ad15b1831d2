// IPv4/IPv6 addresses, CIDR ranges and a longest-prefix table: the matching primitives of filter chain selection.
//
// Addresses are held as 32-bit words (one for IPv4, four for IPv6) so that masking is integer work.
// IPv4-mapped IPv6 addresses (`::ffff:10.1.2.3`, which Node reports for IPv4 peers of a dual-stack
// socket) are folded to IPv4, and mapped ranges (`::ffff:10.0.0.0/104`) to their IPv4 range, so one
// IPv4 CidrRange in config matches the peer however the socket was opened.

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  /** Big-endian 32-bit words: 1 for IPv4, 4 for IPv6. */
  readonly words: readonly number[];
}

export interface CidrRange extends IpAddress {
  /** 0..32 or 0..128; `words` has the host bits zeroed, as Envoy's CidrRange does. */
  readonly prefixLen: number;
}

/** Parses a dotted IPv4 or an IPv6 address (zone `%eth0` and `[...]` brackets allowed); undefined if malformed. */
export function parseIp(text: string): IpAddress | undefined {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const v4 = parseIpv4(s);
  if (v4 !== undefined) return { family: 4, words: [v4] };
  const v6 = parseIpv6(s);
  if (v6 === undefined) return undefined;
  return foldMapped(v6) ?? { family: 6, words: v6 };
}

/**
 * A range from its address and prefix length (CidrRange's `address_prefix`, `prefix_len`).
 * Host bits are cleared (`10.1.2.3/8` is `10.0.0.0/8`); a length beyond the family's width is an error.
 */
export function parseCidr(address: string, prefixLen: number): CidrRange | string {
  let s = address;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const v4 = parseIpv4(s);
  if (v4 !== undefined) {
    if (!validLength(prefixLen, 32)) return `prefix_len ${prefixLen} is out of range for IPv4 (0..32)`;
    return { family: 4, words: [mask32(v4, prefixLen)], prefixLen };
  }
  const v6 = parseIpv6(s);
  if (v6 === undefined) return `malformed IP address '${address}'`;
  if (!validLength(prefixLen, 128)) return `prefix_len ${prefixLen} is out of range for IPv6 (0..128)`;
  const mapped = foldMapped(v6);
  if (mapped && prefixLen >= 96) {
    const len = prefixLen - 96;
    return { family: 4, words: [mask32(mapped.words[0] ?? 0, len)], prefixLen: len };
  }
  return { family: 6, words: maskWords(v6, prefixLen), prefixLen };
}

/** Parses `10.0.0.0/8` or `::1/128`; a bare address is a host route. */
export function parseCidrText(text: string): CidrRange | string {
  const slash = text.lastIndexOf('/');
  if (slash < 0) {
    const ip = parseIp(text);
    if (!ip) return `malformed IP address '${text}'`;
    return { ...ip, prefixLen: ip.family === 4 ? 32 : 128 };
  }
  const len = Number(text.slice(slash + 1));
  if (!Number.isInteger(len)) return `malformed prefix length in '${text}'`;
  return parseCidr(text.slice(0, slash), len);
}

export function cidrContains(range: CidrRange, ip: IpAddress): boolean {
  if (range.family !== ip.family) return false;
  const masked = ip.family === 4 ? [mask32(ip.words[0] ?? 0, range.prefixLen)] : maskWords(ip.words, range.prefixLen);
  return masked.every((w, i) => w === range.words[i]);
}

/** The catch-all of each family, which Envoy inserts for an empty prefix_ranges list. */
export const CATCH_ALL_IPV4: CidrRange = { family: 4, words: [0], prefixLen: 0 };
export const CATCH_ALL_IPV6: CidrRange = { family: 6, words: [0, 0, 0, 0], prefixLen: 0 };

/** Envoy's fake address for non-IP sockets: it only matches the 0.0.0.0/0 catch-all. */
export const NON_IP_ADDRESS: IpAddress = { family: 4, words: [0xffffffff] };

/** 127.0.0.0/8 or ::1 (Envoy's isLoopbackAddress). */
export function isLoopback(ip: IpAddress): boolean {
  if (ip.family === 4) return (ip.words[0] ?? 0) >>> 24 === 127;
  return ip.words[0] === 0 && ip.words[1] === 0 && ip.words[2] === 0 && ip.words[3] === 1;
}

export function sameIp(a: IpAddress, b: IpAddress): boolean {
  return a.family === b.family && a.words.every((w, i) => w === b.words[i]);
}

export function formatCidr(range: CidrRange): string {
  if (range.family === 4) {
    const w = range.words[0] ?? 0;
    return `${w >>> 24}.${(w >>> 16) & 255}.${(w >>> 8) & 255}.${w & 255}/${range.prefixLen}`;
  }
  const groups: string[] = [];
  for (const w of range.words) groups.push(((w >>> 16) & 0xffff).toString(16), (w & 0xffff).toString(16));
  return `${groups.join(':')}/${range.prefixLen}`;
}

/**
 * A longest-prefix-match table (the role of Envoy's LcTrie built "exclusive": only the most specific
 * range's value is returned). One map per distinct prefix length, probed longest first, so a lookup
 * costs one mask and one Map probe per length present.
 */
export class CidrTable<T> {
  private readonly v4: Array<{ len: number; map: Map<number, T> }> = [];
  private readonly v6: Array<{ len: number; map: Map<string, T> }> = [];

  /** Adds a range; returns the value already stored for exactly this range, if any (and keeps it). */
  add(range: CidrRange, value: T): T | undefined {
    if (range.family === 4) {
      const level = levelFor(this.v4, range.prefixLen);
      const key = range.words[0] ?? 0;
      const existing = level.get(key);
      if (existing !== undefined) return existing;
      level.set(key, value);
    } else {
      const level = levelFor(this.v6, range.prefixLen);
      const key = range.words.join(',');
      const existing = level.get(key);
      if (existing !== undefined) return existing;
      level.set(key, value);
    }
    return undefined;
  }

  lookup(ip: IpAddress): T | undefined {
    if (ip.family === 4) {
      const w = ip.words[0] ?? 0;
      for (const { len, map } of this.v4) {
        const hit = map.get(mask32(w, len));
        if (hit !== undefined) return hit;
      }
      return undefined;
    }
    for (const { len, map } of this.v6) {
      const hit = map.get(maskWords(ip.words, len).join(','));
      if (hit !== undefined) return hit;
    }
    return undefined;
  }
}

function levelFor<K, T>(levels: Array<{ len: number; map: Map<K, T> }>, len: number): Map<K, T> {
  let level = levels.find((l) => l.len === len);
  if (!level) {
    level = { len, map: new Map() };
    levels.push(level);
    levels.sort((a, b) => b.len - a.len);
  }
  return level.map;
}

function validLength(len: number, max: number): boolean {
  return Number.isInteger(len) && len >= 0 && len <= max;
}

function mask32(word: number, len: number): number {
  if (len <= 0) return 0;
  if (len >= 32) return word >>> 0;
  return (word & (0xffffffff << (32 - len))) >>> 0;
}

function maskWords(words: readonly number[], len: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < words.length; i++) out.push(mask32(words[i] ?? 0, len - i * 32));
  return out;
}

function parseIpv4(s: string): number | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value >>> 0;
}

function parseIpv6(input: string): number[] | undefined {
  let s = input;
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone);
  if (!s.includes(':')) return undefined;
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const head = parseGroups(halves[0] ?? '');
  const tail = halves.length === 2 ? parseGroups(halves[1] ?? '') : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  const groups = [...head, ...new Array<number>(halves.length === 2 ? missing : 0).fill(0), ...tail];
  const words: number[] = [];
  for (let i = 0; i < 8; i += 2) words.push((((groups[i] ?? 0) << 16) | (groups[i + 1] ?? 0)) >>> 0);
  return words;
}

/** 16-bit groups of one side of `::`; a trailing dotted IPv4 counts as two groups. */
function parseGroups(s: string): number[] | undefined {
  if (s === '') return [];
  const parts = s.split(':');
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i] ?? '';
    if (i === parts.length - 1 && p.includes('.')) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return undefined;
      groups.push(v4 >>> 16, v4 & 0xffff);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(p)) return undefined;
      groups.push(parseInt(p, 16));
    }
  }
  return groups;
}

function foldMapped(words: readonly number[]): IpAddress | undefined {
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) return { family: 4, words: [words[3] ?? 0] };
  return undefined;
}
