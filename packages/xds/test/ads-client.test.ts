// AdsClient against the server, in both protocols: ACK, NACK, names, reconnect with backoff.
import { once } from 'node:events';
import { TypeUrl } from '@weft/api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AdsClient } from '../src/ads-client.js';
import type { XdsProtocol, NackEvent } from '../src/callbacks.js';
import { accept, reject, type ResourceUpdate } from '../src/client-types.js';
import { SnapshotCache } from '../src/snapshot-cache.js';
import { helloSnapshot } from './resources.js';
import { startXdsServer, type RunningServer } from './server-harness.js';

const CDS = TypeUrl.Cluster;
const EDS = TypeUrl.ClusterLoadAssignment;
const LDS = TypeUrl.Listener;
const RDS = TypeUrl.RouteConfiguration;

function port(client: AdsClient): number | undefined {
  const cla = client.resources(EDS).get('hello-cluster')?.value as
    | { endpoints: Array<{ lb_endpoints: Array<{ endpoint: { address: { socket_address: { port_value: number } } } }> }> }
    | undefined;
  return cla?.endpoints[0]?.lb_endpoints[0]?.endpoint.address.socket_address.port_value;
}

describe.each<XdsProtocol>(['sotw', 'delta'])('AdsClient (%s)', (protocol) => {
  let cache: SnapshotCache;
  let server: RunningServer;
  let client: AdsClient;
  let nacks: NackEvent[];
  let updates: ResourceUpdate[];

  beforeEach(async () => {
    cache = new SnapshotCache();
    nacks = [];
    updates = [];
    server = await startXdsServer({ cache, callbacks: { onNack: (_s, n) => nacks.push(n) } });
    client = new AdsClient({ target: server.target, node: { id: 'proxy-1' }, protocol, backoff: { initialMs: 20, maxMs: 100 } });
    client.on('update', (u) => updates.push(u));
  });

  afterEach(async () => {
    client.close();
    await server.close();
  });

  function subscribeAll(edsHandler = (_u: ResourceUpdate) => accept()): void {
    client.subscribe(CDS, () => accept());
    client.subscribe(EDS, edsHandler, ['hello-cluster']);
    client.subscribe(LDS, () => accept());
    client.subscribe(RDS, () => accept(), ['hello-route']);
  }

  it('receives the whole chain, ACKs every type, and follows updates', async () => {
    cache.setSnapshot('proxy-1', helloSnapshot('v1', [1001]));
    subscribeAll();
    client.start();
    await expect.poll(() => port(client)).toBe(1001);
    // EDS arrives before LDS and RDS (push order), so wait for those too.
    await expect.poll(() => [...client.resources(LDS).keys()]).toEqual(['hello']);
    await expect.poll(() => [...client.resources(RDS).keys()]).toEqual(['hello-route']);
    await expect
      .poll(() => server.xds.connections()[0]?.types.filter((t) => t.sentNonce !== '' && t.ackedNonce === t.sentNonce).length)
      .toBe(4);
    cache.setSnapshot('proxy-1', helloSnapshot('v2', [1002]));
    await expect.poll(() => port(client)).toBe(1002);
    expect(client.acceptedVersion(EDS)).toBe('v2');
  });

  it('NACKs a rejected update with its message, keeps the last accepted version, and accepts the next one', async () => {
    cache.setSnapshot('proxy-1', helloSnapshot('v1', [1001]));
    subscribeAll((u) => (u.version === 'v2' ? reject('v2 is not acceptable') : accept()));
    client.start();
    await expect.poll(() => client.acceptedVersion(EDS)).toBe('v1');
    const nacked = once(client, 'nack', { signal: AbortSignal.timeout(5000) });
    cache.setSnapshot('proxy-1', helloSnapshot('v2', [1002]));
    const [event] = (await nacked) as [{ error: { code: string } }];
    expect(event.error.code).toBe('WEFT_XDS_UPDATE_REJECTED');
    await expect.poll(() => nacks.map((n) => [n.typeUrl, n.rejectedVersion, n.errorDetail.message])).toEqual([[EDS, 'v2', 'v2 is not acceptable']]);
    expect([client.acceptedVersion(EDS), port(client)]).toEqual(['v1', 1001]);
    cache.setSnapshot('proxy-1', helloSnapshot('v3', [1003]));
    await expect.poll(() => port(client)).toBe(1003);
    expect(client.acceptedVersion(EDS)).toBe('v3');
  });

  it('changes its subscribed names', async () => {
    const snap = helloSnapshot('v1', [1001]);
    cache.setSnapshot('proxy-1', snap);
    client.subscribe(EDS, () => accept(), []);
    client.start();
    client.setNames(EDS, ['hello-cluster']);
    await expect.poll(() => port(client)).toBe(1001);
    client.setNames(EDS, []);
    expect(client.resources(EDS).size).toBe(0);
  });

  it('reconnects with backoff after the stream ends and resumes from the accepted state', async () => {
    cache.setSnapshot('proxy-1', helloSnapshot('v1', [1001]));
    subscribeAll();
    client.start();
    await expect.poll(() => port(client)).toBe(1001);
    await expect.poll(() => server.xds.connections()[0]?.types.filter((t) => t.ackedNonce === t.sentNonce && t.sentNonce).length).toBe(4);

    const disconnected = once(client, 'disconnected', { signal: AbortSignal.timeout(5000) });
    const reconnected = (async () => {
      await disconnected;
      await once(client, 'connected', { signal: AbortSignal.timeout(5000) });
    })();
    const before = updates.length;
    server.xds.closeAll();
    await reconnected;
    cache.setSnapshot('proxy-1', helloSnapshot('v2', [1002]));
    await expect.poll(() => port(client)).toBe(1002);
    const after = updates.slice(before).filter((u) => u.typeUrl === CDS);
    if (protocol === 'sotw') {
      // SotW: the new stream is sent the state again.
      expect(after[0]?.resources.map((r) => r.name)).toEqual(['hello-cluster']);
    } else {
      // Delta: initial_resource_versions told the server what the client kept; nothing is resent.
      expect(after.flatMap((u) => u.resources)).toEqual([]);
    }
  });
});
