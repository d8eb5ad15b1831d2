import { describe, expect, it } from 'vitest';
import { AddressPool, contains, overlaps, parseCidr } from './ipam.js';

describe('ipam', () => {
  it('parses and normalises CIDRs, refusing odd sizes', () => {
    expect(parseCidr('10.244.3.7/16')?.text).toBe('10.244.0.0/16');
    expect(parseCidr('10.244.0.0/30')).toBeUndefined();
    expect(parseCidr('10.300.0.0/16')).toBeUndefined();
    expect(parseCidr('fd00::/64')).toBeUndefined();
  });

  it('knows containment and overlap', () => {
    const pods = parseCidr('10.244.0.0/16')!;
    expect(contains(pods, '10.244.255.254')).toBe(true);
    expect(contains(pods, '10.245.0.1')).toBe(false);
    expect(overlaps(pods, parseCidr('10.244.8.0/24')!)).toBe(true);
    expect(overlaps(pods, parseCidr('10.96.0.0/16')!)).toBe(false);
  });

  it('hands out host addresses after the reserved ones, reuses released ones, and says when full', () => {
    const pool = new AddressPool(parseCidr('10.0.0.0/28')!, 1);
    expect(pool.host(1)).toBe('10.0.0.1');
    expect(pool.allocate()).toBe('10.0.0.2');
    expect(pool.claim('10.0.0.3')).toBe(true);
    expect(pool.claim('10.0.0.3')).toBe(false);
    expect(pool.claim('10.0.0.1')).toBe(false);
    expect(pool.claim('10.0.0.15')).toBe(false); // broadcast
    const got = new Set<string>();
    for (let i = 0; i < 11; i++) got.add(pool.allocate());
    expect(got.size).toBe(11);
    expect(() => pool.allocate()).toThrow(/no free address/);
    pool.release('10.0.0.9');
    expect(pool.allocate()).toBe('10.0.0.9');
  });
});
