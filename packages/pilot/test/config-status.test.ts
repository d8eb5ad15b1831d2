// Config status tells the truth: a file rejected while Pilot runs shows in /debug/configz and in
// pilot_total_config_rejects at once, is logged once however often the directory is re-read, causes
// no push of the unchanged config, and leaves both when it is fixed.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type PilotProcess } from './pilot-process.js';

const service = (name: string) => `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: ${name}, namespace: default}
spec:
  hosts: [${name}.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 9080, name: http, protocol: HTTP}]
  endpoints: [{address: 10.1.0.15}]
`;

const GOOD_ROUTES = `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ratings, namespace: default}
spec:
  hosts: [ratings]
  http:
  - route:
    - destination: {host: ratings}
    timeout: 3s
`;
const BAD_ROUTES = GOOD_ROUTES.replace('timeout:', 'timeot:');

interface Configz {
  revision: number;
  configs: { kind: string; metadata: { name: string } }[];
  rejected: { source: string; at: string; errors: { path: string; line?: number }[] }[];
}

let dir = '';
let pilot: PilotProcess;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-pilot-status-'));
  await writeFile(join(dir, 'ratings.yaml'), service('ratings'));
  // Debug level, for the "config directory read" line each read of the directory logs.
  pilot = await startPilot([`--configDir=${dir}`, '--log_output_level=default:debug'], { PILOT_DEBOUNCE_AFTER: '20ms' });
}, 60_000);

afterAll(async () => {
  await pilot?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

async function configz(): Promise<Configz> {
  return (await (await fetch(`http://${pilot.http}/debug/configz`)).json()) as Configz;
}

/** pilot_total_config_rejects as served on the monitoring port. */
async function rejectsGauge(): Promise<number | undefined> {
  const text = await (await fetch(`http://${pilot.monitoring}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith('pilot_total_config_rejects '));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

const logged = (msg: string, file?: string) => pilot.logs.filter((l) => l['msg'] === msg && (file === undefined || l['file'] === file));

describe('config status', () => {
  it('reports a file rejected at run time in configz and the gauge, logs it once, and clears both on the fix', async () => {
    expect((await configz()).rejected).toEqual([]);
    expect(await rejectsGauge()).toBe(0);

    await writeFile(join(dir, 'routes.yaml'), BAD_ROUTES);
    await expect.poll(async () => (await configz()).rejected.map((r) => [r.source, r.errors.map((e) => `${e.path}@${e.line}`)]), { timeout: 10_000 }).toEqual([['routes.yaml', ['spec.http[0].timeot@9']]]);
    await expect.poll(() => rejectsGauge(), { timeout: 10_000 }).toBe(1);
    const rejectedAt = (await configz()).rejected[0]!.at;

    // Pilot reads the directory again after each change of another file and every 2 s on its own; the
    // unchanged bad text is not reported again.
    const readsBefore = logged('config directory read').length;
    for (const name of ['extra-1', 'extra-2']) {
      await writeFile(join(dir, 'extra.yaml'), service(name));
      await expect.poll(async () => (await configz()).configs.map((c) => c.metadata.name), { timeout: 10_000 }).toContain(name);
    }
    await expect.poll(() => logged('config directory read').length, { timeout: 15_000, interval: 100 }).toBeGreaterThanOrEqual(readsBefore + 4);
    expect(logged('config file rejected', 'routes.yaml')).toHaveLength(1);
    expect((await configz()).rejected.map((r) => [r.source, r.at])).toEqual([['routes.yaml', rejectedAt]]);
    expect(await rejectsGauge()).toBe(1);

    await writeFile(join(dir, 'routes.yaml'), GOOD_ROUTES);
    await expect.poll(async () => (await configz()).rejected, { timeout: 10_000 }).toEqual([]);
    await expect.poll(() => rejectsGauge(), { timeout: 10_000 }).toBe(0);
    expect((await configz()).configs.map((c) => c.kind)).toContain('VirtualService');

    // Only changes of the config in force were pushed: the startup push, the two extra files and the fix,
    // each with its own revision (a push for the rejection alone would repeat one).
    await expect.poll(() => logged('push').length, { timeout: 10_000 }).toBeGreaterThanOrEqual(4);
    const revisions = logged('push').map((l) => String(l['version']).split('/').pop());
    expect(new Set(revisions).size).toBe(revisions.length);
  }, 60_000);
});
