// Responses shared across streams over real sockets: one nonce and one encoding for the same content,
// and nonces that stay unique within each stream.
import { TypeUrl } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotCache } from '../src/snapshot-cache.js';
import { Snapshot } from '../src/snapshot.js';
import { edsCluster, endpoints } from './resources.js';
import { deltaStream, names, sotwStream, startXdsServer, type RunningServer } from './server-harness.js';

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;

let cache: SnapshotCache;
let server: RunningServer;

beforeAll(async () => {
  cache = new SnapshotCache();
  server = await startXdsServer({ cache });
});

afterAll(() => server.close());

const snapshot = (version: string, clusters: string[]) =>
  Snapshot.create({ version, resources: { [CDS]: clusters.map((c) => edsCluster(c)), [EDS]: clusters.map((c) => endpoints(c, [1])) } });

describe('responses shared across streams', () => {
  it('SotW: streams getting the same content get one nonce; a stream never sees a nonce twice', async () => {
    const s1 = snapshot('s1', ['a', 'b']);
    cache.setSnapshot('share-1', s1);
    cache.setSnapshot('share-2', s1);
    const one = sotwStream(server.target);
    const two = sotwStream(server.target);
    one.send({ node: { id: 'share-1' }, type_url: CDS });
    two.send({ node: { id: 'share-2' }, type_url: CDS });
    const [r1, r2] = await Promise.all([one.next(), two.next()]);
    expect(names(r1)).toEqual(['a', 'b']);
    expect(r2.nonce).toBe(r1.nonce);
    expect(r2).toEqual(r1);
    one.send({ type_url: CDS, version_info: 's1', response_nonce: r1.nonce });
    two.send({ type_url: CDS, version_info: 's1', response_nonce: r2.nonce });

    // Stream one moves on, then back to the content stream two still holds: its nonce for that
    // content is new (the shared one is older than what it sent since), and the ACKs still match.
    cache.setSnapshot('share-1', snapshot('s2', ['a']));
    const r3 = await one.next();
    expect(names(r3)).toEqual(['a']);
    one.send({ type_url: CDS, version_info: 's2', response_nonce: r3.nonce });
    cache.setSnapshot('share-1', s1);
    const r4 = await one.next();
    expect(names(r4)).toEqual(['a', 'b']);
    expect(new Set([r1.nonce, r3.nonce, r4.nonce]).size).toBe(3);
    one.send({ type_url: CDS, version_info: 's1', response_nonce: r4.nonce });
    const status = (id: string) => server.xds.connections().find((c) => c.stream.node.id === id)?.types.find((t) => t.typeUrl === CDS);
    await expect.poll(() => status('share-1')?.ackedNonce).toBe(r4.nonce);
    await expect.poll(() => status('share-2')?.ackedNonce).toBe(r1.nonce);

    // A third stream joining now shares stream one's latest nonce for that content.
    cache.setSnapshot('share-3', s1);
    const three = sotwStream(server.target);
    three.send({ node: { id: 'share-3' }, type_url: CDS });
    expect((await three.next()).nonce).toBe(r4.nonce);
    for (const s of [one, two, three]) s.close();
  });

  it('Delta: the same changes to two streams are one response', async () => {
    const s = snapshot('d1', ['x', 'y']);
    cache.setSnapshot('delta-1', s);
    cache.setSnapshot('delta-2', s);
    const one = deltaStream(server.target);
    const two = deltaStream(server.target);
    for (const [stream, id] of [[one, 'delta-1'], [two, 'delta-2']] as const) {
      stream.send({ node: { id }, type_url: EDS, resource_names_subscribe: ['x', 'y'] });
    }
    const [r1, r2] = await Promise.all([one.next(), two.next()]);
    expect(r1.resources.map((r) => r.name).sort()).toEqual(['x', 'y']);
    expect(r2.nonce).toBe(r1.nonce);
    expect(r2).toEqual(r1);
    // Different subscriptions: different content, different nonces.
    const three = deltaStream(server.target);
    cache.setSnapshot('delta-3', s);
    three.send({ node: { id: 'delta-3' }, type_url: EDS, resource_names_subscribe: ['x'] });
    const r3 = await three.next();
    expect(r3.resources.map((r) => r.name)).toEqual(['x']);
    expect(r3.nonce).not.toBe(r1.nonce);
    for (const x of [one, two, three]) x.close();
  });
});
