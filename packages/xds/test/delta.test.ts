// Delta ADS over real sockets: subscribe, unsubscribe, removed_resources, reconnect without resend.
import { TypeUrl, type DeltaDiscoveryResponse__Output } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinearCache } from '../src/linear-cache.js';
import { MuxCache } from '../src/mux-cache.js';
import { SnapshotCache } from '../src/snapshot-cache.js';
import { Snapshot } from '../src/snapshot.js';
import { edsCluster, endpoints } from './resources.js';
import { deltaStream, startXdsServer, TRANSPORTS, type RunningServer } from './server-harness.js';

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;

describe.each(TRANSPORTS)('Delta (%s transport)', (transport) => {
  let eds: LinearCache;
  let snapshots: SnapshotCache;
  let server: RunningServer;

  beforeAll(async () => {
    eds = new LinearCache({ typeUrl: EDS, initial: ['a', 'b', 'c'].map((n) => endpoints(n, [1])) });
    snapshots = new SnapshotCache();
    server = await startXdsServer({ cache: new MuxCache({ byType: { [EDS]: eds }, fallback: snapshots }) }, transport);
  });

  afterAll(() => server.close());

  const names = (r: DeltaDiscoveryResponse__Output): string[] => r.resources.map((x) => x.name).sort();

  describe('Delta ADS over gRPC', () => {
    it('subscribes and unsubscribes by name, receiving per-resource versions', async () => {
      const s = deltaStream(server.target);
      s.send({ node: { id: 'd1' }, type_url: EDS, resource_names_subscribe: ['a', 'b'] });
      const r1 = await s.next();
      expect(names(r1)).toEqual(['a', 'b']);
      expect(r1.resources.find((r) => r.name === 'a')?.version).toBe(eds.resources().get('a')?.version);
      s.send({ type_url: EDS, response_nonce: r1.nonce, resource_names_unsubscribe: ['b'], resource_names_subscribe: ['c'] });
      const r2 = await s.next();
      expect(names(r2)).toEqual(['c']);
      s.send({ type_url: EDS, response_nonce: r2.nonce });
      eds.updateResources([endpoints('b', [2]), endpoints('a', [2])], []);
      const r3 = await s.next();
      expect(names(r3)).toEqual(['a']);
      s.close();
    });

    it('wildcard subscription gets everything and removed_resources when one goes away', async () => {
      snapshots.setSnapshot('d2', Snapshot.create({ version: 'v1', resources: { [CDS]: [edsCluster('x'), edsCluster('y')] } }));
      const s = deltaStream(server.target);
      s.send({ node: { id: 'd2' }, type_url: CDS, resource_names_subscribe: ['*'] });
      const r1 = await s.next();
      expect(names(r1)).toEqual(['x', 'y']);
      s.send({ type_url: CDS, response_nonce: r1.nonce });
      snapshots.setSnapshot('d2', Snapshot.create({ version: 'v2', resources: { [CDS]: [edsCluster('x')] } }));
      const r2 = await s.next();
      expect([names(r2), r2.removed_resources, r2.system_version_info]).toEqual([[], ['y'], 'v2']);
      s.close();
    });

    it('on reconnect, does not resend what initial_resource_versions says the client has', async () => {
      eds.updateResources([endpoints('p', [1]), endpoints('q', [1])], []);
      const first = deltaStream(server.target);
      first.send({ node: { id: 'd3' }, type_url: EDS, resource_names_subscribe: ['p', 'q'] });
      const r1 = await first.next();
      const held = Object.fromEntries(r1.resources.map((r) => [r.name, r.version]));
      first.close();

      const second = deltaStream(server.target);
      second.send({ node: { id: 'd3' }, type_url: EDS, resource_names_subscribe: ['p', 'q'], initial_resource_versions: held });
      // Nothing is due; the next change shows what the new stream sends: only q.
      eds.updateResource(endpoints('q', [2]));
      const r2 = await second.next();
      expect(names(r2)).toEqual(['q']);
      second.close();
    });
  });
});
