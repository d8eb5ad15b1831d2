import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_SOCKET_PATH_BYTES, prepareSocketPath, sdsSocketPath, WORKLOAD_IDENTITY_SOCKET_PATH } from './sds-socket.js';

describe('sdsSocketPath', () => {
  it("resolves Istio's relative path against the working directory", () => {
    expect(WORKLOAD_IDENTITY_SOCKET_PATH).toBe('./var/run/secrets/workload-spiffe-uds/socket');
    expect(sdsSocketPath('/')).toEqual({ ok: true, path: '/var/run/secrets/workload-spiffe-uds/socket' });
    expect(sdsSocketPath('/home/app')).toEqual({ ok: true, path: '/home/app/var/run/secrets/workload-spiffe-uds/socket' });
  });

  it('refuses a path longer than a Unix socket may be, naming it', () => {
    const suffix = '/var/run/secrets/workload-spiffe-uds/socket';
    const fits = `/${'d'.repeat(MAX_SOCKET_PATH_BYTES - suffix.length - 1)}`;
    const ok = sdsSocketPath(fits);
    expect(ok.ok && ok.path).toHaveLength(MAX_SOCKET_PATH_BYTES);
    const long = `${fits}x`;
    const r = sdsSocketPath(long);
    expect(r.ok).toBe(false);
    const error = r.ok ? undefined : r.error;
    expect(error?.code).toBe('WEFT_AGENT_SDS_SOCKET_PATH_TOO_LONG');
    expect(error?.message).toContain(`${long}${suffix} is 108 bytes, more than the 107`);
    expect(error?.message).toContain('./var/run/secrets/workload-spiffe-uds/socket resolved against the working directory');
  });
});

describe('prepareSocketPath', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'weft-sock-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('creates the directories', async () => {
    const path = join(dir, 'a', 'b', 'socket');
    await prepareSocketPath(path);
    expect(existsSync(join(dir, 'a', 'b'))).toBe(true);
  });

  it('removes a stale socket nobody listens on (its agent was killed)', async () => {
    const path = join(dir, 'stale');
    const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(path)}, () => console.log('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((r) => child.stdout!.once('data', () => r()));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(lstatSync(path).isSocket()).toBe(true);
    await prepareSocketPath(path);
    expect(existsSync(path)).toBe(false);
  });

  it('keeps a socket another process still serves on', async () => {
    const path = join(dir, 'live');
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(path, () => r()));
    await expect(prepareSocketPath(path)).rejects.toThrow(`another process is serving on ${path}`);
    expect(existsSync(path)).toBe(true);
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('refuses a path that is not a socket', async () => {
    const path = join(dir, 'file');
    writeFileSync(path, 'x');
    await expect(prepareSocketPath(path)).rejects.toThrow(`${path} exists and is not a socket`);
  });
});
