import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIO } from '@weft/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './main.js';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-proxy-main-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('weft-proxy', () => {
  it('lists its flags', async () => {
    const c = captureIO();
    expect(await main(['--help'], {}, c.io)).toBe(0);
    for (const f of ['-c, --config-path string', '-l, --log-level string', '--drain-time-s int', '--service-cluster', '--service-node', '--concurrency int']) expect(c.stdout()).toContain(f);
  });

  it('needs -c and a known log level', async () => {
    const a = captureIO();
    expect(await main([], {}, a.io)).toBe(2);
    expect(a.stderr()).toContain('-c FILE');
    const b = captureIO();
    expect(await main(['-c', 'x.yaml', '-l', 'chatty'], {}, b.io)).toBe(2);
    const d = captureIO();
    expect(await main(['-c', 'x.yaml', '--concurrency', '0'], {}, d.io)).toBe(2);
  });

  it('refuses a bootstrap with errors, naming every path and the error code', async () => {
    const file = join(dir, 'bad.yaml');
    await writeFile(
      file,
      [
        'node: {id: test}',
        'static_resources:',
        '  clusters:',
        '  - {name: a, type: STATIC, connect_timeout: soon}',
        '  - {name: a, type: STATIC}',
        'dynamic_resources:',
        '  ads_config: {api_type: GRPC, grpc_services: [{envoy_grpc: {cluster_name: missing}}]}',
      ].join('\n'),
    );
    const c = captureIO();
    expect(await main(['-c', file], {}, c.io)).toBe(1);
    expect(c.stderr()).toContain('static_resources.clusters[0].connect_timeout');
    expect(c.stderr()).toContain('WEFT_PROXY_BOOTSTRAP_INVALID');
  });

  it('reports an unreadable bootstrap', async () => {
    const c = captureIO();
    expect(await main(['-c', join(dir, 'none.yaml')], {}, c.io)).toBe(1);
    expect(c.stderr()).toContain('WEFT_PROXY_BOOTSTRAP_READ');
  });
});
