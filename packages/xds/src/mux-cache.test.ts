import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { endpoints, helloSnapshot, node } from '../test/resources.js';
import type { SotwResponse } from './config-watcher.js';
import { LinearCache } from './linear-cache.js';
import { MuxCache } from './mux-cache.js';
import { SnapshotCache } from './snapshot-cache.js';

const state = { subscription: { wildcard: true, names: new Set<string>() }, sentVersion: '', sentNames: new Set<string>() };

describe('MuxCache', () => {
  it('routes each type to its cache and the rest to the fallback', () => {
    const eds = new LinearCache({ typeUrl: TypeUrl.ClusterLoadAssignment, versionPrefix: 'lin-', initial: [endpoints('x', [1])] });
    const snapshots = new SnapshotCache();
    snapshots.setSnapshot('n', helloSnapshot('snap-1', [1]));
    const mux = new MuxCache({ byType: { [TypeUrl.ClusterLoadAssignment]: eds }, fallback: snapshots });
    const got: SotwResponse[] = [];
    mux.createWatch({ node: node('n'), typeUrl: TypeUrl.ClusterLoadAssignment }, state, (r) => got.push(r));
    mux.createWatch({ node: node('n'), typeUrl: TypeUrl.Cluster }, state, (r) => got.push(r));
    expect(got.map((r) => r.version)).toEqual(['lin-1', 'snap-1']);
  });

  it('leaves a watch for an unserved type open (never answered)', () => {
    const mux = new MuxCache({ byType: {} });
    const got: SotwResponse[] = [];
    const cancel = mux.createWatch({ node: node('n'), typeUrl: TypeUrl.Secret }, state, (r) => got.push(r));
    expect(got).toEqual([]);
    expect(cancel()).toBeUndefined();
  });
});
