import { describe, expect, it } from 'vitest';
import { StatStore } from './stat-store.js';
import { quantileSummary, statsAsJson, statsAsText } from './text-format.js';

const WEB = 'cluster.outbound|80|v1|web.default.svc.cluster.local';

function store(): StatStore {
  const s = new StatStore();
  s.counter(`${WEB}.upstream_rq_total`).add(3);
  s.gauge('server.live', 'NeverImport').set(1);
  s.counter('listener.0.0.0.0_15001.downstream_cx_total').add(2);
  s.gauge(`${WEB}.upstream_cx_active`).set(1);
  s.counter('cluster_manager.cds.update_attempt');
  const h = s.histogram(`${WEB}.upstream_rq_time`, 'Milliseconds');
  for (let v = 1; v <= 10; v++) h.record(v);
  s.histogram('http.0.0.0.0_80.downstream_rq_time', 'Milliseconds');
  return s;
}

describe('statsAsText (/stats)', () => {
  it('prints counters and gauges together sorted by name, then histograms', () => {
    const lines = statsAsText(store()).trimEnd().split('\n');
    expect(lines.slice(0, 5)).toEqual([
      `${WEB}.upstream_cx_active: 1`,
      `${WEB}.upstream_rq_total: 3`,
      'cluster_manager.cds.update_attempt: 0',
      'listener.0.0.0.0_15001.downstream_cx_total: 2',
      'server.live: 1',
    ]);
    expect(lines[5]).toMatch(new RegExp(`^${escape(WEB)}\\.upstream_rq_time: P0\\(nan,1\\) P25\\(nan,[\\d.]+\\) P50`));
    expect(lines[6]).toBe('http.0.0.0.0_80.downstream_rq_time: No recorded values');
    expect(lines).toHaveLength(7);
  });

  it('usedonly hides stats never written; filter keeps regex matches', () => {
    expect(statsAsText(store(), { usedOnly: true })).not.toContain('update_attempt');
    expect(statsAsText(store(), { usedOnly: true })).not.toContain('downstream_rq_time');
    expect(statsAsText(store(), { filter: /^server\./ })).toBe('server.live: 1\n');
  });

  it('summarizes a histogram with the ten supported quantiles, interval first', () => {
    const s = new StatStore();
    const h = s.histogram('h');
    h.record(4);
    h.merge();
    const summary = quantileSummary(h);
    expect(summary.split(' ').map((p) => p.replace(/\(.*$/, ''))).toEqual(['P0', 'P25', 'P50', 'P75', 'P90', 'P95', 'P99', 'P99.5', 'P99.9', 'P100']);
    expect(summary).toMatch(/^P0\(4,4\) .* P100\(4,4\)$/);
  });
});

describe('statsAsJson (/stats?format=json)', () => {
  it('lists name/value pairs sorted, then one histograms entry with quantiles (null where undefined)', () => {
    const json = statsAsJson(store());
    expect(json.stats.slice(0, 5)).toEqual([
      { name: `${WEB}.upstream_cx_active`, value: 1 },
      { name: `${WEB}.upstream_rq_total`, value: 3 },
      { name: 'cluster_manager.cds.update_attempt', value: 0 },
      { name: 'listener.0.0.0.0_15001.downstream_cx_total', value: 2 },
      { name: 'server.live', value: 1 },
    ]);
    const last = json.stats[5];
    expect(last && 'histograms' in last ? last.histograms.supported_quantiles : undefined).toEqual([0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100]);
    const computed = last && 'histograms' in last ? last.histograms.computed_quantiles : [];
    expect(computed.map((c) => c.name)).toEqual([`${WEB}.upstream_rq_time`, 'http.0.0.0.0_80.downstream_rq_time']);
    expect(computed[0]?.values[0]).toEqual({ interval: null, cumulative: 1 });
    expect(computed[0]?.values[9]).toEqual({ interval: null, cumulative: 10 });
    expect(computed[1]?.values.every((v) => v.cumulative === null)).toBe(true);
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
  });

  it('has no histograms entry when no histogram is shown', () => {
    expect(statsAsJson(store(), { filter: /^server\./ })).toEqual({ stats: [{ name: 'server.live', value: 1 }] });
  });
});

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
