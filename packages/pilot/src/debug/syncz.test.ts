import { TypeUrl } from '@weft/api';
import type { StreamStatus, TypeSyncStatus } from '@weft/xds';
import { describe, expect, it } from 'vitest';
import type { ConnectedProxy } from '../xds/discovery.js';
import { syncRows } from './syncz.js';

function connection(types: Partial<TypeSyncStatus>[]): StreamStatus {
  return {
    stream: { id: 1, protocol: 'sotw', peer: 'ipv4:127.0.0.1:1', node: { id: 'sidecar~10.0.0.1~a.default~default.svc.cluster.local' } },
    types: types.map((t) => ({ typeUrl: TypeUrl.ClusterLoadAssignment, sentVersion: '', sentNonce: '', ackedVersion: '', ackedNonce: '', ...t })),
  } as unknown as StreamStatus;
}

const proxy = { proxy: { id: 'a.default', istioVersion: '1.3.0' }, group: 'g1', streams: new Set([1]), connectedAt: '' } as unknown as ConnectedProxy;

describe('syncRows', () => {
  it.each([
    ['acknowledged the latest version', { sentNonce: '3', sentVersion: 'e2', ackedNonce: '3', ackedVersion: 'e2' }, 'e2', true],
    ['acknowledged an older version than Pilot now holds', { sentNonce: '3', sentVersion: 'e1', ackedNonce: '3', ackedVersion: 'e1' }, 'e2', false],
    ['sent but not yet acknowledged', { sentNonce: '4', sentVersion: 'e2', ackedNonce: '3', ackedVersion: 'e1' }, 'e2', false],
    ['never subscribed the type', {}, 'e2', true],
  ])('endpoint_synced when the proxy %s', (_what, status, latest, synced) => {
    const [row] = syncRows([connection([status])], [proxy], (group, typeUrl) => (group === 'g1' && typeUrl === TypeUrl.ClusterLoadAssignment ? latest : ''));
    expect(row?.['endpoint_latest_version']).toBe(latest);
    expect(row?.['endpoint_synced']).toBe(synced);
    expect(row?.proxy).toBe('a.default');
  });
});
