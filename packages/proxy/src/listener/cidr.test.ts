import { describe, expect, it } from 'vitest';
import { CidrTable, cidrContains, formatCidr, isLoopback, parseCidr, parseCidrText, parseIp, sameIp, type CidrRange, type IpAddress } from './cidr.js';

function ip(text: string): IpAddress {
  const r = parseIp(text);
  if (!r) throw new Error(`not an IP: ${text}`);
  return r;
}

function cidr(text: string): CidrRange {
  const r = parseCidrText(text);
  if (typeof r === 'string') throw new Error(r);
  return r;
}

describe('parseIp', () => {
  it.each([
    ['10.1.2.3', 4, [0x0a010203]],
    ['0.0.0.0', 4, [0]],
    ['255.255.255.255', 4, [0xffffffff]],
    ['::1', 6, [0, 0, 0, 1]],
    ['::', 6, [0, 0, 0, 0]],
    ['2001:db8::8a2e:370:7334', 6, [0x20010db8, 0, 0x8a2e, 0x03707334]],
    ['fe80::1%eth0', 6, [0xfe800000, 0, 0, 1]],
    ['[::1]', 6, [0, 0, 0, 1]],
    ['1:2:3:4:5:6:7:8', 6, [0x10002, 0x30004, 0x50006, 0x70008]],
    ['::ffff:10.1.2.3', 4, [0x0a010203]],
    ['::FFFF:0a01:0203', 4, [0x0a010203]],
    ['64:ff9b::10.1.2.3', 6, [0x0064ff9b, 0, 0, 0x0a010203]],
  ])('parses %s', (text, family, words) => {
    expect(parseIp(text)).toEqual({ family, words });
  });

  it.each(['', 'abc', '1.2.3', '1.2.3.4.5', '256.1.1.1', '1.2.3.-1', '1:2:3', '1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', '::g', '1:2:3:4:5:6:7::8:9'])(
    'rejects %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );
});

describe('parseCidr', () => {
  it.each([
    ['10.1.2.3', 8, '10.0.0.0/8'],
    ['10.1.2.3', 32, '10.1.2.3/32'],
    ['10.1.2.3', 0, '0.0.0.0/0'],
    ['192.168.255.1', 23, '192.168.254.0/23'],
    ['2001:db8::1', 32, '2001:db8:0:0:0:0:0:0/32'],
    ['2001:db8:ffff::1', 33, '2001:db8:8000:0:0:0:0:0/33'],
    ['::', 0, '0:0:0:0:0:0:0:0/0'],
    ['::ffff:10.0.0.0', 104, '10.0.0.0/8'],
  ])('%s/%i is normalized to %s (host bits cleared)', (address, len, expected) => {
    const r = parseCidr(address, len);
    expect(typeof r === 'string' ? r : formatCidr(r)).toBe(expected);
  });

  it.each([
    ['10.0.0.0', 33, /out of range for IPv4/],
    ['::', 129, /out of range for IPv6/],
    ['10.0.0.0', -1, /out of range/],
    ['10.0.0', 8, /malformed IP address/],
    ['example.com', 8, /malformed IP address/],
  ])('%s/%i is an error', (address, len, message) => {
    expect(parseCidr(address, len)).toMatch(message);
  });
});

describe('cidrContains', () => {
  it.each([
    ['10.0.0.0/8', '10.255.1.1', true],
    ['10.0.0.0/8', '11.0.0.1', false],
    ['0.0.0.0/0', '8.8.8.8', true],
    ['0.0.0.0/0', '::1', false],
    ['::/0', '10.0.0.1', false],
    ['::/0', '2001:db8::1', true],
    ['2001:db8::/32', '2001:db8:1::1', true],
    ['2001:db8::/32', '2001:db9::1', false],
    ['10.1.2.3/32', '::ffff:10.1.2.3', true],
    ['fe80::/10', 'febf::1', true],
    ['fe80::/10', 'fec0::1', false],
  ])('%s contains %s: %s', (range, address, expected) => {
    expect(cidrContains(cidr(range), ip(address))).toBe(expected);
  });
});

describe('loopback and same-IP', () => {
  it.each([
    ['127.0.0.1', true],
    ['127.255.0.9', true],
    ['::1', true],
    ['::ffff:127.0.0.1', true],
    ['128.0.0.1', false],
    ['::2', false],
  ])('isLoopback(%s) is %s', (address, expected) => {
    expect(isLoopback(ip(address))).toBe(expected);
  });

  it('compares addresses across notations', () => {
    expect(sameIp(ip('10.0.0.1'), ip('::ffff:10.0.0.1'))).toBe(true);
    expect(sameIp(ip('10.0.0.1'), ip('10.0.0.2'))).toBe(false);
  });
});

describe('CidrTable', () => {
  const table = new CidrTable<string>();
  for (const r of ['0.0.0.0/0', '10.0.0.0/8', '10.1.0.0/16', '10.1.2.3/32', '::/0', '2001:db8::/32', '2001:db8:1::/48']) {
    table.add(cidr(r), r);
  }

  it.each([
    ['10.1.2.3', '10.1.2.3/32'],
    ['10.1.2.4', '10.1.0.0/16'],
    ['10.2.0.1', '10.0.0.0/8'],
    ['192.168.0.1', '0.0.0.0/0'],
    ['2001:db8:1::9', '2001:db8:1::/48'],
    ['2001:db8:2::9', '2001:db8::/32'],
    ['fe80::1', '::/0'],
    ['::ffff:10.1.9.9', '10.1.0.0/16'],
  ])('the longest prefix containing %s is %s', (address, expected) => {
    expect(table.lookup(ip(address))).toBe(expected);
  });

  it('keeps families apart: an IPv4-only table has nothing for IPv6', () => {
    const v4 = new CidrTable<string>();
    v4.add(cidr('0.0.0.0/0'), 'any4');
    expect(v4.lookup(ip('::1'))).toBeUndefined();
  });

  it('returns the existing value when the same range is added twice, keeping the first', () => {
    const t = new CidrTable<string>();
    expect(t.add(cidr('10.0.0.0/8'), 'a')).toBeUndefined();
    expect(t.add(cidr('10.9.9.9/8'), 'b')).toBe('a');
    expect(t.lookup(ip('10.1.1.1'))).toBe('a');
  });
});
