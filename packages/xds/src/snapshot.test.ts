import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { apiListener, edsCluster, endpoints, listener, registry, route, staticCluster } from '../test/resources.js';
import { XdsErrors } from './errors.js';
import { makeResource, resourceFromAny, type Resource } from './resource.js';
import { Snapshot, SnapshotPool } from './snapshot.js';

function snap(resources: Partial<Record<string, Resource[]>>): Snapshot {
  return Snapshot.create({ version: 'v1', resources });
}

describe('Snapshot.consistent', () => {
  it.each([
    {
      name: 'accepts matching LDS→RDS and CDS→EDS names',
      resources: {
        [TypeUrl.Listener]: [listener('l', 'r')],
        [TypeUrl.RouteConfiguration]: [route('r', 'c')],
        [TypeUrl.Cluster]: [edsCluster('c'), staticCluster('s')],
        [TypeUrl.ClusterLoadAssignment]: [endpoints('c', [1])],
      },
      errors: [],
    },
    {
      name: 'uses eds_cluster_config.service_name over the cluster name',
      resources: { [TypeUrl.Cluster]: [edsCluster('c', 'svc')], [TypeUrl.ClusterLoadAssignment]: [endpoints('svc', [1])] },
      errors: [],
    },
    {
      name: 'reads api_listener HCMs (gRPC clients)',
      resources: { [TypeUrl.Listener]: [apiListener('hello', 'hr')], [TypeUrl.RouteConfiguration]: [route('hr', 'c')] },
      errors: [],
    },
    {
      name: 'refuses a listener naming a missing route',
      resources: { [TypeUrl.Listener]: [listener('l', 'missing')], [TypeUrl.RouteConfiguration]: [] },
      errors: ['LDS:l: references RDS "missing", which the snapshot lacks'],
    },
    {
      name: 'refuses an EDS resource no cluster references',
      resources: { [TypeUrl.Cluster]: [staticCluster('s')], [TypeUrl.ClusterLoadAssignment]: [endpoints('orphan', [1])] },
      errors: ['EDS:orphan: not referenced by any CDS resource'],
    },
    {
      name: 'refuses a cluster whose endpoints are missing',
      resources: { [TypeUrl.Cluster]: [edsCluster('c')], [TypeUrl.ClusterLoadAssignment]: [] },
      errors: ['CDS:c: references EDS "c", which the snapshot lacks'],
    },
  ])('$name', ({ resources, errors }) => {
    const s = snap(resources);
    const report = s.checkConsistency();
    expect(report.errors.map((e) => `${e.path}: ${e.message}`)).toEqual(errors);
    const result = s.consistent();
    expect(result.ok).toBe(errors.length === 0);
    if (!result.ok) expect(XdsErrors.INCONSISTENT_SNAPSHOT.is(result.error)).toBe(true);
  });

  it('skips the check, with a warning, when the child type is served elsewhere (LinearCache EDS)', () => {
    const report = snap({ [TypeUrl.Cluster]: [edsCluster('c')] }).checkConsistency();
    expect(report.errors).toEqual([]);
    expect(report.warnings).toEqual([{ path: 'EDS', message: 'not in this snapshot; references not checked' }]);
  });

  it('is permissive but explicit about shapes it cannot inspect', () => {
    const custom = makeResource(registry, TypeUrl.Cluster, {
      name: 'agg',
      cluster_type: { name: 'envoy.clusters.aggregate', typed_config: registry.pack('google.protobuf.Empty', {}) },
    });
    const packedElsewhere = resourceFromAny(listener('l', 'r').packed, { name: 'l' });
    const report = snap({
      [TypeUrl.Cluster]: [custom],
      [TypeUrl.ClusterLoadAssignment]: [endpoints('extra', [1])],
      [TypeUrl.Listener]: [packedElsewhere],
      [TypeUrl.RouteConfiguration]: [route('r', 'c')],
    }).checkConsistency();
    expect(report.errors).toEqual([]);
    expect(report.warnings.map((w) => w.path)).toEqual(['CDS:agg', 'EDS:extra', 'LDS:l', 'RDS:r']);
  });
});

describe('Snapshot.create', () => {
  it('refuses duplicate names, misplaced types and empty versions', () => {
    const c = edsCluster('c');
    expect(() => snap({ [TypeUrl.Cluster]: [c, c] })).toThrow(expect.objectContaining({ code: 'WEFT_XDS_DUPLICATE_RESOURCE' }));
    expect(() => snap({ [TypeUrl.Listener]: [c] })).toThrow(expect.objectContaining({ code: 'WEFT_XDS_TYPE_MISMATCH' }));
    expect(() => Snapshot.create({ version: '', resources: {} })).toThrow(expect.objectContaining({ code: 'WEFT_XDS_EMPTY_VERSION' }));
  });

  it('serves per-type versions and nothing for absent types', () => {
    const s = Snapshot.create({ version: 'v2', typeVersions: { [TypeUrl.Cluster]: 'c7' }, resources: { [TypeUrl.Cluster]: [], [TypeUrl.Listener]: [] } });
    expect(s.typeVersion(TypeUrl.Cluster)).toBe('c7');
    expect(s.typeVersion(TypeUrl.Listener)).toBe('v2');
    expect(s.typeVersion(TypeUrl.Secret)).toBe('');
    expect(s.serves(TypeUrl.Secret)).toBe(false);
  });
});

