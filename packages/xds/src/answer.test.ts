import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../test/resources.js';
import { applyDelta, changedBetween, deltaAnswer, sotwAnswer } from './answer.js';
import { HeldVersions } from './held-versions.js';
import type { Resource } from './resource.js';

const EDS = TypeUrl.ClusterLoadAssignment;
const a = endpoints('a', [1]);
const b = endpoints('b', [2]);
const all = new Map<string, Resource>([
  ['a', a],
  ['b', b],
]);

const sotw = (wildcard: boolean, names: string[], sentVersion: string, sentNames: string[] = []) => ({
  subscription: { wildcard, names: new Set(names) },
  sentVersion,
  sentNames: new Set(sentNames),
});

describe('sotwAnswer', () => {
  it.each([
    { name: 'answers a first request', state: sotw(false, ['a'], ''), version: 'v1', want: ['a'] },
    { name: 'waits when the stream has the version', state: sotw(false, ['a'], 'v1', ['a']), version: 'v1', want: undefined },
    { name: 'answers newly requested names at the same version', state: sotw(false, ['a', 'b'], 'v1', ['a']), version: 'v1', want: ['a', 'b'] },
    { name: 'answers a new version with only the requested names', state: sotw(false, ['b'], 'v1', ['b']), version: 'v2', want: ['b'] },
    { name: 'answers wildcard with everything', state: sotw(true, [], 'v1'), version: 'v2', want: ['a', 'b'] },
    { name: 'waits while the type is not served', state: sotw(true, [], ''), version: '', want: undefined },
  ])('$name', ({ state, version, want }) => {
    const answer = sotwAnswer(EDS, state, version, all);
    expect(answer?.resources.map((r) => r.name)).toEqual(want);
  });
});

describe('sotwAnswer for partial types, with what the stream holds', () => {
  const c = endpoints('c', [3]);
  const v1 = new Map<string, Resource>([['a', a], ['b', b], ['c', c]]);
  // The next version: b changed, c removed, d added; a is the same object.
  const b2 = endpoints('b', [22]);
  const d = endpoints('d', [4]);
  const v2 = new Map<string, Resource>([['a', a], ['b', b2], ['d', d]]);

  const answerBoth = (names: Set<string>, prepare: (h: HeldVersions) => void) => {
    const held = new HeldVersions();
    const first = sotwAnswer(EDS, { subscription: { wildcard: false, names }, sentVersion: '', sentNames: new Set(), held }, 'v1', v1);
    held.rebase(first!.basis!);
    prepare(held);
    return sotwAnswer(EDS, { subscription: { wildcard: false, names }, sentVersion: 'v1', sentNames: names, held }, 'v2', v2);
  };

  it('sends what changed between the maps when the stream holds exactly the earlier one', () => {
    const names = new Set(['a', 'b', 'd']);
    const answer = answerBoth(names, () => undefined);
    expect(answer?.resources.map((r) => r.name).sort()).toEqual(['b', 'd']);
    expect(answer?.basis).toEqual({ resources: v2, names });
    // The same as looking at each name (the stream differs from its basis after a send of its own).
    const slow = answerBoth(names, (h) => h.sent([a]));
    expect(slow?.resources.map((r) => r.name).sort()).toEqual(['b', 'd']);
    // Unsubscribed changes are not sent.
    expect(answerBoth(new Set(['a', 'c']), () => undefined)).toBeUndefined();
  });

  it('finds the changes between two maps once, whoever asks', () => {
    const once = changedBetween(v1, v2);
    expect(once.map((r) => r.name)).toEqual(['b', 'd']);
    expect(changedBetween(v1, v2)).toBe(once);
    expect(changedBetween(v2, v2)).toEqual([]);
  });
});

describe('deltaAnswer with what the stream holds', () => {
  const c = endpoints('c', [3]);
  const v1 = new Map<string, Resource>([['a', a], ['b', b], ['c', c]]);
  const b2 = endpoints('b', [22]);
  const d = endpoints('d', [4]);
  const v2 = new Map<string, Resource>([['a', a], ['b', b2], ['d', d]]);

  const next = (wildcard: boolean, names: Set<string>, differ: boolean) => {
    const versions = new HeldVersions();
    const subscription = { wildcard, names };
    const first = deltaAnswer(EDS, { subscription, versions, first: true }, 'v1', v1);
    versions.rebase(first!.basis!);
    // A difference of its own (the same version set again) forces the per-name path.
    if (differ) versions.set('a', a.version);
    const answer = deltaAnswer(EDS, { subscription, versions, first: false }, 'v2', v2);
    return answer && { resources: answer.resources.map((r) => r.name).sort(), removed: [...answer.removed].sort() };
  };

  it('answers from the difference of the maps as it would name by name', () => {
    for (const differ of [false, true]) {
      expect(next(true, new Set(), differ)).toEqual({ resources: ['b', 'd'], removed: ['c'] });
      expect(next(false, new Set(['a', 'c']), differ)).toEqual({ resources: [], removed: ['c'] });
      expect(next(false, new Set(['a']), differ)).toBeUndefined();
    }
  });
});

const delta = (wildcard: boolean, names: string[], versions: Record<string, string>, first = false) => ({
  subscription: { wildcard, names: new Set(names) },
  versions: new Map(Object.entries(versions)),
  first,
});

describe('deltaAnswer', () => {
  it('sends only what the client lacks or holds at another version', () => {
    const answer = deltaAnswer(EDS, delta(true, [], { a: a.version, b: 'old' }), 's1', all, true);
    expect(answer?.resources.map((r) => r.name)).toEqual(['b']);
    expect(answer?.removed).toEqual([]);
    const held = new Map([['a', a.version], ['b', 'old']]);
    if (answer) applyDelta(held, answer);
    expect(Object.fromEntries(held)).toEqual({ a: a.version, b: b.version });
  });

  it('removes what the client holds that no longer exists', () => {
    const answer = deltaAnswer(EDS, delta(false, ['a', 'gone'], { a: a.version, gone: 'x' }), 's1', all, true);
    expect(answer?.resources).toEqual([]);
    expect(answer?.removed).toEqual(['gone']);
    const held = new Map([['a', a.version], ['gone', 'x']]);
    if (answer) applyDelta(held, answer);
    expect([...held.keys()]).toEqual(['a']);
  });

  it('stays silent when nothing changed (reconnect with initial_resource_versions)', () => {
    expect(deltaAnswer(EDS, delta(false, ['a', 'b'], { a: a.version, b: b.version }, true), 's1', all, true)).toBeUndefined();
  });

  it('answers a first wildcard request even when empty, when asked to', () => {
    const empty = new Map<string, Resource>();
    expect(deltaAnswer(EDS, delta(true, [], {}, true), 's1', empty, true)?.resources).toEqual([]);
    expect(deltaAnswer(EDS, delta(true, [], {}, true), 's1', empty, false)).toBeUndefined();
  });
});
