import { describe, expect, it } from 'vitest';
import { endpoints } from '../test/resources.js';
import { HeldVersions } from './held-versions.js';
import type { Resource } from './resource.js';

const map = (...rs: Resource[]) => new Map(rs.map((r) => [r.name, r]));
const sorted = (h: HeldVersions) => [...h].map(([n, v]) => [n, v]).sort(([a], [b]) => (a! < b! ? -1 : 1));

describe('HeldVersions', () => {
  const a1 = endpoints('a', [1]);
  const b1 = endpoints('b', [1]);
  const c1 = endpoints('c', [1]);
  const a2 = endpoints('a', [2]);

  it('holds the covered names of the basis at their versions, and nothing else', () => {
    const h = new HeldVersions();
    expect(h.get('a')).toBeUndefined();
    h.rebase({ resources: map(a1, b1, c1), names: new Set(['a', 'b', 'z']) });
    expect(h.get('a')).toBe(a1.version);
    expect(h.get('b')).toBe(b1.version);
    // Not covered (c), or covered but absent from the map (z): not held.
    expect(h.get('c')).toBeUndefined();
    expect(h.get('z')).toBeUndefined();
    expect(sorted(h)).toEqual([['a', a1.version], ['b', b1.version]]);
    // A wildcard basis covers the whole map.
    h.rebase({ resources: map(a1, c1), names: undefined });
    expect(sorted(h)).toEqual([['a', a1.version], ['c', c1.version]]);
  });

  it('records sent resources over the basis until the next rebase', () => {
    const h = new HeldVersions();
    h.rebase({ resources: map(a1, b1), names: new Set(['a', 'b']) });
    h.sent([a2, c1]);
    expect(h.get('a')).toBe(a2.version);
    expect(h.get('c')).toBe(c1.version);
    expect(sorted(h)).toEqual([['a', a2.version], ['b', b1.version], ['c', c1.version]]);
    h.rebase({ resources: map(a1), names: new Set(['a']) });
    expect(sorted(h)).toEqual([['a', a1.version]]);
  });

  it('drops what the subscription no longer names, telling which held names it forgot', () => {
    const h = new HeldVersions();
    const names = new Set(['a', 'b', 'c']);
    h.rebase({ resources: map(a1, b1), names });
    h.sent([c1]);
    const forgot: string[] = [];
    h.keepOnly(new Set(['a']), (n) => forgot.push(n));
    expect(forgot.sort()).toEqual(['b', 'c']);
    expect(sorted(h)).toEqual([['a', a1.version]]);
    // Asked for again: not held, so a watch sends it again.
    h.keepOnly(new Set(['a', 'b', 'c']), () => expect.unreachable());
    expect(h.get('b')).toBeUndefined();
    expect(h.get('c')).toBeUndefined();
    // The same subscription object as the basis: nothing to do.
    const again = new HeldVersions();
    again.rebase({ resources: map(a1, b1), names });
    again.keepOnly(names, () => expect.unreachable());
    expect(sorted(again)).toEqual([['a', a1.version], ['b', b1.version]]);
  });

  it('shares one basis across streams without one changing another', () => {
    const basis = { resources: map(a1, b1), names: new Set(['a', 'b']) };
    const one = new HeldVersions();
    const two = new HeldVersions();
    one.rebase(basis);
    two.rebase(basis);
    one.sent([a2]);
    one.keepOnly(new Set(['a']), () => undefined);
    expect(sorted(one)).toEqual([['a', a2.version]]);
    expect(sorted(two)).toEqual([['a', a1.version], ['b', b1.version]]);
    expect(basis.resources.size).toBe(2);
  });
});
