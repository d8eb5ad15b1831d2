// IP and CIDR parsing with Go net.ParseIP/ParseCIDR semantics; Istio 1.3 accepts IPv4 only in most fields.
import { isIPv6 } from 'node:net';

export type IpFamily = 4 | 6;

/** Returns 4 or 6 for a valid address (an IPv4-mapped IPv6 address counts as IPv4, as Go's To4 does). */
export function ipFamily(text: string): IpFamily | undefined {
  if (isIPv4(text)) return 4;
  if (text.includes('%') || !isIPv6(text)) return undefined;
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(text) ? 4 : 6;
}

function isIPv4(text: string): boolean {
  const parts = text.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}

export function isIP(text: string): boolean {
  return ipFamily(text) !== undefined;
}

export interface Cidr {
  readonly family: IpFamily;
  readonly address: string;
  readonly prefixLength: number;
}

/** Parses `a.b.c.d/n` or `v6/n`; undefined when malformed. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  if (slash < 0 || slash !== text.lastIndexOf('/')) return undefined;
  const address = text.slice(0, slash);
  const bits = text.slice(slash + 1);
  const family = ipFamily(address);
  if (family === undefined || !/^\d{1,3}$/.test(bits)) return undefined;
  const prefixLength = Number(bits);
  const max = family === 4 && !address.includes(':') ? 32 : 128;
  return prefixLength <= max ? { family, address, prefixLength } : undefined;
}

/**
 * Istio 1.3's rule for subnets and VIPs (ValidateIPv4Subnet): an IPv4 address or IPv4 CIDR.
 * Returns an error message or undefined.
 */
export function checkIPv4Subnet(text: string): string | undefined {
  if (text.includes('/')) {
    const cidr = parseCidr(text);
    if (cidr === undefined) return `${JSON.stringify(text)} is not a valid CIDR block`;
    return cidr.family === 4 ? undefined : `${JSON.stringify(text)} is not an IPv4 CIDR block`;
  }
  return checkIPv4Address(text);
}

export function checkIPv4Address(text: string): string | undefined {
  const family = ipFamily(text);
  if (family === undefined) return `${JSON.stringify(text)} is not a valid IP address`;
  return family === 4 ? undefined : `${JSON.stringify(text)} is not an IPv4 address`;
}

/** An IP address or CIDR of either family (security.istio.io ipBlocks, later Istio subnets). */
export function checkIPOrCidr(text: string): string | undefined {
  if (text.includes('/')) return parseCidr(text) === undefined ? `${JSON.stringify(text)} is not a valid CIDR block` : undefined;
  return isIP(text) ? undefined : `${JSON.stringify(text)} is not a valid IP address`;
}
