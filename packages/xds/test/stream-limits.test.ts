// Server-wide stream limits over real sockets: new streams over the admission rate wait their turn (requests held), and responses in flight are bounded without losing or reordering any.
import { TypeUrl } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotCache } from '../src/snapshot-cache.js';
import { helloSnapshot } from './resources.js';
import { names, sotwStream, startXdsServer, type RunningServer } from './server-harness.js';

let cache: SnapshotCache;
let server: RunningServer;

beforeAll(async () => {
  cache = new SnapshotCache();
  cache.setSnapshot('a', helloSnapshot('v1', [1]));
  cache.setSnapshot('b', helloSnapshot('v1', [1]));
  // One stream at once, then one every 2 s.
  server = await startXdsServer({ cache, maxNewStreamsPerSecond: 0.5 });
});

afterAll(() => server.close());

describe('stream admission (maxNewStreamsPerSecond)', () => {
  it('answers the first stream at once and holds the next one until its turn, then answers it', async () => {
    const first = sotwStream(server.target);
    let second: ReturnType<typeof sotwStream> | undefined;
    try {
      first.send({ node: { id: 'a' }, type_url: TypeUrl.Cluster });
      const r1 = await first.next();
      expect(names(r1)).toEqual(['hello-cluster']);
      second = sotwStream(server.target);
      second.send({ node: { id: 'b' }, type_url: TypeUrl.Cluster });
      await expect.poll(() => server.xds.waitingStreams()).toBe(1);
      // Its request was held, not dropped: it is answered once admitted.
      const r2 = await second.next(5_000);
      expect(names(r2)).toEqual(['hello-cluster']);
      expect(server.xds.waitingStreams()).toBe(0);
    } finally {
      first.close();
      second?.close();
    }
  });
});

describe('write throttle (maxConcurrentWrites)', () => {
  it('with one write in flight at a time, every stream still gets every response, in order', async () => {
    const c = new SnapshotCache();
    const s = await startXdsServer({ cache: c, maxConcurrentWrites: 1 });
    const streams = Array.from({ length: 6 }, () => sotwStream(s.target));
    try {
      for (const [i, st] of streams.entries()) {
        c.setSnapshot(`n${i}`, helloSnapshot('v1', [1]));
        st.send({ node: { id: `n${i}` }, type_url: TypeUrl.Cluster });
        st.send({ type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['hello-cluster'] });
      }
      for (const st of streams) {
        const first = await st.next();
        const second = await st.next();
        // CDS before EDS on every stream, as sent.
        expect([first.type_url, second.type_url]).toEqual([TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment]);
      }
    } finally {
      for (const st of streams) st.close();
      await s.close();
    }
  });
});
