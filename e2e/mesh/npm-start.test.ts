// Story: the README's demo command. `npm start` (scripts/start.mjs, as root) builds, brings the
// Weather sample up, prints `Ingress: URL` once the frontend answers through the gateway, and on
// Ctrl-C stops the mesh and leaves nothing behind. Ports and the state directory are the test's own,
// passed through to `weftctl local up` as a user would (`npm start -- --ingress-port ...`).
import { spawn } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../src/workspace.js';
import { freePort, get, leftovers } from './local-mesh.js';

const isRoot = process.getuid?.() === 0;
let tmp = '';

afterAll(async () => {
  if (tmp) await rm(tmp, { recursive: true, force: true });
});

describe.skipIf(!isRoot)('npm start (needs root)', () => {
  it('prints the Ingress line once the frontend answers through it, and Ctrl-C leaves nothing', async () => {
    tmp = await mkdtemp(join(tmpdir(), 'weft-start-'));
    await chmod(tmp, 0o711);
    const stateDir = join(tmp, 'state');
    const [http, https, tcp] = [await freePort(), await freePort(), await freePort()];
    const child = spawn(process.execPath, [join(REPO_ROOT, 'scripts', 'start.mjs'), '--ingress-port', String(http), '--ingress-https-port', String(https), '--ingress-tcp-port', String(tcp), '--state-dir', stateDir, '--log-level', 'warn'], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CI: undefined },
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    let out = '';
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-20_000)));
    const url = `http://127.0.0.1:${http}/`;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no Ingress line after 300 s:\n${out}\n${err}`)), 300_000);
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        out += d;
        if (out.includes(`Ingress: ${url}\n`)) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`npm start exited with ${code} before the Ingress line:\n${out}\n${err}`));
      });
    });
    const page = await get(url);
    expect(page.status).toBe(200);
    expect(page.body).toMatch(/weather/i);
    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(await leftovers(stateDir)).toEqual({ netns: [], links: [], rules: [], hosts: [], files: [], processes: [] });
  });
});
