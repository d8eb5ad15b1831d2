import { describe, expect, it } from 'vitest';
import { SimpleHost, prioritySetFromHosts, type Host } from './host.js';
import { normalizeWeights } from './hashing-load-balancer.js';
import { mulberry32 } from './mulberry32.js';
import { Ring, RingHashLoadBalancer } from './ring-hash.js';
import { xxHash64 } from './xxhash64.js';

const hostsN = (n: number, weight = 1): SimpleHost[] => Array.from({ length: n }, (_, i) => new SimpleHost(`10.0.0.${i}`, 8080, { weight }));

function ringOf(hosts: Host[], minRingSize = 1024, maxRingSize = 8 * 1024 * 1024): Ring {
  return new Ring(normalizeWeights({ priority: 0, hosts }, false), minRingSize, maxRingSize);
}

function balancer(hosts: Host[], options = {}): RingHashLoadBalancer {
  const lb = new RingHashLoadBalancer(options);
  lb.update(prioritySetFromHosts(hosts));
  return lb;
}

/** Deterministic 64-bit request hashes. */
function hashes(n: number, seed = 1): bigint[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
}

/** Each host's exact share of the hash space: the arcs ending at its entries. */
function ringShares(ring: Ring): Map<Host, number> {
  const at = (i: number): bigint => (BigInt(ring.hashHi[i]!) << 32n) | BigInt(ring.hashLo[i]!);
  const shares = new Map<Host, number>();
  const space = 2 ** 64;
  for (let i = 0; i < ring.size; i++) {
    const arc = i === 0 ? at(0) + ((1n << 64n) - at(ring.size - 1)) : at(i) - at(i - 1);
    const h = ring.hosts[i]!;
    shares.set(h, (shares.get(h) ?? 0) + Number(arc) / space);
  }
  return shares;
}

