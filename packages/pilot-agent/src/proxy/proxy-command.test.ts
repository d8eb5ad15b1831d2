import { runCommand, type Command } from '@weft/base';
import { captureIO } from '@weft/testing';
import { describe, expect, it } from 'vitest';
import { proxyCommand } from './proxy-command.js';

const ENV = { POD_NAME: 'web-1', POD_NAMESPACE: 'weather', INSTANCE_IP: '10.0.0.7' };
const root: Command = { name: 'pilot-agent', summary: 'test', subcommands: [proxyCommand as Command] };

describe('pilot-agent proxy', () => {
  it('documents every flag with its default in --help', async () => {
    const c = captureIO();
    expect(await runCommand(root, ['proxy', '--help'], c.io)).toBe(0);
    for (const f of ['--discoveryAddress', '--drainDuration', '--parentShutdownDuration', '--terminationDrainDuration', '--readinessPort', '--templateFile', '--binaryPath']) expect(c.stdout()).toContain(f);
    expect(c.stdout()).toContain('(default "istio-pilot:15010")');
  });

  it.each([
    [['proxy', 'foo'], 'WEFT_AGENT_PROXY_BAD_ROLE'],
    [['proxy', 'sidecar', '--controlPlaneAuthPolicy', 'MUTUAL_TLS'], 'WEFT_AGENT_PROXY_AUTH_POLICY'],
    [['proxy', 'sidecar', '--templateFile', '/nonexistent/t.json', '--binaryPath', '/nonexistent/weft-proxy.js'], 'WEFT_AGENT_PROXY_BINARY_NOT_FOUND'],
  ])('%j fails with %s before starting anything', async (argv, code) => {
    const c = captureIO(ENV);
    expect(await runCommand(root, argv, c.io)).not.toBe(0);
    expect(c.stderr()).toContain(`[${code}]`);
  });

  it('refuses an unknown flag as a usage error', async () => {
    const c = captureIO(ENV);
    expect(await runCommand(root, ['proxy', 'sidecar', '--customConfigFile', 'x'], c.io)).toBe(2);
    expect(c.stderr()).toContain('--customConfigFile: unknown flag');
  });
});
