// Pushes carry only what changed: an endpoint-only change sends EDS alone, and a proxy whose
// Sidecar scope does not include the changed service receives nothing at all.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TypeUrl } from '@weft/api';
import { accept, AdsClient } from '@weft/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type PilotProcess } from './pilot-process.js';

function serviceEntry(name: string, ns: string, vip: string, endpoint: string): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ${name}, namespace: ${ns}}
spec:
  hosts: [${name}.${ns}.svc.cluster.local]
  addresses: [${vip}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: ${endpoint}, labels: {app: ${name}}}]
`;
}

const SIDECAR = `apiVersion: networking.istio.io/v1alpha3
kind: Sidecar
metadata: {name: default, namespace: scoped}
spec:
  egress:
  - hosts: ["./*"]
`;

const ALL_TYPES = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration];

function sidecar(pod: string, ns: string, ip: string, pilot: PilotProcess): { client: AdsClient; updates: string[] } {
  const client = new AdsClient({ target: pilot.grpc, node: { id: `sidecar~${ip}~${pod}.${ns}~${ns}.svc.cluster.local`, cluster: pod } });
  const updates: string[] = [];
  for (const t of ALL_TYPES) {
    client.subscribe(
      t,
      () => {
        updates.push(t);
        return accept();
      },
      t === TypeUrl.RouteConfiguration ? ['9080'] : t === TypeUrl.ClusterLoadAssignment ? ['outbound|9080||reviews.default.svc.cluster.local', 'outbound|9080||local.scoped.svc.cluster.local'] : '*',
    );
  }
  client.start();
  return { client, updates };
}

async function syncz(p: PilotProcess): Promise<Record<string, Record<string, string>>> {
  const rows = (await (await fetch(`http://${p.http}/debug/syncz`)).json()) as Record<string, string>[];
  return Object.fromEntries(rows.map((r) => [r['proxy'], r]));
}

let dir = '';
let pilot: PilotProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-pilot-incremental-'));
  await writeFile(join(dir, 'reviews.yaml'), serviceEntry('reviews', 'default', '10.96.0.12', '10.1.0.12'));
  await writeFile(join(dir, 'local.yaml'), serviceEntry('local', 'scoped', '10.96.0.50', '10.1.0.50'));
  await writeFile(join(dir, 'sidecar.yaml'), SIDECAR);
  pilot = await startPilot([`--configDir=${dir}`], { PILOT_DEBOUNCE_AFTER: '20ms' });
}, 60_000);

afterAll(async () => {
  await pilot?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('incremental pushes', () => {
  it('an endpoint-only change pushes EDS alone, and only to proxies that see the service', async () => {
    const wide = sidecar('productpage-v1', 'default', '10.1.0.10', pilot);
    const scoped = sidecar('local-client', 'scoped', '10.1.0.51', pilot);
    try {
      // Both are fully configured first (each type accepted once).
      await expect.poll(() => new Set(wide.updates).size, { timeout: 10_000 }).toBe(4);
      await expect.poll(() => new Set(scoped.updates).size, { timeout: 10_000 }).toBe(4);
      expect(scoped.client.resources(TypeUrl.Cluster).has('outbound|9080||reviews.default.svc.cluster.local')).toBe(false);
      const pushesBefore = pilot.logs.filter((l) => l['msg'] === 'push').length;
      const before = await syncz(pilot);
      wide.updates.length = 0;
      scoped.updates.length = 0;

      await writeFile(join(dir, 'reviews.yaml'), serviceEntry('reviews', 'default', '10.96.0.12', '10.1.0.99'));
      await expect
        .poll(() => JSON.stringify(wide.client.resources(TypeUrl.ClusterLoadAssignment).get('outbound|9080||reviews.default.svc.cluster.local')?.value), { timeout: 10_000 })
        .toContain('10.1.0.99');
      // Wait until the push that carried it is logged, then check nothing else was sent.
      await expect.poll(() => pilot.logs.filter((l) => l['msg'] === 'push').length).toBeGreaterThan(pushesBefore);
      // Pilot's own record of what it sent (written synchronously with each send) shows the same.
      const after = await syncz(pilot);
      const changed = (proxy: string) =>
        ['cluster', 'endpoint', 'listener', 'route'].filter((t) => before[proxy]?.[`${t}_sent`] !== after[proxy]?.[`${t}_sent`]);
      expect(changed('productpage-v1.default')).toEqual(['endpoint']);
      expect(changed('local-client.scoped')).toEqual([]);
      expect(wide.updates).toEqual([TypeUrl.ClusterLoadAssignment]);
      expect(scoped.updates).toEqual([]);
    } finally {
      wide.client.close();
      scoped.client.close();
    }
  });
});
