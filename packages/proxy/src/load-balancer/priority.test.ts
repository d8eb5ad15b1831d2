import { describe, expect, it } from 'vitest';
import { SimpleHost, prioritySetFromHosts, type Host, type HostSet } from './host.js';
import { mulberry32 } from './mulberry32.js';
import { HostSourceSelector, choosePriority, computePriorityLoad, effectiveLocalityWeight } from './priority.js';

/** A host set of `total` hosts at `priority`, `healthy` of them healthy. */
function hostSet(priority: number, healthy: number, total = 100): HostSet {
  const hosts = Array.from({ length: total }, (_, i) => new SimpleHost(`10.${priority}.0.${i}`, 80, { priority, healthy: i < healthy }));
  return { priority, hosts };
}

describe('computePriorityLoad', () => {
  // The tables of Envoy's "Priority levels" arch overview (percent healthy per priority → load).
  // The docs leave panic mode out, so these run with the panic threshold at 0.
  it.each([
    [[100, 100], [100, 0]],
    [[72, 100], [100, 0]],
    [[71, 100], [99, 1]],
    [[50, 100], [70, 30]],
    [[25, 100], [35, 65]],
    [[0, 100], [0, 100]],
    [[72, 72], [100, 0]],
    [[71, 71], [99, 1]],
    [[50, 50], [70, 30]],
    [[25, 25], [50, 50]],
    [[100, 100, 100], [100, 0, 0]],
    [[71, 71, 100], [99, 1, 0]],
    [[25, 100, 100], [35, 65, 0]],
    [[25, 25, 100], [35, 35, 30]],
    // The docs round this row to 36/36/28; Envoy's code gives the 2-point remainder to the
    // first priority with any health, and so do we.
    [[25, 25, 20], [37, 35, 28]],
  ])('healthy %j → load %j', (healthy, load) => {
    const sets = healthy.map((h, p) => hostSet(p, h));
    expect(computePriorityLoad(sets, 0).load).toEqual(load);
  });

  it('with the default threshold the same 25/25/20% set is in total panic, load by host counts', () => {
    const r = computePriorityLoad([hostSet(0, 25), hostSet(1, 25), hostSet(2, 20)]);
    expect(r.panic).toEqual([true, true, true]);
    expect(r.load).toEqual([34, 33, 33]);
  });

  it('scores health as healthy share × 1.4 capped at 100, integer', () => {
    expect(computePriorityLoad([hostSet(0, 5, 10), hostSet(1, 10, 10)]).health).toEqual([70, 100]);
  });

  it('honours a per-host-set overprovisioning factor', () => {
    const sets = [{ ...hostSet(0, 50), overprovisioningFactor: 100 }, hostSet(1, 100)];
    expect(computePriorityLoad(sets).load).toEqual([50, 50]);
  });

  it('does not panic while the total health reaches 100, however sick one priority is', () => {
    const r = computePriorityLoad([hostSet(0, 10), hostSet(1, 100)]);
    expect(r.panic).toEqual([false, false]);
    expect(r.load).toEqual([14, 86]);
  });

  it('panics a single priority under the 50% threshold and keeps all its load', () => {
    const r = computePriorityLoad([hostSet(0, 4, 10)]);
    expect(r.panic).toEqual([true]);
    expect(r.load).toEqual([100]);
  });

  it('does not panic at exactly the threshold', () => {
    expect(computePriorityLoad([hostSet(0, 5, 10)]).panic).toEqual([false]);
  });

  it('in total panic spreads load by host counts, healthy or not', () => {
    const r = computePriorityLoad([hostSet(0, 2, 10), hostSet(1, 6, 30)]);
    expect(r.panic).toEqual([true, true]);
    expect(r.load).toEqual([25, 75]);
  });

  it('panics only the priorities under the threshold when total health is below 100', () => {
    const r = computePriorityLoad([hostSet(0, 2, 10), hostSet(1, 5, 10)]);
    expect(r.health).toEqual([28, 70]);
    expect(r.panic).toEqual([true, false]);
    // 28 and 70 of 98, floored to 28 and 71; the leftover point goes to P0.
    expect(r.load).toEqual([29, 71]);
  });

  it('with panic disabled and nothing healthy sends everything to P0', () => {
    const r = computePriorityLoad([hostSet(0, 0, 3), hostSet(1, 0, 3)], 0);
    expect(r.panic).toEqual([false, false]);
    expect(r.load).toEqual([100, 0]);
  });

  it('treats an empty priority as unhealthy and skips it', () => {
    expect(computePriorityLoad([hostSet(0, 0, 0), hostSet(1, 10, 10)]).load).toEqual([0, 100]);
  });
});

