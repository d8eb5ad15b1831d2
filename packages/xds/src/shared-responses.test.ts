import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../test/resources.js';
import { SharedResponses, contentKey } from './shared-responses.js';

describe('contentKey', () => {
  it('is equal for the same resource objects at the same version and type only', () => {
    const a = endpoints('a', [1]);
    const b = endpoints('b', [1]);
    const eds = TypeUrl.ClusterLoadAssignment;
    expect(contentKey('sotw', eds, 'v1', [a, b])).toBe(contentKey('sotw', eds, 'v1', [a, b]));
    expect(contentKey('sotw', eds, 'v1', [a, b])).not.toBe(contentKey('sotw', eds, 'v1', [b, a]));
    expect(contentKey('sotw', eds, 'v1', [a, b])).not.toBe(contentKey('sotw', eds, 'v2', [a, b]));
    expect(contentKey('sotw', eds, 'v1', [a])).not.toBe(contentKey('sotw', TypeUrl.Cluster, 'v1', [a]));
    // Equal content in another object is another key (cheap, and never wrong).
    expect(contentKey('sotw', eds, 'v1', [a])).not.toBe(contentKey('sotw', eds, 'v1', [endpoints('a', [1])]));
    expect(contentKey('sotw', eds, 'v1', [a], ['gone'])).not.toBe(contentKey('sotw', eds, 'v1', [a]));
    expect(contentKey('sotw', eds, 'v1', [a])).not.toBe(contentKey('delta', eds, 'v1', [a]));
    expect(contentKey('sotw', eds, 'v1', [], ['x', 'y'])).not.toBe(contentKey('sotw', eds, 'v1', [], ['x']));
  });
});

describe('SharedResponses', () => {
  it('gives streams the same nonce for the same content while it is newer than what each sent', () => {
    const shared = new SharedResponses();
    const first = shared.take('X', 0);
    expect(shared.take('X', 0)).toBe(first);
    // A stream that already sent a later nonce gets a fresh one, which the content now carries.
    const other = shared.take('Y', 0);
    expect(other.seq).toBeGreaterThan(first.seq);
    const again = shared.take('X', other.seq);
    expect(again).not.toBe(first);
    expect(again.seq).toBeGreaterThan(other.seq);
    expect(shared.take('X', 0)).toBe(again);
    expect(new Set([first.nonce, other.nonce, again.nonce]).size).toBe(3);
  });

  it('encodes once per entry and bounds what it keeps by entries and by bytes', () => {
    const shared = new SharedResponses({ maxEntries: 2, maxBytes: 100 });
    let encodes = 0;
    const encode = (n: number) => () => (encodes++, Buffer.alloc(n));
    const a = shared.take('a', 0);
    expect(shared.encoded(a, encode(40))).toBe(shared.encoded(a, encode(40)));
    expect(encodes).toBe(1);
    const b = shared.take('b', 0);
    shared.encoded(b, encode(40));
    expect(shared.size).toEqual({ entries: 2, bytes: 80 });
    // A third entry drops the least recently used ('a'), and its bytes from the count.
    shared.take('c', 0);
    expect(shared.size).toEqual({ entries: 2, bytes: 40 });
    expect(shared.take('a', 0)).not.toBe(a);
    // Over the byte bound: the oldest go until it fits.
    const big = shared.take('d', 0);
    shared.encoded(big, encode(90));
    expect(shared.size).toEqual({ entries: 2, bytes: 90 });
    shared.encoded(shared.take('h', 0), encode(20));
    expect(shared.size).toEqual({ entries: 1, bytes: 20 });
    // An entry dropped before its first encode is still encoded for its writes, but not counted.
    const lost = shared.take('e', 0);
    shared.take('f', 0);
    shared.take('g', 0);
    expect(shared.encoded(lost, encode(10)).length).toBe(10);
    expect(shared.size.bytes).toBeLessThanOrEqual(100);
    expect(shared.size.entries).toBe(2);
  });
});
