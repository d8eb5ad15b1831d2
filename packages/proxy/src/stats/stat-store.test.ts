import { describe, expect, it } from 'vitest';
import { Counter, Gauge, StatStore } from './stat-store.js';
import { compileStatsMatcher } from './stats-matcher.js';

const CLUSTER = 'cluster.outbound|80|v1|web.default.svc.cluster.local';

describe('StatStore', () => {
  it('returns the same object for the same name, so holders and the store agree', () => {
    const store = new StatStore();
    const a = store.counter(`${CLUSTER}.upstream_rq_total`);
    expect(store.counter(`${CLUSTER}.upstream_rq_total`)).toBe(a);
    expect(store.gauge('server.live')).toBe(store.gauge('server.live'));
    expect(store.histogram(`${CLUSTER}.upstream_rq_time`, 'Milliseconds')).toBe(store.histogram(`${CLUSTER}.upstream_rq_time`));
  });

  it('counters are cheap: the hot path bumps a field on an object it holds, with no lookup', () => {
    const store = new StatStore();
    const stats = { rqTotal: store.counter(`${CLUSTER}.upstream_rq_total`), rq2xx: store.counter(`${CLUSTER}.upstream_rq_2xx`) };
    for (let i = 0; i < 1000; i++) {
      stats.rqTotal.value++;
      stats.rq2xx.inc();
    }
    stats.rqTotal.add(5);
    expect([...store.counters()].map((c) => [c.name, c.value])).toEqual([
      [`${CLUSTER}.upstream_rq_total`, 1005],
      [`${CLUSTER}.upstream_rq_2xx`, 1000],
    ]);
    // The counter is a plain class with an own numeric field (a stable hidden class for V8).
    expect(Object.getOwnPropertyDescriptor(stats.rqTotal, 'value')).toMatchObject({ writable: true, value: 1005 });
  });

  it('creates stats at zero and unused', () => {
    const store = new StatStore();
    expect(store.counter('c')).toMatchObject({ value: 0, used: false });
    expect(store.gauge('g')).toMatchObject({ value: 0, used: false, importMode: 'Accumulate' });
    expect(store.histogram('h').used).toBe(false);
  });

  it('records the gauge import mode chosen by its creator', () => {
    const store = new StatStore();
    expect(store.gauge('server.live', 'NeverImport').importMode).toBe('NeverImport');
    expect(store.gauge('server.live', 'Accumulate').importMode).toBe('NeverImport');
  });

  it('gauges move both ways and become used', () => {
    const g = new Gauge(`${CLUSTER}.upstream_cx_active`);
    g.inc();
    g.inc();
    g.dec();
    g.add(10);
    g.sub(3);
    expect(g).toMatchObject({ value: 8, used: true });
    g.set(0);
    expect(g).toMatchObject({ value: 0, used: true });
  });

  it('latches counters for sinks: each latch returns the increase since the previous one', () => {
    const c = new Counter('c');
    c.add(5);
    expect(c.latch()).toBe(5);
    c.inc();
    expect(c.latch()).toBe(1);
    expect(c.latch()).toBe(0);
  });

  it('scopes join names with dots, like Envoy stat scopes', () => {
    const store = new StatStore();
    const cluster = store.scope(CLUSTER);
    cluster.counter('upstream_rq_total').inc();
    cluster.scope('circuit_breakers.default').gauge('cx_open').set(1);
    store.scope('listener.0.0.0.0_15001.').counter('downstream_cx_total').inc();
    expect([...store.counters()].map((c) => c.name)).toEqual([`${CLUSTER}.upstream_rq_total`, 'listener.0.0.0.0_15001.downstream_cx_total']);
    expect([...store.gauges()].map((g) => g.name)).toEqual([`${CLUSTER}.circuit_breakers.default.cx_open`]);
  });

  it('removes a scope when its cluster goes away; holders keep a working object', () => {
    const store = new StatStore();
    const held = store.counter(`${CLUSTER}.upstream_rq_total`);
    store.gauge(`${CLUSTER}.upstream_cx_active`);
    store.histogram(`${CLUSTER}.upstream_rq_time`);
    store.counter('cluster.outbound|80|v1|web2.default.svc.cluster.local.upstream_rq_total');
    expect(store.removeScope(CLUSTER)).toBe(3);
    held.inc();
    expect([...store.counters()].map((c) => c.name)).toEqual(['cluster.outbound|80|v1|web2.default.svc.cluster.local.upstream_rq_total']);
  });

  it('a stats matcher keeps rejected stats out of every listing but still hands out working objects', () => {
    const rejects = compileStatsMatcher({ inclusionList: [{ prefix: 'cluster_manager' }, { prefix: 'server' }, { prefix: 'cluster.xds-grpc' }] });
    if (typeof rejects !== 'function') throw new Error(JSON.stringify(rejects));
    const store = new StatStore({ rejects });
    store.counter('cluster.xds-grpc.upstream_rq_total').inc();
    const dropped = store.counter(`${CLUSTER}.upstream_rq_total`);
    dropped.inc();
    store.gauge('server.live').set(1);
    store.histogram(`${CLUSTER}.upstream_rq_time`).record(3);
    expect([...store.counters()].map((c) => c.name)).toEqual(['cluster.xds-grpc.upstream_rq_total']);
    expect([...store.gauges()].map((g) => g.name)).toEqual(['server.live']);
    expect([...store.histograms()]).toEqual([]);
    expect(dropped.value).toBe(1);
  });

  it('applies the first matching histogram bucket setting', () => {
    const store = new StatStore({ histogramBuckets: [{ match: (n) => n.endsWith('_rq_time'), buckets: [1, 10, 100] }] });
    expect(store.histogram(`${CLUSTER}.upstream_rq_time`).bounds).toEqual([1, 10, 100]);
    expect(store.histogram(`${CLUSTER}.upstream_cx_length_ms`).bounds).toHaveLength(19);
  });

  it('resets counters only', () => {
    const store = new StatStore();
    store.counter('c').add(3);
    store.gauge('g').set(4);
    store.resetCounters();
    expect(store.counter('c').value).toBe(0);
    expect(store.gauge('g').value).toBe(4);
  });

  it('extracts tags once per stat and caches them', () => {
    const store = new StatStore();
    const c = store.counter(`${CLUSTER}.upstream_rq_200`);
    const first = store.tagsOf(c);
    expect(store.tagsOf(c)).toBe(first);
    expect(first.extractedName).toBe('cluster.upstream_rq');
  });
});
