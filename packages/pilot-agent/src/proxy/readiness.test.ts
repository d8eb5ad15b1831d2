import { describe, expect, it } from 'vitest';
import { CDS_SUCCESS, LDS_SUCCESS, parseStatsText, readiness, type ProxyObservation } from './readiness.js';

const counters = (cds: number, lds: number) => new Map([[CDS_SUCCESS, cds], [LDS_SUCCESS, lds]]);
const live: ProxyObservation = { draining: false, running: true, state: 'LIVE', stats: counters(1, 1) };

describe('readiness', () => {
  it.each<[string, ProxyObservation, boolean, RegExp]>([
    ['LIVE with CDS and LDS applied', live, true, /^ready$/],
    ['draining', { ...live, draining: true }, false, /draining/],
    ['proxy not running', { ...live, running: false }, false, /not running/],
    ['admin API down', { draining: false, running: true, adminError: 'ECONNREFUSED' }, false, /unreachable: ECONNREFUSED/],
    ['still INITIALIZING', { ...live, state: 'INITIALIZING' }, false, /INITIALIZING, not LIVE/],
    ['no LDS yet', { ...live, stats: counters(1, 0) }, false, /cds updates 1, lds updates 0/],
    ['no stats at all', { ...live, stats: new Map() }, false, /config not received/],
  ])('%s', (_name, o, ready, reason) => {
    const r = readiness(o);
    expect(r.ready).toBe(ready);
    expect(r.reason).toMatch(reason);
  });

  it('reads Envoy /stats text and skips histograms', () => {
    const m = parseStatsText('cluster_manager.cds.update_success: 3\nlistener_manager.lds.update_success: 2\ncluster.x.upstream_rq_time: P0(nan,1) P25(nan,2)\n');
    expect([...m]).toEqual([[CDS_SUCCESS, 3], [LDS_SUCCESS, 2]]);
  });
});
