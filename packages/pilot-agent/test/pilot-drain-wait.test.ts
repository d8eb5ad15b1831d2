// The termination wait against a stand-in of Pilot's debug API (a real HTTP server on 127.0.0.1)
// whose answers change as a push would change them.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForPilotConvergence } from '../src/proxy/pilot-drain-wait.js';
import { captureLogs } from './log-capture.js';

const ME = 'sidecar~10.244.1.7~web-1.weather~weather.svc.cluster.local';
const PEER = 'sidecar~10.244.1.8~client-1.weather~weather.svc.cluster.local';
const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function pilot(answer: (path: string, hits: number) => unknown): Promise<number> {
  let hits = 0;
  const s = http.createServer((req, res) => {
    if (req.url === '/debug/syncz') hits++;
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(answer(req.url ?? '', hits)));
  });
  servers.push(s);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
}

describe('waitForPilotConvergence', () => {
  it('waits until the endpoint is gone and every peer acknowledged it', async () => {
    // Polls 1–2: still listed; 3–4: gone but the peer has not ACKed; then synced.
    const port = await pilot((path, hits) =>
      path === '/debug/endpointz'
        ? hits <= 2 ? [{ service: 'web.weather.svc.cluster.local', endpoint: { address: '10.244.1.7' } }] : []
        : [{ node_id: ME, endpoint_synced: false, cluster_synced: true }, { node_id: PEER, proxy: 'client-1.weather', endpoint_synced: hits > 4, cluster_synced: true }],
    );
    const logs = captureLogs();
    const r = await waitForPilotConvergence({ pilotDebug: { host: '127.0.0.1', port }, instanceIp: '10.244.1.7', nodeId: ME, timeoutMs: 10_000, pollMs: 20, logger: logs.logger });
    expect(r.converged).toBe(true);
    expect(r.reason).toBe('endpoint removed and 1 peer stream synced');
    const line = await logs.waitFor('drain: pilot converged');
    expect(line['waitedMs']).toBeTypeOf('number');
  });

  it('gives up after the bound while a peer stays stale', async () => {
    const port = await pilot((path) => (path === '/debug/endpointz' ? [] : [{ node_id: PEER, proxy: 'client-1.weather', endpoint_synced: false, cluster_synced: true }]));
    const logs = captureLogs();
    const t0 = Date.now();
    const r = await waitForPilotConvergence({ pilotDebug: { host: '127.0.0.1', port }, instanceIp: '10.244.1.7', nodeId: ME, timeoutMs: 400, pollMs: 20, logger: logs.logger });
    expect(r.converged).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(390);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect((await logs.waitFor('drain: gave up waiting for pilot'))['reason']).toMatch(/client-1\.weather has not acknowledged/);
  });

  it('waits out the bound when Pilot is unreachable', async () => {
    const port = await pilot(() => []);
    await new Promise((r) => servers.pop()!.close(r));
    const logs = captureLogs();
    const r = await waitForPilotConvergence({ pilotDebug: { host: '127.0.0.1', port }, instanceIp: '10.244.1.7', nodeId: ME, timeoutMs: 300, pollMs: 20, logger: logs.logger });
    expect(r).toMatchObject({ converged: false, reason: expect.stringMatching(/unreachable: ECONNREFUSED/) });
    expect(r.waitedMs).toBeGreaterThanOrEqual(290);
  });
});
