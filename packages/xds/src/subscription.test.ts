import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { deltaSubscription, isInterested, sotwSubscription, type Subscription } from './subscription.js';

const sub = (wildcard: boolean, names: string[] = []): Subscription => ({ wildcard, names: new Set(names) });
const plain = (s: Subscription) => ({ wildcard: s.wildcard, names: [...s.names].sort() });

describe('sotwSubscription', () => {
  it.each([
    { name: 'empty first LDS request is the legacy wildcard', type: TypeUrl.Listener, prev: undefined, req: [], want: { wildcard: true, names: [] } },
    { name: 'empty first EDS request asks for nothing', type: TypeUrl.ClusterLoadAssignment, prev: undefined, req: [], want: { wildcard: false, names: [] } },
    { name: 'named CDS request (gRPC clients) is not wildcard', type: TypeUrl.Cluster, prev: undefined, req: ['a'], want: { wildcard: false, names: ['a'] } },
    { name: '* is explicit wildcard for any type', type: TypeUrl.RouteConfiguration, prev: undefined, req: ['*', 'r'], want: { wildcard: true, names: ['r'] } },
    { name: 'later empty request keeps legacy wildcard', type: TypeUrl.Cluster, prev: sub(true), req: [], want: { wildcard: true, names: [] } },
    { name: 'names without * leave wildcard', type: TypeUrl.Cluster, prev: sub(true), req: ['a'], want: { wildcard: false, names: ['a'] } },
    { name: 'a smaller list unsubscribes', type: TypeUrl.ClusterLoadAssignment, prev: sub(false, ['a', 'b']), req: ['a'], want: { wildcard: false, names: ['a'] } },
    { name: 'an emptied named list means nothing', type: TypeUrl.Cluster, prev: sub(false, ['a']), req: [], want: { wildcard: false, names: [] } },
  ])('$name', ({ type, prev, req, want }) => {
    expect(plain(sotwSubscription(type, prev, req))).toEqual(want);
  });
});

describe('deltaSubscription', () => {
  it.each([
    { name: 'first CDS request with nothing is legacy wildcard', type: TypeUrl.Cluster, prev: undefined, s: [], u: [], want: { wildcard: true, names: [] } },
    { name: 'first EDS request with nothing asks for nothing', type: TypeUrl.ClusterLoadAssignment, prev: undefined, s: [], u: [], want: { wildcard: false, names: [] } },
    { name: '* subscribes wildcard', type: TypeUrl.ClusterLoadAssignment, prev: undefined, s: ['*'], u: [], want: { wildcard: true, names: [] } },
    { name: 'adds and removes names', type: TypeUrl.ClusterLoadAssignment, prev: sub(false, ['a', 'b']), s: ['c'], u: ['a', 'zz'], want: { wildcard: false, names: ['b', 'c'] } },
    { name: 'unsubscribing * leaves wildcard', type: TypeUrl.Cluster, prev: sub(true, ['x']), s: [], u: ['*'], want: { wildcard: false, names: ['x'] } },
  ])('$name', ({ type, prev, s, u, want }) => {
    expect(plain(deltaSubscription(type, prev, s, u))).toEqual(want);
  });

  it('keeps the very subscription for a request that subscribes and unsubscribes nothing', () => {
    const prev = sub(false, ['a', 'b']);
    expect(deltaSubscription(TypeUrl.ClusterLoadAssignment, prev, [], [])).toBe(prev);
    expect(deltaSubscription(TypeUrl.ClusterLoadAssignment, prev, ['c'], [])).not.toBe(prev);
  });

  it('isInterested honours wildcard and names', () => {
    expect(isInterested(sub(true), 'any')).toBe(true);
    expect(isInterested(sub(false, ['a']), 'a')).toBe(true);
    expect(isInterested(sub(false, ['a']), 'b')).toBe(false);
  });
});
