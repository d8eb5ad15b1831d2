import { TypeUrl } from '@weft/api';
import type { StreamStatus, TypeResourceStatus, TypeSyncStatus } from '@weft/xds';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectedProxy } from '../xds/discovery.js';
import { createDebugServer, type DebugState } from './debug-server.js';
import { proxySyncRows, syncRows } from './syncz.js';

function connection(types: Partial<TypeSyncStatus>[], resources: TypeResourceStatus[] = [], id = 1, nodeId = 'sidecar~10.0.0.1~a.default~default.svc.cluster.local'): StreamStatus {
  return {
    stream: { id, protocol: 'sotw', peer: 'ipv4:127.0.0.1:1', node: { id: nodeId } },
    types: types.map((t) => ({ typeUrl: TypeUrl.ClusterLoadAssignment, sentVersion: '', sentNonce: '', ackedVersion: '', ackedNonce: '', ...t })),
    resourceStatus: (typeUrl?: string) => resources.filter((t) => typeUrl === undefined || t.typeUrl === typeUrl),
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

const bad = { code: 3, message: 'bad endpoint' };
const resources: TypeResourceStatus[] = [
  {
    typeUrl: TypeUrl.ClusterLoadAssignment,
    resources: [
      { name: 'outbound|80||a', version: 'e2', status: 'NACKED', error: bad, nonce: '4' },
      { name: 'outbound|80||b', version: 'e1', status: 'ACKED', ackedVersion: 'e1', nonce: '3' },
      { name: 'outbound|80||c', version: '', status: 'SENT', nonce: '5', removed: true },
      { name: 'outbound|80||d', version: '', status: 'REQUESTED', nonce: '' },
    ],
  },
  { typeUrl: TypeUrl.Cluster, resources: [{ name: 'outbound|80||a', version: 'c1', status: 'UNKNOWN', nonce: '' }] },
];
// Another proxy on stream 2, with no resources of its own.
const other = connection([], [], 2, 'sidecar~10.0.0.2~b.default~default.svc.cluster.local');

describe('proxySyncRows', () => {
  it.each(['a.default', 'sidecar~10.0.0.1~a.default~default.svc.cluster.local'])('finds the proxy by %s and lists each resource under its type', (id) => {
    const rows = proxySyncRows([other, connection([{ sentNonce: '5', ackedNonce: '3' }], resources)], [proxy], id);
    expect(rows?.map((r) => r.proxy)).toEqual(['a.default']);
    expect(rows?.[0]?.['endpoint_sent']).toBe('5');
    expect(rows?.[0]?.['resources']).toEqual({
      cluster: [{ name: 'outbound|80||a', version: 'c1', status: 'UNKNOWN', nonce: '' }],
      listener: [],
      route: [],
      endpoint: [
        { name: 'outbound|80||a', version: 'e2', status: 'NACKED', error: bad, nonce: '4' },
        { name: 'outbound|80||b', version: 'e1', status: 'ACKED', ackedVersion: 'e1', nonce: '3' },
        { name: 'outbound|80||c', version: '', status: 'SENT', nonce: '5', removed: true },
        { name: 'outbound|80||d', version: '', status: 'REQUESTED', nonce: '' },
      ],
    });
  });

  it('is undefined for a proxy not connected, and syncRows has no resources', () => {
    expect(proxySyncRows([connection([], resources)], [proxy], 'b.default')).toBeUndefined();
    expect(proxySyncRows([connection([], resources)], [proxy], 'a')).toBeUndefined();
    expect(syncRows([connection([], resources)], [proxy])[0]).not.toHaveProperty('resources');
  });
});

describe('/debug/syncz', () => {
  const app = createDebugServer({ connections: () => [other, connection([], resources)], proxies: () => [proxy], latestVersion: () => '' } as unknown as DebugState);
  afterAll(() => app.close());

  it('lists every stream without a query, one proxy with ?proxyID=, and answers 404 naming an unknown one', async () => {
    const all = await app.inject({ url: '/debug/syncz' });
    expect(all.statusCode).toBe(200);
    expect(all.json<Record<string, unknown>[]>().map((r) => [r['proxy'], 'resources' in r])).toEqual([
      ['sidecar~10.0.0.2~b.default~default.svc.cluster.local', false],
      ['a.default', false],
    ]);
    const one = await app.inject({ url: '/debug/syncz?proxyID=a.default' });
    expect(one.statusCode).toBe(200);
    expect(one.json<Record<string, { endpoint: { status: string }[] }>[]>().map((r) => [r['proxy'], r['resources']?.endpoint.map((e) => e.status)])).toEqual([
      ['a.default', ['NACKED', 'ACKED', 'SENT', 'REQUESTED']],
    ]);
    const missing = await app.inject({ url: '/debug/syncz?proxyID=nope.default' });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['content-type']).toMatch(/^application\/json/);
    expect(missing.json()).toEqual({ error: 'Proxy not connected to this Pilot instance', proxyID: 'nope.default' });
  });
});
