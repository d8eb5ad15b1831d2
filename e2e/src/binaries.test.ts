import { existsSync } from 'node:fs';
// Story: after `npm ci && npm run build`, every component runs from the repository root as
// `npx <binary>`; what is not built yet says so, and `weftctl validate` checks Istio YAML.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, run, runBinary } from './workspace.js';

const NOT_BUILT = ['galley', 'mixs', 'citadel', 'sidecar-injector'];
const testdata = join(REPO_ROOT, 'packages', 'api', 'src', 'config', 'testdata');

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('binaries of components not built yet', () => {
  it.each(NOT_BUILT)('%s says it is not built yet and exits non-zero', async (binary) => {
    for (const args of [[], ['--help']]) {
      const r = await runBinary(binary, args);
      expect(r.code, `${binary} ${args.join(' ')}`).not.toBe(0);
      expect(r.stdout + r.stderr).toContain('is not built yet');
    }
  });

  it('pilot-agent lists its proxy and istio-iptables commands', async () => {
    const help = await runBinary('pilot-agent', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('proxy');
    expect(help.stdout).toContain('istio-iptables');
  });

  it('pilot-discovery lists its discovery command and refuses to start without a config source', async () => {
    const help = await runBinary('pilot-discovery', ['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('discovery');
    const r = await runBinary('pilot-discovery', ['discovery']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--configDir is required');
  });

  it('npm start refuses plainly when not run as root', async () => {
    const r = await run('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--inh-caps=+dac_read_search', '--ambient-caps=+dac_read_search', process.execPath, join(REPO_ROOT, 'scripts', 'start.mjs')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('the demo mesh needs root');
  });

  it('npm start builds with the nx CLI the installed nx package declares (the script runs it with node)', async () => {
    const r = await run(process.execPath, ['--input-type=module', '-e', `import { nxBin } from ${JSON.stringify(join(REPO_ROOT, 'scripts', 'nx-bin.mjs'))}; console.log(nxBin());`]);
    expect(r.code, r.stderr).toBe(0);
    const bin = r.stdout.trim();
    expect(existsSync(bin), bin).toBe(true);
    const version = await run(process.execPath, [bin, '--version']);
    expect(version.code, version.stderr).toBe(0);
    expect(version.stdout).toMatch(/\d+\.\d+\.\d+/);
  });
});

describe('weftctl validate', () => {
  it('accepts a valid file and exits 0', async () => {
    const r = await runBinary('weftctl', ['validate', '-f', join(testdata, 'valid.yaml')]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid\.yaml: valid \(5 objects, 0 errors, 0 warnings\)/);
  });

  it('prints each error with its path and exits 1', async () => {
    const r = await runBinary('weftctl', ['validate', '-f', join(testdata, 'invalid.yaml')]);
    expect(r.code).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('error: '));
    expect(errors.length).toBe(8);
    expect(r.stdout).toContain('VirtualService/reviews spec.http[0].route: weights of the 2 destinations must add up to 100, got 90');
    expect(r.stdout).toContain('spec.http[0].timeot: unknown field "timeot"');
    expect(r.stdout).toContain('DestinationRule/reviews spec.subsets[1].name: duplicate subset name "v1"');
    expect(r.stdout).toContain('ServiceEntry/static-db spec.endpoints[0].address:');
  });

  it('reads stdin with -f - and reports YAML syntax errors with a line', async () => {
    const r = await runBinary('weftctl', ['validate', '-f', '-'], 'apiVersion: networking.istio.io/v1alpha3\nkind: Gateway\nmetadata: {name: gw\nspec: {}\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/error: <stdin>:\d+/);
  });

  it('validates a directory and reports an unreadable file with its error code', async () => {
    await writeFile(
      join(dir, 'vs.yaml'),
      'apiVersion: networking.istio.io/v1beta1\nkind: VirtualService\nmetadata: {name: r, namespace: default}\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination: {host: reviews, subset: v1}\n      weight: 120\n',
    );
    const r = await runBinary('weftctl', ['validate', '-f', dir, '-f', join(dir, 'missing.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('spec.http[0].route[0].weight');
    expect(r.stderr).toContain('[WEFT_CTL_FILE_READ]');
  });

  it('exits 2 without -f and 0 for --help', async () => {
    const none = await runBinary('weftctl', ['validate']);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('WEFT_CTL_NO_INPUT');
    const help = await runBinary('weftctl', ['validate', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('-f, --filename strings');
  });
});