describe('Ring', () => {
  it('places min_ring_size entries across equal hosts, sorted by hash', () => {
    const ring = ringOf(hostsN(4));
    expect(ring.size).toBe(1024);
    expect([ring.minHashesPerHost, ring.maxHashesPerHost]).toEqual([256, 256]);
    for (let i = 1; i < ring.size; i++) {
      const prev = ring.hashHi[i - 1]! * 2 ** 32 + ring.hashLo[i - 1]!;
      expect(ring.hashHi[i]! * 2 ** 32 + ring.hashLo[i]!).toBeGreaterThanOrEqual(prev);
    }
  });

  it('hashes Envoy keys `address:port_i` with XXH64', () => {
    const ring = ringOf(hostsN(1), 4);
    const expected = [0, 1, 2, 3].map((i) => xxHash64(`10.0.0.0:8080_${i}`)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const got = Array.from({ length: 4 }, (_, i) => (BigInt(ring.hashHi[i]!) << 32n) | BigInt(ring.hashLo[i]!));
    expect(got).toEqual(expected);
  });

  it('caps the ring at maximum_ring_size', () => {
    expect(ringOf(hostsN(8), 1024, 100).size).toBe(100);
  });

  it('gives one entry per host when there are more hosts than min_ring_size', () => {
    expect(ringOf(hostsN(10), 4).size).toBe(10);
  });

  it('returns the first entry at or after the hash, wrapping past the end', () => {
    const ring = ringOf(hostsN(3), 16);
    for (let i = 0; i < ring.size; i++) {
      const hi = ring.hashHi[i]!, lo = ring.hashLo[i]!;
      expect(ring.chooseHost(hi, lo, 0)).toBe(ring.hosts[i]);
      if (lo > 0) expect(ring.chooseHost(hi, lo - 1, 0)).toBe(ring.hosts[i]);
    }
    expect(ring.chooseHost(0xffffffff, 0xffffffff, 0)).toBe(ring.hosts[0]);
    expect(ring.chooseHost(0, 0, 0)).toBe(ring.hosts[0]);
  });

  it.each([
    [[1, 2, 3, 4]],
    [[1, 1, 1, 5]],
    [[10, 20]],
  ])('gives hosts shares of the hash space proportional to weights %j (±5%)', (weights) => {
    const hosts = weights.map((w, i) => new SimpleHost(`10.1.0.${i}`, 80, { weight: w }));
    const total = weights.reduce((a, b) => a + b, 0);
    const shares = ringShares(ringOf(hosts, 65536));
    hosts.forEach((h, i) => {
      const expected = weights[i]! / total;
      expect(Math.abs(shares.get(h)! / expected - 1)).toBeLessThan(0.05);
    });
  });
});

describe('RingHashLoadBalancer', () => {
  it('sends the same hash to the same host', () => {
    const lb = balancer(hostsN(5));
    for (const h of hashes(100)) {
      const first = lb.chooseHost({ hash: h, random: Math.random });
      expect(lb.chooseHost({ hash: h, random: Math.random })).toBe(first);
    }
  });

  it('when an Nth host joins, moves about 1/N of keys to it and little else', () => {
    const hosts = hostsN(9);
    const before = balancer(hosts);
    const joined = new SimpleHost('10.0.0.99', 8080);
    const after = balancer([...hosts, joined]);
    const keys = hashes(20000, 5);
    let moved = 0, toJoined = 0;
    for (const h of keys) {
      const a = before.chooseHost({ hash: h, random: Math.random });
      const b = after.chooseHost({ hash: h, random: Math.random });
      if (a !== b) moved++;
      if (a !== b && b === joined) toJoined++;
    }
    expect(toJoined / keys.length).toBeGreaterThan(0.07);
    expect(toJoined / keys.length).toBeLessThan(0.13);
    // The ring keeps about min_ring_size entries, so each old host drops from 114 to 103 entries
    // (keys `_103`..`_113`) and their arcs move too: about another 1/N, as in Envoy. A modulo
    // hash would move (N-1)/N = 90%.
    expect(moved / keys.length).toBeLessThan(0.22);
  });

  it('when a host leaves, keys of the other hosts mostly stay', () => {
    const hosts = hostsN(10);
    const before = balancer(hosts);
    const after = balancer(hosts.filter((_, i) => i !== 3));
    let others = 0, otherMoved = 0;
    for (const h of hashes(20000, 6)) {
      const a = before.chooseHost({ hash: h, random: Math.random });
      const b = after.chooseHost({ hash: h, random: Math.random });
      expect(b).not.toBe(hosts[3]);
      if (a !== hosts[3]) {
        others++;
        if (a !== b) otherMoved++;
      }
    }
    expect(otherMoved / others).toBeLessThan(0.15);
  });

  it('without a hash behaves as a random balancer', () => {
    const lb = balancer(hostsN(4));
    const ctx = { random: mulberry32(11) };
    const seen = new Set<Host | undefined>();
    for (let i = 0; i < 200; i++) seen.add(lb.chooseHost(ctx));
    expect(seen.size).toBe(4);
  });

  it('only uses healthy hosts, and all hosts in panic', () => {
    const hosts = hostsN(4);
    hosts[0]!.healthy = false;
    const lb = balancer(hosts);
    for (const h of hashes(500)) expect(lb.chooseHost({ hash: h, random: Math.random })).not.toBe(hosts[0]);
    hosts[1]!.healthy = false;
    hosts[2]!.healthy = false;
    lb.update(prioritySetFromHosts(hosts));
    const seen = new Set(hashes(500).map((h) => lb.chooseHost({ hash: h, random: Math.random })));
    expect(seen.size).toBe(4);
  });

  it('chooses the priority from the hash, so a hash sticks across priorities', () => {
    const p0 = Array.from({ length: 4 }, (_, i) => new SimpleHost(`10.0.0.${i}`, 80, { healthy: i < 2 }));
    const p1 = Array.from({ length: 4 }, (_, i) => new SimpleHost(`10.0.1.${i}`, 80, { priority: 1 }));
    const lb = balancer([...p0, ...p1]);
    const keys = hashes(5000);
    const picks = keys.map((h) => lb.chooseHost({ hash: h, random: Math.random })!);
    expect(picks.filter((h) => h.priority === 1).length / keys.length).toBeCloseTo(0.3, 1);
    keys.slice(0, 100).forEach((h, i) => expect(lb.chooseHost({ hash: h, random: Math.random })).toBe(picks[i]));
  });

  it('on a previous-host retry steps round the ring, usually to another host', () => {
    const hosts = hostsN(3);
    const lb = balancer(hosts);
    const keys = hashes(1000);
    let different = 0;
    for (const h of keys) {
      const first = lb.chooseHost({ hash: h, random: Math.random })!;
      const again = lb.chooseHost({ hash: h, random: Math.random, previousHosts: new Set([first]), hostSelectionRetryMaxAttempts: 5 });
      if (again !== first) different++;
    }
    // Envoy steps `attempt` entries from the first pick; neighbours may belong to the same host.
    expect(different / keys.length).toBeGreaterThan(0.97);
  });

  it('steps exactly `attempt` entries on retry', () => {
    const ring = ringOf(hostsN(3), 16);
    const hi = ring.hashHi[5]!, lo = ring.hashLo[5]!;
    expect(ring.chooseHost(hi, lo, 2)).toBe(ring.hosts[7]);
    expect(ring.chooseHost(hi, lo, ring.size - 5)).toBe(ring.hosts[0]);
  });

  it('rejects minimum_ring_size above maximum_ring_size', () => {
    expect(() => new RingHashLoadBalancer({ minimumRingSize: 10, maximumRingSize: 5 })).toThrow(/minimum_ring_size/);
  });

  it('returns undefined without hosts', () => {
    expect(balancer([]).chooseHost({ hash: 1n, random: Math.random })).toBeUndefined();
  });
});
