// Story: `weftctl local down` stops a running platform from another shell, and after a crash (the
// platform's own processes killed with SIGKILL) `down` still removes everything that run created.
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../src/workspace.js';
import { eventually, freePort, leftovers, LocalMesh, SAMPLE, WEFTCTL } from './local-mesh.js';

const isRoot = process.getuid?.() === 0;
let tmp = '';
let manifests = '';

beforeAll(async () => {
  if (!isRoot) return;
  tmp = await mkdtemp(join(tmpdir(), 'weft-life-'));
  await chmod(tmp, 0o711);
  // A small mesh: the namespace, forecast (meshed) and status-board (inject "false").
  manifests = join(tmp, 'kube');
  await mkdir(manifests);
  for (const f of ['00-namespace.yaml', 'forecast.yaml', 'status-board.yaml']) await copyFile(join(SAMPLE, 'kube', f), join(manifests, f));
});

afterAll(async () => {
  if (!isRoot) return;
  await rm(tmp, { recursive: true, force: true });
});

async function newMesh(name: string): Promise<LocalMesh> {
  const mesh = new LocalMesh(join(tmp, name), { http: await freePort(), https: await freePort(), tcp: await freePort() });
  await mesh.up([manifests], 300_000, ['--images', join(SAMPLE, 'local-images.yaml')]);
  return mesh;
}

describe.skipIf(!isRoot)('weftctl local down and crash recovery (needs root)', () => {
  it('down from another process stops up, which exits 0, and nothing is left', async () => {
    const mesh = await newMesh('down');
    expect((await mesh.status()).pods.some((p) => p.deployment === 'status-board-v1' && !p.sidecar)).toBe(true);
    // A second platform from another state dir is refused and leaves the running one alone.
    const refused = await run(process.execPath, [WEFTCTL, 'local', 'up', '-f', manifests, '--images', join(SAMPLE, 'local-images.yaml'), '--ingress-port', '0', '--ingress-https-port', '0', '--ingress-tcp-port', '0', '--state-dir', join(tmp, 'second')]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('another platform is running on this machine');
    expect((await mesh.status()).ready).toBe(true);
    const r = await mesh.cli(['down']);
    expect(r.code, r.stderr).toBe(0);
    expect(await mesh.exited()).toBe(0);
    expect(await leftovers(mesh.stateDir)).toEqual({ netns: [], links: [], rules: [], hosts: [], files: [], processes: [] });
  });

  it('after a crash (the platform SIGKILLed, pods still running) down removes everything', async () => {
    const mesh = await newMesh('crash');
    const state = JSON.parse(await readFile(join(mesh.stateDir, 'state.json'), 'utf8')) as { outerPid: number; innerPid?: number };
    for (const pid of [state.innerPid, state.outerPid]) if (pid) process.kill(pid, 'SIGKILL');
    await mesh.exited();
    // Pods outlive the platform: that is what a crash leaves.
    expect((await leftovers(mesh.stateDir))['netns']?.length).toBeGreaterThan(0);
    const r = await mesh.cli(['down']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    await eventually('no leftovers', async () => {
      const l = await leftovers(mesh.stateDir);
      return Object.values(l).every((v) => v.length === 0) ? l : undefined;
    }, 30_000);
  });
});
