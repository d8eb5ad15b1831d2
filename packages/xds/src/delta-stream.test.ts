import { TypeUrl } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { endpoints } from '../test/resources.js';
import { deltaHarness, recordingCallbacks, tick } from '../test/stream-harness.js';
import { LinearCache } from './linear-cache.js';
import { SnapshotCache } from './snapshot-cache.js';
import { Snapshot } from './snapshot.js';

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

  it('applies subscription changes from a request with a stale nonce', async () => {
    const cache = edsCache('a', 'b');
    const h = deltaHarness(cache);
    h.send({ node: NODE, type_url: EDS, resource_names_subscribe: ['a'] });
    await tick();
    h.send({ type_url: EDS, response_nonce: 'old', resource_names_subscribe: ['b'] });
    await tick();
    expect(h.written.map((w) => w.resources.map((r) => r.name))).toEqual([['a'], ['b']]);
  });
});
