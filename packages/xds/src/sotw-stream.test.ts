import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { edsCluster, endpoints, helloSnapshot } from '../test/resources.js';
import { recordingCallbacks, sotwHarness, tick } from '../test/stream-harness.js';
import type { ConfigWatcher, SotwResponse, SotwWatchState } from './config-watcher.js';
import { SnapshotCache } from './snapshot-cache.js';
import { Snapshot } from './snapshot.js';

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;
const LDS = TypeUrl.Listener;
const RDS = TypeUrl.RouteConfiguration;
const NODE = { id: 'n1', cluster: 'c' };

describe('SotwStream', () => {
  it('sends, then answers the next version only after the ACK opens a new watch', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', helloSnapshot('v1', [1]));
    const rec = recordingCallbacks();
    const h = sotwHarness(cache, rec.callbacks);
    h.send({ node: NODE, type_url: CDS });
    await tick();
    expect(h.written.map((w) => [w.version_info, w.nonce, w.resources.map((r) => r.name)])).toEqual([['v1', '1', ['hello-cluster']]]);
    cache.setSnapshot('n1', helloSnapshot('v2', [1]));
    await tick();
    expect(h.written).toHaveLength(1);
    h.send({ type_url: CDS, version_info: 'v1', response_nonce: '1' });
    await tick();
    expect(h.written.map((w) => [w.version_info, w.nonce])).toEqual([
      ['v1', '1'],
      ['v2', '2'],
    ]);
    expect(rec.events.filter((e) => e.hook === 'ack').map((e) => e.args[0])).toEqual([{ typeUrl: CDS, version: 'v1', nonce: '1' }]);
    expect(h.stream.status()?.types).toEqual([{ typeUrl: CDS, sentVersion: 'v2', sentNonce: '2', ackedVersion: 'v1', ackedNonce: '1' }]);
  });

  it('keeps a NACK with its error and rejected version, does not resend, and delivers the next snapshot', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', helloSnapshot('v1', [1]));
    const rec = recordingCallbacks();
    const h = sotwHarness(cache, rec.callbacks);
    h.send({ node: NODE, type_url: CDS });
    await tick();
    h.send({ type_url: CDS, version_info: '', response_nonce: '1', error_detail: { code: 3, message: 'bad cluster' } });
    await tick();
    expect(h.written).toHaveLength(1);
    const nack = { typeUrl: CDS, rejectedVersion: 'v1', lastGoodVersion: '', nonce: '1', errorDetail: { code: 3, message: 'bad cluster' } };
    expect(rec.events.filter((e) => e.hook === 'nack').map((e) => e.args[0])).toEqual([nack]);
    expect(h.stream.status()?.types[0]).toMatchObject({ ackedVersion: '', lastNack: { rejectedVersion: 'v1', errorDetail: nack.errorDetail } });
    cache.setSnapshot('n1', helloSnapshot('v2', [1]));
    await tick();
    expect(h.written.map((w) => w.version_info)).toEqual(['v1', 'v2']);
  });

  it('ignores a request carrying a stale nonce', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', helloSnapshot('v1', [1]));
    const rec = recordingCallbacks();
    const h = sotwHarness(cache, rec.callbacks);
    h.send({ node: NODE, type_url: EDS, resource_names: ['hello-cluster'] });
    await tick();
    h.send({ type_url: EDS, version_info: 'v1', resource_names: ['hello-cluster'], response_nonce: '1' });
    cache.setSnapshot('n1', helloSnapshot('v2', [2]));
    await tick();
    expect(h.written.map((w) => w.nonce)).toEqual(['1', '2']);
    // Answers nonce 1 while nonce 2 is out: superseded, so no watch and no response.
    h.send({ type_url: EDS, version_info: 'v1', resource_names: ['hello-cluster', 'other'], response_nonce: '1' });
    cache.setSnapshot('n1', helloSnapshot('v3', [3]));
    await tick();
    expect(h.written.map((w) => w.nonce)).toEqual(['1', '2']);
    expect(rec.events.filter((e) => e.hook === 'request').map((e) => (e.args[0] as { kind: string }).kind)).toEqual(['initial', 'ack', 'stale']);
  });

  it('sends one update in push order even when the cache answers in another order', async () => {
    const pending: Array<{ typeUrl: string; respond: (r: SotwResponse) => void }> = [];
    const watcher: ConfigWatcher = {
      createWatch: (req, _state: SotwWatchState, respond) => {
        pending.push({ typeUrl: req.typeUrl, respond });
        return () => undefined;
      },
    };
    const h = sotwHarness(watcher);
    for (const t of [RDS, LDS, EDS, CDS]) h.send({ node: NODE, type_url: t });
    for (const p of pending.reverse()) p.respond({ typeUrl: p.typeUrl, version: 'v1', resources: [] });
    for (const p of pending.reverse()) p.respond({ typeUrl: p.typeUrl, version: 'v1', resources: [] });
    await tick();
    expect(h.written.map((w) => w.type_url)).toEqual([CDS, EDS, LDS, RDS]);
  });

  it('sends only the changed ClusterLoadAssignments (EDS may be partial in SotW), and all of them again to a new subscriber', async () => {
    const snap = (version: string, aPort: number, bPort: number) =>
      Snapshot.create({ version, resources: { [CDS]: [edsCluster('a'), edsCluster('b')], [EDS]: [endpoints('a', [aPort]), endpoints('b', [bPort])] } });
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', snap('v1', 1, 1));
    const h = sotwHarness(cache);
    const names = (i: number) => h.written[i]?.resources.map((r) => r.name);
    h.send({ node: NODE, type_url: EDS, resource_names: ['a', 'b'] });
    await tick();
    expect(names(0)).toEqual(['a', 'b']);
    h.send({ type_url: EDS, version_info: 'v1', resource_names: ['a', 'b'], response_nonce: '1' });
    cache.setSnapshot('n1', snap('v2', 1, 2));
    await tick();
    expect(h.written.map((w) => w.version_info)).toEqual(['v1', 'v2']);
    expect(names(1)).toEqual(['b']);
    // A new version whose subscribed resources are all unchanged sends nothing.
    h.send({ type_url: EDS, version_info: 'v2', resource_names: ['a', 'b'], response_nonce: '2' });
    cache.setSnapshot('n1', Snapshot.create({ version: 'v3', resources: { [CDS]: [edsCluster('a'), edsCluster('b'), edsCluster('c')], [EDS]: [endpoints('a', [1]), endpoints('b', [2]), endpoints('c', [3])] } }));
    await tick();
    expect(h.written).toHaveLength(2);
    // Subscribing to one more sends just that one; after unsubscribing and resubscribing, it is sent again.
    h.send({ type_url: EDS, version_info: 'v2', resource_names: ['a', 'b', 'c'], response_nonce: '2' });
    await tick();
    expect(names(2)).toEqual(['c']);
    h.send({ type_url: EDS, version_info: 'v3', resource_names: ['a', 'b'], response_nonce: '3' });
    h.send({ type_url: EDS, version_info: 'v3', resource_names: ['a', 'b', 'c'], response_nonce: '3' });
    await tick();
    expect(names(3)).toEqual(['c']);
    // Another stream gets the full set.
    const fresh = sotwHarness(cache);
    fresh.send({ node: NODE, type_url: EDS, resource_names: ['a', 'b', 'c'] });
    await tick();
    expect(fresh.written[0]?.resources.map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });

  it('keeps CDS complete in every response', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', Snapshot.create({ version: 'v1', resources: { [CDS]: [edsCluster('a'), edsCluster('b')] } }));
    const h = sotwHarness(cache);
    h.send({ node: NODE, type_url: CDS });
    await tick();
    h.send({ type_url: CDS, version_info: 'v1', response_nonce: '1' });
    cache.setSnapshot('n1', Snapshot.create({ version: 'v2', resources: { [CDS]: [edsCluster('a'), edsCluster('b', 'b-service')] } }));
    await tick();
    expect(h.written.map((w) => w.resources.map((r) => r.name))).toEqual([['a', 'b'], ['a', 'b']]);
  });

  it('shows a NACKed EDS response as NACKED with its error_detail per resource, and REQUESTED for a name it has not', async () => {
    const snap = (version: string, aPort: number, bPort: number) =>
      Snapshot.create({ version, resources: { [CDS]: [edsCluster('a'), edsCluster('b')], [EDS]: [endpoints('a', [aPort]), endpoints('b', [bPort])] } });
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', snap('v1', 1, 1));
    const h = sotwHarness(cache);
    const state = () => h.stream.status()?.resourceStatus(EDS)[0]?.resources.map((s) => [s.name, s.status, s.nonce, s.error?.message ?? '']);
    h.send({ node: NODE, type_url: EDS, resource_names: ['a', 'b', 'missing'] });
    await tick();
    expect(state()).toEqual([
      ['a', 'SENT', '1', ''],
      ['b', 'SENT', '1', ''],
      ['missing', 'REQUESTED', '', ''],
    ]);
    h.send({ type_url: EDS, version_info: '', resource_names: ['a', 'b', 'missing'], response_nonce: '1', error_detail: { code: 3, message: 'bad endpoint' } });
    await tick();
    const [a] = h.stream.status()?.resourceStatus(EDS)[0]?.resources ?? [];
    expect(a).toEqual({ name: 'a', version: endpoints('a', [1]).version, status: 'NACKED', error: { code: 3, message: 'bad endpoint' }, nonce: '1' });
    expect(state()?.map((s) => s[1])).toEqual(['NACKED', 'NACKED', 'REQUESTED']);
    // Only b changes: the response carrying it is ACKed, a keeps its NACK (it was not resent).
    cache.setSnapshot('n1', snap('v2', 1, 2));
    await tick();
    expect(h.written.map((w) => w.resources.map((r) => r.name))).toEqual([['a', 'b'], ['b']]);
    h.send({ type_url: EDS, version_info: 'v2', resource_names: ['a', 'b', 'missing'], response_nonce: '2' });
    await tick();
    expect(state()).toEqual([
      ['a', 'NACKED', '1', 'bad endpoint'],
      ['b', 'ACKED', '2', ''],
      ['missing', 'REQUESTED', '', ''],
    ]);
    cache.setSnapshot('n1', snap('v3', 3, 2));
    await tick();
    h.send({ type_url: EDS, version_info: 'v3', resource_names: ['a', 'b'], response_nonce: '3' });
    await tick();
    expect(state()).toEqual([
      ['a', 'ACKED', '3', ''],
      ['b', 'ACKED', '3', ''],
    ]);
    // One type or all: CDS was never requested on this stream.
    expect(h.stream.status()?.resourceStatus().map((t) => t.typeUrl)).toEqual([EDS]);
    expect(h.stream.status()?.resourceStatus(CDS)).toEqual([]);
  });

  it('shows a NACKed CDS response as NACKED, an ACK as ACKED, and a cluster dropped from the next response as removed', async () => {
    const v1 = [edsCluster('a'), edsCluster('b')];
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', Snapshot.create({ version: 'v1', resources: { [CDS]: v1 } }));
    const h = sotwHarness(cache);
    const resources = () => h.stream.status()?.resourceStatus(CDS)[0]?.resources;
    h.send({ node: NODE, type_url: CDS });
    await tick();
    h.send({ type_url: CDS, version_info: '', response_nonce: '1', error_detail: { code: 3, message: 'bad cluster' } });
    await tick();
    const error = { code: 3, message: 'bad cluster' };
    expect(resources()).toEqual([
      { name: 'a', version: v1[0]?.version, status: 'NACKED', error, nonce: '1' },
      { name: 'b', version: v1[1]?.version, status: 'NACKED', error, nonce: '1' },
    ]);
    const b2 = edsCluster('b', 'b-service');
    cache.setSnapshot('n1', Snapshot.create({ version: 'v2', resources: { [CDS]: [edsCluster('a'), b2] } }));
    await tick();
    expect(resources()?.map((s) => s.status)).toEqual(['SENT', 'SENT']);
    h.send({ type_url: CDS, version_info: 'v2', response_nonce: '2' });
    await tick();
    expect(resources()).toEqual([
      { name: 'a', version: v1[0]?.version, status: 'ACKED', ackedVersion: v1[0]?.version, nonce: '2' },
      { name: 'b', version: b2.version, status: 'ACKED', ackedVersion: b2.version, nonce: '2' },
    ]);
    cache.setSnapshot('n1', Snapshot.create({ version: 'v3', resources: { [CDS]: [edsCluster('a')] } }));
    await tick();
    h.send({ type_url: CDS, version_info: 'v2', response_nonce: '3', error_detail: { code: 3, message: 'no' } });
    await tick();
    expect(resources()).toEqual([
      { name: 'a', version: v1[0]?.version, status: 'ACKED', ackedVersion: v1[0]?.version, nonce: '2' },
      { name: 'b', version: '', status: 'NACKED', error: { code: 3, message: 'no' }, ackedVersion: b2.version, nonce: '3', removed: true },
    ]);
  });

  it('takes the node from the first request and keeps it when later requests omit it', async () => {
    const nodes: string[] = [];
    const watcher: ConfigWatcher = {
      createWatch: (req) => {
        nodes.push(req.node.id);
        return () => undefined;
      },
    };
    const h = sotwHarness(watcher);
    h.send({ node: NODE, type_url: CDS });
    h.send({ type_url: LDS });
    expect(nodes).toEqual(['n1', 'n1']);
  });

  it('fails the stream on a request without type_url', () => {
    const h = sotwHarness(new SnapshotCache());
    h.send({ node: NODE });
    expect(h.failures.map((f) => f.code)).toEqual(['WEFT_XDS_MISSING_TYPE_URL']);
    expect(h.stream.isClosed).toBe(true);
  });

  it('cancels its watches and reports the close', () => {
    const cache = new SnapshotCache();
    const rec = recordingCallbacks();
    const h = sotwHarness(cache, rec.callbacks);
    h.send({ node: NODE, type_url: CDS });
    h.send({ type_url: LDS });
    expect(cache.watchCount()).toBe(2);
    h.stream.close();
    expect(cache.watchCount()).toBe(0);
    expect(rec.events.map((e) => e.hook)).toEqual(['open', 'request', 'request', 'close']);
  });
});
