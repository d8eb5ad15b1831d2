import { describe, expect, it } from 'vitest';
import { SimpleHost, prioritySetFromHosts, type Host } from './host.js';
import { normalizeWeights } from './hashing-load-balancer.js';
import { MaglevLoadBalancer, MaglevTable, isPrime } from './maglev.js';
import { mulberry32 } from './mulberry32.js';

const hostsN = (n: number): SimpleHost[] => Array.from({ length: n }, (_, i) => new SimpleHost(`10.0.0.${i}`, 8080));

function tableOf(hosts: Host[], size = 65537): MaglevTable {
  return new MaglevTable(normalizeWeights({ priority: 0, hosts }, false), size);
}

function balancer(hosts: Host[], tableSize?: number): MaglevLoadBalancer {
  const lb = new MaglevLoadBalancer(tableSize !== undefined ? { tableSize } : {});
  lb.update(prioritySetFromHosts(hosts));
  return lb;
}

function hashes(n: number, seed = 1): bigint[] {
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)));
}

function slotCounts(t: MaglevTable): Map<Host, number> {
  const m = new Map<Host, number>();
  for (const h of t.table) m.set(h, (m.get(h) ?? 0) + 1);
  return m;
}

describe('MaglevTable', () => {
  it('fills every slot, near-evenly for equal weights', () => {
    const t = tableOf(hostsN(7));
    expect(t.table.length).toBe(65537);
    expect(t.table.every((h) => h !== undefined)).toBe(true);
    expect(t.maxEntriesPerHost - t.minEntriesPerHost).toBeLessThanOrEqual(1);
  });

  it.each([[[1, 2, 3, 4]], [[1, 1, 1, 5]], [[100, 1]]])('gives slots in proportion to weights %j (±5%)', (weights) => {
    const hosts = weights.map((w, i) => new SimpleHost(`10.1.0.${i}`, 80, { weight: w }));
    const total = weights.reduce((a, b) => a + b, 0);
    const counts = slotCounts(tableOf(hosts));
    hosts.forEach((h, i) => expect(Math.abs(counts.get(h)! / (65537 * (weights[i]! / total)) - 1)).toBeLessThan(0.05));
  });

  it('looks up table[hash % size]', () => {
    const t = tableOf(hostsN(3), 13);
    for (let i = 0; i < 13; i++) expect(t.chooseHost(0, i, 0)).toBe(t.table[i]);
    // 2^32 % 13 = 9, so (1, 0) lands in slot 9.
    expect(t.chooseHost(1, 0, 0)).toBe(t.table[9]);
  });

  it('rejects a table size that is not prime', () => {
    expect(() => tableOf(hostsN(2), 65536)).toThrow(/not prime/);
  });
});

describe('MaglevLoadBalancer', () => {
  it('sends the same hash to the same host', () => {
    const lb = balancer(hostsN(5));
    for (const h of hashes(100)) {
      const first = lb.chooseHost({ hash: h, random: Math.random });
      expect(lb.chooseHost({ hash: h, random: Math.random })).toBe(first);
    }
  });

  it('when a host leaves remaps its keys and (mostly) only its keys', () => {
    const hosts = hostsN(10);
    const before = balancer(hosts);
    const after = balancer(hosts.filter((_, i) => i !== 3));
    let others = 0, otherMoved = 0;
    for (const h of hashes(20000, 3)) {
      const a = before.chooseHost({ hash: h, random: Math.random });
      const b = after.chooseHost({ hash: h, random: Math.random });
      expect(b).not.toBe(hosts[3]);
      if (a !== hosts[3]) {
        others++;
        if (a !== b) otherMoved++;
      }
    }
    expect(otherMoved / others).toBeLessThan(0.05);
  });

  it('moves about 1/N of keys when an Nth host joins', () => {
    const hosts = hostsN(9);
    const before = balancer(hosts);
    const after = balancer([...hosts, new SimpleHost('10.0.0.99', 8080)]);
    const keys = hashes(20000, 4);
    const moved = keys.filter((h) => before.chooseHost({ hash: h, random: Math.random }) !== after.chooseHost({ hash: h, random: Math.random })).length;
    expect(moved / keys.length).toBeGreaterThan(0.08);
    expect(moved / keys.length).toBeLessThan(0.15);
  });

  it('on a previous-host retry flips the hash to reach another host', () => {
    const lb = balancer(hostsN(3));
    let different = 0;
    const keys = hashes(300);
    for (const h of keys) {
      const first = lb.chooseHost({ hash: h, random: Math.random })!;
      const again = lb.chooseHost({ hash: h, random: Math.random, previousHosts: new Set([first]), hostSelectionRetryMaxAttempts: 3 });
      if (again !== first) different++;
    }
    // Each retry is an independent-looking slot: 3 retries miss with probability (1/3)^3.
    expect(different / keys.length).toBeGreaterThan(0.9);
  });

  it('accepts a smaller prime table and returns undefined without hosts', () => {
    expect(balancer(hostsN(2), 251).chooseHost({ hash: 7n, random: Math.random })).toBeDefined();
    expect(balancer([]).chooseHost({ hash: 7n, random: Math.random })).toBeUndefined();
  });
});

describe('isPrime', () => {
  it.each([[2, true], [65537, true], [5000011, true], [1, false], [65536, false], [9, false]])('%d → %s', (n, p) => {
    expect(isPrime(n)).toBe(p);
  });
});