describe('makeResource', () => {
  it('encodes once, names from cluster_name for EDS, and versions by content', () => {
    const a = endpoints('svc', [1]);
    const b = endpoints('svc', [1]);
    const c = endpoints('svc', [2]);
    expect(a.name).toBe('svc');
    expect(a.packed.type_url).toBe(TypeUrl.ClusterLoadAssignment);
    expect(a.version).toBe(b.version);
    expect(a.version).not.toBe(c.version);
    expect(registry.unpack<{ cluster_name: string }>(a.packed).cluster_name).toBe('svc');
  });

  it('refuses objects without a name and unknown types', () => {
    expect(() => makeResource(registry, TypeUrl.Cluster, {})).toThrow(expect.objectContaining({ code: 'WEFT_XDS_RESOURCE_NAME_MISSING' }));
    expect(() => makeResource(registry, 'type.googleapis.com/no.such.Type', { name: 'x' })).toThrow(
      expect.objectContaining({ code: 'WEFT_XDS_UNKNOWN_TYPE' }),
    );
  });
});

describe('Snapshot.withResources', () => {
  it('replaces resources of one type at a new type version and shares the other types', () => {
    const base = Snapshot.create({
      version: 'v1',
      resources: { [TypeUrl.Cluster]: [edsCluster('a'), edsCluster('b')], [TypeUrl.ClusterLoadAssignment]: [endpoints('a', [1]), endpoints('b', [1])] },
    });
    const next = base.withResources(TypeUrl.ClusterLoadAssignment, [endpoints('b', [2])], 'eds-2', 'v2');
    expect(next.version).toBe('v2');
    expect(next.typeVersion(TypeUrl.ClusterLoadAssignment)).toBe('eds-2');
    expect(next.typeVersion(TypeUrl.Cluster)).toBe('v1');
    expect([...next.resources(TypeUrl.ClusterLoadAssignment).keys()]).toEqual(['a', 'b']);
    expect(next.resources(TypeUrl.ClusterLoadAssignment).get('b')?.version).toBe(endpoints('b', [2]).version);
    expect(next.resources(TypeUrl.ClusterLoadAssignment).get('a')).toBe(base.resources(TypeUrl.ClusterLoadAssignment).get('a'));
    expect(next.resources(TypeUrl.Cluster)).toBe(base.resources(TypeUrl.Cluster));
    // The original is untouched.
    expect(base.resources(TypeUrl.ClusterLoadAssignment).get('b')?.version).toBe(endpoints('b', [1]).version);
    expect(() => base.withResources(TypeUrl.ClusterLoadAssignment, [edsCluster('x')], 'e')).toThrow(expect.objectContaining({ code: 'WEFT_XDS_TYPE_MISMATCH' }));
  });
});

describe('SnapshotPool', () => {
  it('shares the resource map of a type between snapshots with the same type version', () => {
    const pool = new SnapshotPool();
    const make = (eds: string, port: number) =>
      Snapshot.create({ version: 'v', resources: { [TypeUrl.ClusterLoadAssignment]: [endpoints('a', [port])] }, typeVersions: { [TypeUrl.ClusterLoadAssignment]: eds } }, pool);
    const one = make('e1', 1);
    const two = make('e1', 1);
    const three = make('e2', 2);
    expect(two.resources(TypeUrl.ClusterLoadAssignment)).toBe(one.resources(TypeUrl.ClusterLoadAssignment));
    expect(three.resources(TypeUrl.ClusterLoadAssignment)).not.toBe(one.resources(TypeUrl.ClusterLoadAssignment));
    // Without per-type versions nothing is pooled (the snapshot version is not a content hash).
    const plain = (port: number) => Snapshot.create({ version: 'v', resources: { [TypeUrl.ClusterLoadAssignment]: [endpoints('a', [port])] } }, pool);
    expect(plain(3).resources(TypeUrl.ClusterLoadAssignment).get('a')?.version).not.toBe(plain(4).resources(TypeUrl.ClusterLoadAssignment).get('a')?.version);
    const next = one.withResources(TypeUrl.ClusterLoadAssignment, [endpoints('a', [5])], 'e3', 'v2', pool);
    expect(two.withResources(TypeUrl.ClusterLoadAssignment, [endpoints('a', [5])], 'e3', 'v2', pool).resources(TypeUrl.ClusterLoadAssignment)).toBe(next.resources(TypeUrl.ClusterLoadAssignment));
  });
});