describe('choosePriority', () => {
  it.each([
    [1, 0], [70, 0], [71, 1], [100, 1],
  ])('point %d of load [70, 30] → P%d', (point, p) => {
    expect(choosePriority([70, 30], point)).toBe(p);
  });
});

describe('effectiveLocalityWeight', () => {
  it.each([
    [10, 10, 10, 10], [10, 8, 10, 10], [10, 5, 10, 7], [10, 0, 10, 0], [10, 0, 0, 0], [0, 10, 10, 0],
  ])('weight %d with %d of %d healthy → %d', (w, healthy, total, expected) => {
    expect(effectiveLocalityWeight(w, healthy, total, 140)).toBeCloseTo(expected);
  });
});

describe('HostSourceSelector', () => {
  const rnd = mulberry32(1);
  const ctx = { random: rnd };

  function shareByPriority(hosts: Host[], picks: number): number[] {
    const sel = new HostSourceSelector(prioritySetFromHosts(hosts));
    const counts = [0, 0];
    for (let i = 0; i < picks; i++) counts[sel.choose(ctx)!.priority]!++;
    return counts.map((c) => c / picks);
  }

  it('spills 30% of picks to P1 when half of P0 is healthy', () => {
    const hosts = [
      ...Array.from({ length: 10 }, (_, i) => new SimpleHost(`10.0.0.${i}`, 80, { healthy: i < 5 })),
      ...Array.from({ length: 10 }, (_, i) => new SimpleHost(`10.0.1.${i}`, 80, { priority: 1 })),
    ];
    const [p0, p1] = shareByPriority(hosts, 20000);
    expect(p0).toBeCloseTo(0.7, 1);
    expect(p1).toBeCloseTo(0.3, 1);
  });

  it('returns healthy hosts normally and all hosts in panic', () => {
    const healthyOnly = new HostSourceSelector(prioritySetFromHosts([new SimpleHost('a', 1), new SimpleHost('b', 1, { healthy: false })]));
    expect(healthyOnly.choose(ctx)!.hosts.map((h) => h.address)).toEqual(['a']);
    const panic = new HostSourceSelector(
      prioritySetFromHosts([new SimpleHost('a', 1), new SimpleHost('b', 1, { healthy: false }), new SimpleHost('c', 1, { healthy: false })]),
    );
    expect(panic.choose(ctx)!.hosts.map((h) => h.address)).toEqual(['a', 'b', 'c']);
  });

  it('picks localities in proportion to weight × health by EDF', () => {
    const loc = (zone: string) => ({ region: 'r', zone });
    const hosts = [
      new SimpleHost('a1', 1, { locality: loc('a') }),
      new SimpleHost('b1', 1, { locality: loc('b') }),
      new SimpleHost('c1', 1, { locality: loc('c') }),
      new SimpleHost('c2', 1, { locality: loc('c'), healthy: false }),
    ];
    const weights: Record<string, number> = { a: 1, b: 3, c: 4 };
    const sel = new HostSourceSelector(prioritySetFromHosts(hosts, { localityWeight: (l) => weights[l.zone] }));
    // Effective weights: a 1, b 3, c 4 × min(1, 1.4 × 1/2) = 2.8.
    const counts = new Map<string, number>();
    for (let i = 0; i < 680; i++) {
      const zone = sel.choose(ctx)!.hosts[0]!.locality.zone;
      counts.set(zone, (counts.get(zone) ?? 0) + 1);
    }
    expect(counts.get('a')).toBeCloseTo(100, -1);
    expect(counts.get('b')).toBeCloseTo(300, -1);
    expect(counts.get('c')).toBeCloseTo(280, -1);
  });

  it('never picks a locality of weight 0 or without healthy hosts', () => {
    const hosts = [
      new SimpleHost('a1', 1, { locality: { zone: 'a' } }),
      new SimpleHost('b1', 1, { locality: { zone: 'b' } }),
      new SimpleHost('c1', 1, { locality: { zone: 'c' }, healthy: false }),
      new SimpleHost('c2', 1, { locality: { zone: 'c' } }),
      new SimpleHost('c3', 1, { locality: { zone: 'c' } }),
    ];
    const sel = new HostSourceSelector(prioritySetFromHosts(hosts, { localityWeight: (l) => (l.zone === 'a' ? 0 : 1) }));
    for (let i = 0; i < 50; i++) expect(sel.choose(ctx)!.hosts[0]!.locality.zone).not.toBe('a');
  });

  it('has no source for an empty priority set', () => {
    expect(new HostSourceSelector({ hostSets: [] }).choose(ctx)).toBeUndefined();
  });
});
