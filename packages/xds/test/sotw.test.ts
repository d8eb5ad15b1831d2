// SotW ADS over real sockets: ACK, NACK, stale nonces, wildcard vs named, unsubscribe, push order, reconnect.
import { TypeUrl } from '@weft/api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { NackEvent } from '../src/callbacks.js';
import { SnapshotCache } from '../src/snapshot-cache.js';
import { Snapshot } from '../src/snapshot.js';
import { apiListener, edsCluster, endpoints, helloSnapshot, route } from './resources.js';
import { names, sotwStream, startXdsServer, TRANSPORTS, type RunningServer } from './server-harness.js';

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;
const LDS = TypeUrl.Listener;
const RDS = TypeUrl.RouteConfiguration;

describe.each(TRANSPORTS)('SotW (%s transport)', (transport) => {
  let cache: SnapshotCache;
  let server: RunningServer;
  let nacks: NackEvent[];
  let group = 0;
  let node: { id: string };

  beforeAll(async () => {
    cache = new SnapshotCache();
    nacks = [];
    server = await startXdsServer({ cache, callbacks: { onNack: (_s, n) => nacks.push(n) } }, transport);
  });

  afterAll(() => server.close());

  beforeEach(() => {
    node = { id: `node-${++group}` };
  });

  function twoOfEach(version: string, port = 1, domain = '*'): Snapshot {
    return Snapshot.create({
      version,
      resources: {
        [LDS]: [apiListener('l1', 'r1'), apiListener('l2', 'r2')],
        [RDS]: [route('r1', 'c1', [domain]), route('r2', 'c2', [domain])],
        [CDS]: [edsCluster('c1'), edsCluster('c2')],
        [EDS]: [endpoints('c1', [port]), endpoints('c2', [port])],
      },
    });
  }

  describe('SotW ADS over gRPC', () => {
    it('ACK: the server answers the next version after the client ACKs', async () => {
      cache.setSnapshot(node.id, helloSnapshot('v1', [1]));
      const s = sotwStream(server.target);
      s.send({ node, type_url: CDS });
      const r1 = await s.next();
      expect([r1.version_info, r1.nonce, names(r1)]).toEqual(['v1', r1.nonce, ['hello-cluster']]);
      s.send({ type_url: CDS, version_info: 'v1', response_nonce: r1.nonce });
      cache.setSnapshot(node.id, helloSnapshot('v2', [1]));
      const r2 = await s.next();
      expect(r2.version_info).toBe('v2');
      expect(r2.nonce).not.toBe(r1.nonce);
      await expect.poll(() => server.xds.connections().find((c) => c.stream.node.id === node.id)?.types[0]?.ackedVersion).toBe('v1');
      s.close();
    });

    it('NACK: keeps the error detail and the rejected version, keeps the last good version, still delivers the next snapshot', async () => {
      cache.setSnapshot(node.id, helloSnapshot('v1', [1]));
      const s = sotwStream(server.target);
      s.send({ node, type_url: CDS });
      const r1 = await s.next();
      s.send({ type_url: CDS, version_info: 'v1', response_nonce: r1.nonce });
      cache.setSnapshot(node.id, helloSnapshot('v2', [1]));
      const r2 = await s.next();
      s.send({ type_url: CDS, version_info: 'v1', response_nonce: r2.nonce, error_detail: { code: 3, message: 'cluster hello-cluster: bad lb_policy' } });
      await expect.poll(() => nacks.filter((n) => n.nonce === r2.nonce)).toHaveLength(1);
      const status = server.xds.connections().find((c) => c.stream.node.id === node.id)?.types[0];
      expect(status).toMatchObject({
        sentVersion: 'v2',
        ackedVersion: 'v1',
        lastNack: { rejectedVersion: 'v2', lastGoodVersion: 'v1', errorDetail: { code: 3, message: 'cluster hello-cluster: bad lb_policy' } },
      });
      cache.setSnapshot(node.id, helloSnapshot('v3', [1]));
      const r3 = await s.next();
      expect(r3.version_info).toBe('v3');
      s.close();
    });

    it('ignores a request with a stale nonce', async () => {
      cache.setSnapshot(node.id, helloSnapshot('v1', [1]));
      const s = sotwStream(server.target);
      s.send({ node, type_url: EDS, resource_names: ['hello-cluster'] });
      const r1 = await s.next();
      s.send({ type_url: EDS, version_info: 'v1', resource_names: ['hello-cluster'], response_nonce: r1.nonce });
      cache.setSnapshot(node.id, helloSnapshot('v2', [2]));
      const r2 = await s.next();
      // A late answer to r1 asking for a new name: superseded by r2, so it must not be answered.
      s.send({ type_url: EDS, version_info: 'v1', resource_names: ['hello-cluster', 'x'], response_nonce: r1.nonce });
      // The ACK of r2 is answered only when something changes; v3 proves the stream went on normally.
      s.send({ type_url: EDS, version_info: 'v2', resource_names: ['hello-cluster'], response_nonce: r2.nonce });
      cache.setSnapshot(node.id, helloSnapshot('v3', [3]));
      const r3 = await s.next();
      expect(r3.version_info).toBe('v3');
      expect(s.pending).toBe(0);
      s.close();
    });

    it('wildcard LDS gets every listener; named CDS gets only what it names', async () => {
      cache.setSnapshot(node.id, twoOfEach('v1'));
      const s = sotwStream(server.target);
      s.send({ node, type_url: LDS });
      const lds = await s.next();
      s.send({ type_url: CDS, resource_names: ['c2'] });
      const cds = await s.next();
      expect(names(lds).sort()).toEqual(['l1', 'l2']);
      expect(names(cds)).toEqual(['c2']);
      s.close();
    });

    it('unsubscribes when the client sends a smaller resource_names list', async () => {
      cache.setSnapshot(node.id, twoOfEach('v1'));
      const s = sotwStream(server.target);
      s.send({ node, type_url: EDS, resource_names: ['c1', 'c2'] });
      const r1 = await s.next();
      expect(names(r1).sort()).toEqual(['c1', 'c2']);
      s.send({ type_url: EDS, version_info: 'v1', resource_names: ['c1'], response_nonce: r1.nonce });
      cache.setSnapshot(node.id, twoOfEach('v2', 2));
      const r2 = await s.next();
      expect(names(r2)).toEqual(['c1']);
      s.close();
    });

    it('answers newly requested names at the same version (Envoy after a CDS update)', async () => {
      cache.setSnapshot(node.id, twoOfEach('v1'));
      const s = sotwStream(server.target);
      s.send({ node, type_url: EDS, resource_names: ['c1'] });
      const r1 = await s.next();
      s.send({ type_url: EDS, version_info: 'v1', resource_names: ['c1', 'c2'], response_nonce: r1.nonce });
      const r2 = await s.next();
      // EDS responses may be partial in SotW: the stream already holds c1 at this version.
      expect([r2.version_info, names(r2).sort()]).toEqual(['v1', ['c2']]);
      s.close();
    });

    it('pushes one update in order CDS → EDS → LDS → RDS', async () => {
      cache.setSnapshot(node.id, twoOfEach('v1'));
      const s = sotwStream(server.target);
      // Requests in the "wrong" order; each is ACKed so that every type has a watch open.
      const request = { [RDS]: ['r1', 'r2'], [LDS]: [], [EDS]: ['c1', 'c2'], [CDS]: [] } as Record<string, string[]>;
      for (const [type_url, resource_names] of Object.entries(request)) s.send({ ...(type_url === RDS ? { node } : {}), type_url, resource_names });
      for (let i = 0; i < 4; i++) {
        const r = await s.next();
        s.send({ type_url: r.type_url, version_info: r.version_info, resource_names: request[r.type_url], response_nonce: r.nonce });
      }
      await expect.poll(() => cache.watchCount(node.id)).toBe(4);
      // Every type changes (routes too: an unchanged RouteConfiguration is not resent).
      cache.setSnapshot(node.id, twoOfEach('v2', 2, 'v2.example.com'));
      const order: string[] = [];
      for (let i = 0; i < 4; i++) order.push((await s.next()).type_url);
      expect(order).toEqual([CDS, EDS, LDS, RDS]);
      s.close();
    });

    it('a reconnecting client gets the state again, even when it reports the current version', async () => {
      cache.setSnapshot(node.id, helloSnapshot('v1', [1]));
      const first = sotwStream(server.target);
      first.send({ node, type_url: CDS });
      const r1 = await first.next();
      first.close();
      const second = sotwStream(server.target);
      second.send({ node, type_url: CDS, version_info: r1.version_info });
      const again = await second.next();
      expect([again.version_info, names(again)]).toEqual(['v1', ['hello-cluster']]);
      second.close();
    });
  });

  describe('SotW stream lifecycle', () => {
    it('reports open with the node and close; fails a request without type_url with INVALID_ARGUMENT', async () => {
      const events: string[] = [];
      const local = await startXdsServer({
        cache: new SnapshotCache(),
        callbacks: {
          onStreamOpen: (s) => events.push(`open ${s.node.id} ${s.protocol}`),
          onStreamClose: (s, e) => events.push(`close ${s.node.id}${e ? ' error' : ''}`),
        },
      }, transport);
      const ok = sotwStream(local.target);
      ok.send({ node: { id: 'lifecycle' }, type_url: CDS });
      await expect.poll(() => events).toEqual(['open lifecycle sotw']);
      ok.close();
      await expect.poll(() => events).toEqual(['open lifecycle sotw', 'close lifecycle']);

      const bad = sotwStream(local.target);
      bad.send({ node: { id: 'bad' } });
      await expect(bad.next()).rejects.toThrow(/WEFT_XDS_MISSING_TYPE_URL/);
      bad.close();
      await local.close();
    });
  });
});
