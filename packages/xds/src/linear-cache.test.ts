import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { endpoints, node } from '../test/resources.js';
import { applyDelta } from './answer.js';
import type { DeltaResponse, SotwResponse, SotwWatchState } from './config-watcher.js';
import { LinearCache } from './linear-cache.js';

const EDS = TypeUrl.ClusterLoadAssignment;
const req = { node: node('n'), typeUrl: EDS };

function state(wildcard: boolean, names: string[], sentVersion = '', sentNames: string[] = names): SotwWatchState {
  return { subscription: { wildcard, names: new Set(names) }, sentVersion, sentNames: new Set(sentNames) };
}

describe('LinearCache (SotW)', () => {
  it('bumps one version per change and ignores unchanged updates', () => {
    const cache = new LinearCache({ typeUrl: EDS, versionPrefix: 'e' });
    expect(cache.version()).toBe('e0');
    cache.updateResources([endpoints('a', [1]), endpoints('b', [1])], []);
    expect(cache.version()).toBe('e1');
    cache.updateResource(endpoints('a', [1]));
    expect(cache.version()).toBe('e1');
    cache.deleteResource('nope');
    expect(cache.version()).toBe('e1');
  });

  it('answers a named watch only when one of its resources changes', () => {
    const cache = new LinearCache({ typeUrl: EDS, initial: [endpoints('a', [1]), endpoints('b', [1])] });
    const got: SotwResponse[] = [];
    cache.createWatch(req, state(false, ['a'], cache.version()), (r) => got.push(r));
    cache.updateResource(endpoints('b', [2]));
    expect(got).toEqual([]);
    cache.updateResource(endpoints('a', [2]));
    expect(got.map((r) => [r.version, r.resources.map((x) => x.name)])).toEqual([['3', ['a']]]);
  });

  it('answers wildcard watches on any change, and named watches on deletion', () => {
    const cache = new LinearCache({ typeUrl: EDS, initial: [endpoints('a', [1])] });
    const wild: SotwResponse[] = [];
    const named: SotwResponse[] = [];
    cache.createWatch(req, state(true, [], cache.version()), (r) => wild.push(r));
    cache.createWatch(req, state(false, ['a'], cache.version()), (r) => named.push(r));
    cache.deleteResource('a');
    expect(wild.map((r) => r.resources.length)).toEqual([0]);
    expect(named.map((r) => r.resources.length)).toEqual([0]);
  });

  it('keeps a watch for a name that does not exist yet, and answers when it appears', () => {
    const cache = new LinearCache({ typeUrl: EDS });
    const got: SotwResponse[] = [];
    cache.createWatch(req, state(false, ['later'], '', []), (r) => got.push(r));
    expect(got).toEqual([]);
    cache.updateResource(endpoints('later', [1]));
    expect(got.map((r) => r.resources.map((x) => x.name))).toEqual([['later']]);
  });

  it('answers newly named resources at once', () => {
    const cache = new LinearCache({ typeUrl: EDS, initial: [endpoints('a', [1]), endpoints('b', [1])] });
    const got: SotwResponse[] = [];
    cache.createWatch(req, state(false, ['a', 'b'], cache.version(), ['a']), (r) => got.push(r));
    expect(got.map((r) => r.resources.map((x) => x.name))).toEqual([['a', 'b']]);
  });

  it('refuses resources of another type', () => {
    const cache = new LinearCache({ typeUrl: TypeUrl.Cluster });
    expect(() => cache.updateResource(endpoints('a', [1]))).toThrow(expect.objectContaining({ code: 'WEFT_XDS_TYPE_MISMATCH' }));
  });
});

describe('LinearCache (Delta)', () => {
  it('sends only the changed resource and removals to interested watches', () => {
    const a1 = endpoints('a', [1]);
    const cache = new LinearCache({ typeUrl: EDS, initial: [a1, endpoints('b', [1])] });
    const got: DeltaResponse[] = [];
    const st = { subscription: { wildcard: true, names: new Set<string>() }, versions: new Map([['a', a1.version]]), first: true };
    cache.createDeltaWatch(req, st, (r) => got.push(r));
    expect(got.map((r) => r.resources.map((x) => x.name))).toEqual([['b']]);
    const versions = new Map(st.versions);
    if (got[0]) applyDelta(versions, got[0]);
    const held = { subscription: st.subscription, versions, first: false };
    cache.createDeltaWatch(req, held, (r) => got.push(r));
    cache.setResources([endpoints('b', [2])]);
    expect(got[1]?.resources.map((x) => x.name)).toEqual(['b']);
    expect(got[1]?.removed).toEqual(['a']);
  });
});

describe('LinearCache resources()', () => {
  it('hands out maps that never change: each change makes a new one', () => {
    const cache = new LinearCache({ typeUrl: EDS, initial: [endpoints('a', [1])] });
    const before = cache.resources();
    cache.updateResource(endpoints('b', [1]));
    cache.deleteResource('a');
    expect([...before.keys()]).toEqual(['a']);
    expect([...cache.resources().keys()]).toEqual(['b']);
    // No change, no new map.
    const now = cache.resources();
    cache.updateResource(endpoints('b', [1]));
    expect(cache.resources()).toBe(now);
  });
});
