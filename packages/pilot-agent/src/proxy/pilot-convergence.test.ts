import { describe, expect, it } from 'vitest';
import { pilotConvergence } from './pilot-convergence.js';

const ME = 'sidecar~10.244.1.7~web-1.weather~weather.svc.cluster.local';
const PEER = 'sidecar~10.244.1.8~client-1.weather~weather.svc.cluster.local';
const row = (node: string, endpointSynced: boolean, clusterSynced = true) => ({ proxy: node.split('~')[2], node_id: node, endpoint_synced: endpointSynced, cluster_synced: clusterSynced });
const ep = (address: string) => ({ service: 'web.weather.svc.cluster.local', servicePort: { port: 80 }, endpoint: { address, port: 3002 } });

describe('pilotConvergence', () => {
  it.each<[string, unknown, unknown, boolean, RegExp]>([
    ['endpoint still listed', [ep('10.244.1.7')], [row(PEER, true)], false, /still lists 10\.244\.1\.7 as an endpoint of web/],
    ['peer has not acked EDS', [ep('10.244.1.9')], [row(PEER, false)], false, /client-1\.weather has not acknowledged the latest endpoint config/],
    ['peer has not acked CDS', [], [row(PEER, true, false)], false, /latest cluster config/],
    ['own row does not count', [ep('10.244.1.9')], [row(ME, false), row(PEER, true)], true, /1 peer stream synced/],
    ['no peers at all', [], [], true, /0 peer streams synced/],
    ['not JSON arrays', {}, [], false, /unexpected debug API answer/],
  ])('%s', (_name, endpointz, syncz, converged, reason) => {
    const c = pilotConvergence({ instanceIp: '10.244.1.7', nodeId: ME, endpointz, syncz });
    expect(c.converged).toBe(converged);
    expect(c.reason).toMatch(reason);
  });

  it('compares nonces when a Pilot has no <type>_synced', () => {
    const old = { node_id: PEER, endpoint_sent: '5', endpoint_acked: '4', cluster_sent: '1', cluster_acked: '1' };
    expect(pilotConvergence({ instanceIp: '10.244.1.7', nodeId: ME, endpointz: [], syncz: [old] }).converged).toBe(false);
    expect(pilotConvergence({ instanceIp: '10.244.1.7', nodeId: ME, endpointz: [], syncz: [{ ...old, endpoint_acked: '5' }] }).converged).toBe(true);
  });
});
