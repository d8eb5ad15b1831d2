import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { edsCluster, endpoints, helloSnapshot, node } from '../test/resources.js';
import { applyDelta } from './answer.js';
import type { DeltaResponse, SotwResponse, SotwWatchState } from './config-watcher.js';
import { SnapshotCache } from './snapshot-cache.js';
import { Snapshot } from './snapshot.js';

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;

function state(wildcard: boolean, names: string[], sentVersion = '', sentNames: string[] = []): SotwWatchState {
  return { subscription: { wildcard, names: new Set(names) }, sentVersion, sentNames: new Set(sentNames) };
}

describe('SnapshotCache (SotW)', () => {
  it('answers at once when a snapshot with another version exists', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', helloSnapshot('v1', [1]));
    const got: SotwResponse[] = [];
    cache.createWatch({ node: node('n1'), typeUrl: CDS }, state(true, []), (r) => got.push(r));
    expect(got.map((r) => [r.version, r.resources.map((x) => x.name)])).toEqual([['v1', ['hello-cluster']]]);
    expect(cache.watchCount()).toBe(0);
  });

  it('holds the watch until a snapshot with a new version is set, then answers once', () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', helloSnapshot('v1', [1]));
    const got: SotwResponse[] = [];
    cache.createWatch({ node: node('n1'), typeUrl: EDS }, state(false, ['hello-cluster'], 'v1', ['hello-cluster']), (r) => got.push(r));
    expect(got).toEqual([]);
    cache.setSnapshot('n1', helloSnapshot('v1', [2]));
    expect(got).toEqual([]);
    cache.setSnapshot('n1', helloSnapshot('v2', [2]));
    cache.setSnapshot('n1', helloSnapshot('v3', [3]));
    expect(got.map((r) => r.version)).toEqual(['v2']);
  });

  it('shares one snapshot between nodes of the same group', () => {
    const cache = new SnapshotCache({ nodeGroup: (n) => n.cluster });
    const got: string[] = [];
    cache.createWatch({ node: node('a', 'reviews'), typeUrl: CDS }, state(true, []), () => got.push('a'));
    cache.createWatch({ node: node('b', 'reviews'), typeUrl: CDS }, state(true, []), () => got.push('b'));
    cache.createWatch({ node: node('c', 'ratings'), typeUrl: CDS }, state(true, []), () => got.push('c'));
    cache.setSnapshot('reviews', helloSnapshot('v1', [1]));
    expect(got).toEqual(['a', 'b']);
  });

  it('answers watches of one update in push order (CDS, EDS, LDS, RDS)', () => {
    const cache = new SnapshotCache();
    const got: string[] = [];
    for (const t of [TypeUrl.RouteConfiguration, TypeUrl.Listener, EDS, CDS]) {
      cache.createWatch({ node: node('n'), typeUrl: t }, state(true, []), (r) => got.push(r.typeUrl));
    }
    cache.setSnapshot('n', helloSnapshot('v1', [1]));
    expect(got).toEqual([CDS, EDS, TypeUrl.Listener, TypeUrl.RouteConfiguration]);
  });

  it('stops answering a cancelled watch', () => {
    const cache = new SnapshotCache();
    const got: unknown[] = [];
    const cancel = cache.createWatch({ node: node('n'), typeUrl: CDS }, state(true, []), (r) => got.push(r));
    cancel();
    cache.setSnapshot('n', helloSnapshot('v1', [1]));
    expect(got).toEqual([]);
  });

  it('refuses inconsistent snapshots when asked to', () => {
    const cache = new SnapshotCache({ requireConsistent: true });
    const bad = Snapshot.create({ version: 'v1', resources: { [CDS]: [edsCluster('c')], [EDS]: [] } });
    const result = cache.setSnapshot('n', bad);
    expect(result.ok).toBe(false);
    expect(cache.getSnapshot('n')).toBeUndefined();
  });
});

describe('SnapshotCache (Delta)', () => {
  it('sends changes and removals against the versions the stream holds', () => {
    const cache = new SnapshotCache();
    const a = endpoints('a', [1]);
    const b = endpoints('b', [1]);
    cache.setSnapshot('n', Snapshot.create({ version: 'v1', resources: { [EDS]: [a, b] } }));
    const got: DeltaResponse[] = [];
    const st = { subscription: { wildcard: false, names: new Set(['a', 'b']) }, versions: new Map([['a', a.version]]), first: true };
    cache.createDeltaWatch({ node: node('n'), typeUrl: EDS }, st, (r) => got.push(r));
    expect(got.map((r) => r.resources.map((x) => x.name))).toEqual([['b']]);

    const versions = new Map(st.versions);
    if (got[0]) applyDelta(versions, got[0]);
    const held = { subscription: st.subscription, versions, first: false };
    cache.createDeltaWatch({ node: node('n'), typeUrl: EDS }, held, (r) => got.push(r));
    expect(got).toHaveLength(1);
    cache.setSnapshot('n', Snapshot.create({ version: 'v2', resources: { [EDS]: [endpoints('a', [2])] } }));
    expect(got[1]?.resources.map((x) => x.name)).toEqual(['a']);
    expect(got[1]?.removed).toEqual(['b']);
  });
});
