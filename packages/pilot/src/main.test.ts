import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIO } from '@weft/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-pilot-main-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pilot-discovery', () => {
  it('lists the discovery command and its Istio flags', async () => {
    const c = captureIO();
    expect(await main(['discovery', '--help'], {}, c.io)).toBe(0);
    for (const f of ['--configDir', '--meshConfig', '--grpcAddr string', '(default ":15010")', '--httpAddr', '(default ":8080")', '--monitoringAddr', '(default ":15014")', '--domain', '(default "cluster.local")', '--registries', '[$PILOT_DEBOUNCE_AFTER]', '[$PILOT_DEBOUNCE_MAX]', '--pushThrottle', '[$PILOT_PUSH_THROTTLE]']) {
      expect(c.stdout()).toContain(f);
    }
  });

  it.each([
    [['discovery'], '--configDir is required'],
    [['discovery', '--configDir=/x', '--grpcAddr=nonsense'], 'invalid address for --grpcAddr'],
    [['discovery', '--configDir=/x', '--registries=Consul'], 'unsupported --registries Consul'],
    [['nope'], 'unknown command "nope"'],
  ])('rejects %j with a usage error', async (argv, message) => {
    const c = captureIO();
    expect(await main(argv, {}, c.io)).toBe(2);
    expect(c.stderr()).toContain(message);
  });

  it('refuses an invalid mesh config, naming the field path', async () => {
    const file = join(dir, 'mesh.yaml');
    await writeFile(file, 'connectTimeout: forever\noutboundTrafficPolicy: {mode: SOMETIMES}\n');
    const c = captureIO();
    expect(await main(['discovery', `--configDir=${dir}`, `--meshConfig=${file}`], {}, c.io)).toBe(1);
    expect(c.stderr()).toContain('connectTimeout');
    expect(c.stderr()).toContain('outboundTrafficPolicy.mode');
  });
});
