import { TypeUrl } from '@weft/api';
import { silentLogger } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { endpoints, node } from '../test/resources.js';
import { deltaHarness, deltaRequest, recordingCallbacks, sotwRequest, tick } from '../test/stream-harness.js';
import { DeltaStream } from './delta-stream.js';
import { LinearCache } from './linear-cache.js';
import { SharedResponses } from './shared-responses.js';
import { SnapshotCache } from './snapshot-cache.js';
import { Snapshot } from './snapshot.js';
import { SotwStream } from './sotw-stream.js';
import type { WireDeltaDiscoveryResponse, WireDiscoveryResponse } from './wire-codec.js';

const EDS = TypeUrl.ClusterLoadAssignment;
const NODE = { id: 'n1' };

function edsCache(...names: string[]): LinearCache {
  return new LinearCache({ typeUrl: EDS, initial: names.map((n) => endpoints(n, [1])) });
}

describe('DeltaStream', () => {
  it('sends subscribed resources, then only changes after the ACK', async () => {
    const cache = edsCache('a', 'b', 'c');
    const h = deltaHarness(cache);
    h.send({ node: NODE, type_url: EDS, resource_names_subscribe: ['a', 'b'] });
    await tick();
    expect(h.written.map((w) => w.resources.map((r) => r.name))).toEqual([['a', 'b']]);
    h.send({ type_url: EDS, response_nonce: '1' });
    cache.updateResource(endpoints('c', [2]));
    cache.updateResource(endpoints('b', [2]));
    await tick();
    expect(h.written.map((w) => w.resources.map((r) => r.name))).toEqual([['a', 'b'], ['b']]);
  });

  it('unsubscribes, and resends a name subscribed again', async () => {
    const cache = edsCache('a', 'b');
    const h = deltaHarness(cache);
    h.send({ node: NODE, type_url: EDS, resource_names_subscribe: ['a', 'b'] });
    await tick();
    h.send({ type_url: EDS, response_nonce: '1', resource_names_unsubscribe: ['b'] });
    cache.updateResource(endpoints('b', [2]));
    await tick();
    expect(h.written).toHaveLength(1);
    h.send({ type_url: EDS, resource_names_subscribe: ['a'] });
    await tick();
    expect(h.written.map((w) => w.resources.map((r) => r.name))).toEqual([['a', 'b'], ['a']]);
  });

  it('sends removed_resources when a held resource disappears', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', Snapshot.create({ version: 'v1', resources: { [EDS]: [endpoints('a', [1]), endpoints('b', [1])] } }));
    const h = deltaHarness(cache);
    h.send({ node: NODE, type_url: EDS, resource_names_subscribe: ['*'] });
    await tick();
    h.send({ type_url: EDS, response_nonce: '1' });
    cache.setSnapshot('n1', Snapshot.create({ version: 'v2', resources: { [EDS]: [endpoints('a', [1])] } }));
    await tick();
    expect(h.written.map((w) => [w.resources.map((r) => r.name), w.removed_resources])).toEqual([
      [['a', 'b'], []],
      [[], ['b']],
    ]);
  });

  it('does not resend what initial_resource_versions says the client already holds', async () => {
    const a = endpoints('a', [1]);
    const cache = new LinearCache({ typeUrl: EDS, initial: [a, endpoints('b', [1])] });
    const h = deltaHarness(cache);
    h.send({ node: NODE, type_url: EDS, resource_names_subscribe: ['a', 'b'], initial_resource_versions: { a: a.version, b: 'stale' } });
    await tick();
    expect(h.written.map((w) => w.resources.map((r) => r.name))).toEqual([['b']]);
  });

  it('records ACK and NACK per type and keeps sent versions after a NACK', async () => {
    const cache = edsCache('a');
    const rec = recordingCallbacks();
    const h = deltaHarness(cache, rec.callbacks);
    h.send({ node: NODE, type_url: EDS, resource_names_subscribe: ['a'] });
    await tick();
    h.send({ type_url: EDS, response_nonce: '1', error_detail: { code: 3, message: 'nope' } });
    await tick();
    expect(h.written).toHaveLength(1);
    expect(rec.events.filter((e) => e.hook === 'nack').map((e) => e.args[0])).toMatchObject([{ nonce: '1', errorDetail: { message: 'nope' } }]);
    cache.updateResource(endpoints('a', [2]));
    await tick();
    h.send({ type_url: EDS, response_nonce: '2' });
    expect(h.written).toHaveLength(2);
    expect(rec.events.filter((e) => e.hook === 'ack').map((e) => e.args[0])).toMatchObject([{ nonce: '2' }]);
  });

  it('shows per-resource NACKED with the error_detail, ACKED after an ACK, removals and unsubscribes', async () => {
    const cache = edsCache('a', 'b', 'c');
    const h = deltaHarness(cache);
    const state = () => h.stream.status()?.resourceStatus(EDS)[0]?.resources.map((s) => [s.name, s.status, s.nonce, ...(s.removed ? ['removed'] : [])]);
    h.send({ node: NODE, type_url: EDS, resource_names_subscribe: ['a', 'b', 'c'] });
    await tick();
    expect(state()).toEqual([
      ['a', 'SENT', '1'],
      ['b', 'SENT', '1'],
      ['c', 'SENT', '1'],
    ]);
    h.send({ type_url: EDS, response_nonce: '1', error_detail: { code: 3, message: 'nope' } });
    await tick();
    expect(h.stream.status()?.resourceStatus(EDS)[0]?.resources[0]).toEqual({ name: 'a', version: endpoints('a', [1]).version, status: 'NACKED', error: { code: 3, message: 'nope' }, nonce: '1' });
    const a2 = endpoints('a', [2]);
    cache.updateResource(a2);
    await tick();
    h.send({ type_url: EDS, response_nonce: '2' });
    expect(h.stream.status()?.resourceStatus(EDS)[0]?.resources[0]).toEqual({ name: 'a', version: a2.version, status: 'ACKED', ackedVersion: a2.version, nonce: '2' });
    expect(state()?.map((s) => s[1])).toEqual(['ACKED', 'NACKED', 'NACKED']);
    // A removal is SENT, then (ACKed) gone; still subscribed, the name is REQUESTED.
    cache.deleteResource('c');
    await tick();
    expect(h.written.at(-1)?.removed_resources).toEqual(['c']);
    expect(state()).toEqual([
      ['a', 'ACKED', '2'],
      ['b', 'NACKED', '1'],
      ['c', 'SENT', '3', 'removed'],
    ]);
    h.send({ type_url: EDS, response_nonce: '3' });
    expect(state()).toEqual([
      ['a', 'ACKED', '3'],
      ['b', 'NACKED', '1'],
      ['c', 'REQUESTED', ''],
    ]);
    // A NACKed removal stays (the client may still hold it) until the name is unsubscribed.
    cache.deleteResource('a');
    await tick();
    h.send({ type_url: EDS, response_nonce: '4', error_detail: { code: 3, message: 'keep it' } });
    expect(state()).toEqual([
      ['a', 'NACKED', '4', 'removed'],
      ['b', 'NACKED', '1'],
      ['c', 'REQUESTED', ''],
    ]);
    h.send({ type_url: EDS, resource_names_unsubscribe: ['a', 'b', 'c'] });
    await tick();
    expect(state()).toEqual([]);
  });

  it('applies subscription changes from a request with a stale nonce', async () => {
    const cache = edsCache('a', 'b');
    const h = deltaHarness(cache);
    h.send({ node: NODE, type_url: EDS, resource_names_subscribe: ['a'] });
    await tick();
    h.send({ type_url: EDS, response_nonce: 'old', resource_names_subscribe: ['b'] });
    await tick();
    expect(h.written.map((w) => w.resources.map((r) => r.name))).toEqual([['a'], ['b']]);
  });

  it('never shares a SotW response’s encoding, even for the same content and version', async () => {
    const cache = new SnapshotCache();
    cache.setSnapshot('n1', Snapshot.create({ version: 'v1', resources: { [EDS]: [endpoints('a', [1])] } }));
    const ctx = { id: 1, peer: 'test', callbacks: {}, log: silentLogger(), emptyNode: node(''), responses: new SharedResponses() };
    const sotw: WireDiscoveryResponse[] = [];
    const delta: WireDeltaDiscoveryResponse[] = [];
    const fail = () => undefined;
    new SotwStream(ctx, cache, { write: (r) => sotw.push(r), fail }).handleRequest(sotwRequest({ node: NODE, type_url: EDS, resource_names: ['a'] }));
    new DeltaStream({ ...ctx, id: 2 }, cache, { write: (r) => delta.push(r), fail }).handleRequest(deltaRequest({ node: NODE, type_url: EDS, resource_names_subscribe: ['a'] }));
    await tick();
    expect(sotw).toHaveLength(1);
    expect(delta).toHaveLength(1);
    expect(delta[0]?.shared).toBeDefined();
    expect(delta[0]?.shared).not.toBe(sotw[0]?.shared);
  });
});
