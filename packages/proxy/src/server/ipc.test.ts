import { loadProtoRegistry, TypeUrl } from '@weft/api';
import { accept, reject, type ResourceUpdate } from '@weft/xds';
import { describe, expect, it } from 'vitest';
import { StatStore } from '../stats/stat-store.js';
import { AdsRelay } from './ads-relay.js';
import { decodeUpdate, encodeUpdate, histogramStatistics, snapshotOf } from './ipc.js';

const registry = loadProtoRegistry();

function update(typeUrl: string, values: Record<string, unknown>[], removed: string[] = []): ResourceUpdate {
  return { typeUrl, protocol: 'sotw', version: 'v1', nonce: 'n', resources: values.map((value) => ({ name: String(value.name ?? value.cluster_name), version: 'v1', value })), removed };
}

describe('worker IPC', () => {
  it('hands resources over as encoded bytes that decode to the same messages and names', () => {
    const cluster = registry.decode('envoy.config.cluster.v3.Cluster', registry.encode('envoy.config.cluster.v3.Cluster', { name: 'web', type: 'STATIC', connect_timeout: { seconds: 2 } }));
    const u = update(TypeUrl.Cluster, [cluster], ['gone']);
    const message = encodeUpdate(registry, u, u.resources);
    expect(JSON.parse(JSON.stringify(message))).toEqual(message);
    const back = decodeUpdate(registry, message);
    expect(back.resources.map((r) => r.name)).toEqual(['web']);
    expect(back.resources[0]?.value).toEqual(cluster);
    expect(back.removed).toEqual(['gone']);
  });

  it('names endpoint assignments by cluster_name', () => {
    const cla = { cluster_name: 'web', endpoints: [] };
    const u = update(TypeUrl.ClusterLoadAssignment, [cla]);
    expect(decodeUpdate(registry, encodeUpdate(registry, u, u.resources)).resources.map((r) => r.name)).toEqual(['web']);
  });

  it('snapshots counters and gauges with their import mode', () => {
    const stats = new StatStore();
    stats.counter('a').add(3);
    stats.gauge('b', 'NeverImport').set(2);
    expect(snapshotOf(stats)).toEqual({ counters: [['a', 3]], gauges: [['b', 2, 'NeverImport']], histograms: [] });
  });

  it('snapshots histograms through JSON (no samples: the extremes come back NaN) so the primary can merge them', () => {
    const stats = new StatStore();
    stats.histogram('empty', 'Milliseconds');
    const h = stats.histogram('rq_time', 'Milliseconds');
    h.record(3);
    h.record(700);
    stats.mergeHistograms();
    h.record(40);
    const wire = JSON.parse(JSON.stringify(snapshotOf(stats))) as ReturnType<typeof snapshotOf>;
    const [empty, rq] = wire.histograms;
    expect(Number.isNaN(histogramStatistics(empty!.cumulative).min)).toBe(true);
    expect(rq?.unit).toBe('Milliseconds');
    expect(histogramStatistics(rq!.cumulative)).toMatchObject({ count: 3, sum: 743, min: 3, max: 700 });
    expect(rq?.interval).toMatchObject({ count: 2, sum: 703 });
  });

  it('carries the shared-counts slot of each CDS resource, and none for names without one', () => {
    const u = update(TypeUrl.Cluster, [{ name: 'a' }, { name: 'b' }]);
    const message = encodeUpdate(registry, u, u.resources, (name) => (name === 'a' ? 7 : undefined));
    expect(message.slots).toEqual([['a', 7]]);
    expect(encodeUpdate(registry, u, u.resources).slots).toBeUndefined();
  });
});

describe('AdsRelay', () => {
  it('applies handed-over updates in arrival order, even when a handler is slow, and reports verdicts', async () => {
    const relay = new AdsRelay();
    const seen: string[] = [];
    relay.subscribe(TypeUrl.Cluster, async (u) => {
      await new Promise((r) => setTimeout(r, 20));
      seen.push(`cds:${u.version}`);
      return accept();
    });
    relay.subscribe(TypeUrl.Listener, (u) => {
      seen.push(`lds:${u.version}`);
      return reject('bad');
    });
    const events: boolean[] = [];
    relay.on('update', (_u, v) => events.push(v.accepted));
    const a = relay.deliver(update(TypeUrl.Cluster, []));
    const b = relay.deliver(update(TypeUrl.Listener, []));
    expect(await a).toEqual(accept());
    expect((await b).accepted).toBe(false);
    expect(seen).toEqual(['cds:v1', 'lds:v1']);
    expect(events).toEqual([true, false]);
    expect((await relay.deliver(update(TypeUrl.RouteConfiguration, []))).accepted).toBe(false);
  });

  it('runs a task queued after an update only once that update is applied, and wraps the handler in before/after', async () => {
    const relay = new AdsRelay();
    const seen: string[] = [];
    relay.subscribe(TypeUrl.ClusterLoadAssignment, async () => {
      await new Promise((r) => setTimeout(r, 20));
      seen.push('eds');
      return accept();
    });
    const applied = relay.deliver(update(TypeUrl.ClusterLoadAssignment, []), { before: () => seen.push('before'), after: () => seen.push('after') });
    const task = relay.enqueue(() => seen.push('health'));
    await Promise.all([applied, task]);
    expect(seen).toEqual(['before', 'eds', 'after', 'health']);
  });
});
