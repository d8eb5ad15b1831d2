// New streams over the admission rate wait their turn (their requests held), over real sockets.
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
