import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCommand, type Command } from '@weft/base';
import { captureIO } from '@weft/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { makeIptablesCommand } from './iptables-command.js';
import { execRunner } from './iptables-runner.js';

// The local platform's invocation (packages/ctl/src/local/pod-plan.ts).
const LOCAL = ['-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15020,15021'];

const LOCAL_RULES = `*nat
:ISTIO_INBOUND - [0:0]
:ISTIO_REDIRECT - [0:0]
:ISTIO_IN_REDIRECT - [0:0]
:ISTIO_OUTPUT - [0:0]
-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006
-A PREROUTING -p tcp -j ISTIO_INBOUND
-A ISTIO_INBOUND -p tcp -m tcp --dport 22 -j RETURN
-A ISTIO_INBOUND -p tcp -m tcp --dport 15090 -j RETURN
-A ISTIO_INBOUND -p tcp -m tcp --dport 15020 -j RETURN
-A ISTIO_INBOUND -p tcp -m tcp --dport 15021 -j RETURN
-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT
-A OUTPUT -p tcp -j ISTIO_OUTPUT
-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN
-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -j ISTIO_IN_REDIRECT
-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN
-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN
-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN
-A ISTIO_OUTPUT -j ISTIO_REDIRECT
COMMIT
`;

const OLD_TABLE = `*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:ISTIO_OUTPUT - [0:0]
:ISTIO_REDIRECT - [0:0]
-A OUTPUT -p tcp -j ISTIO_OUTPUT
-A ISTIO_OUTPUT -j ISTIO_REDIRECT
-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001
COMMIT
`;

let dir = '';

/** Stand-ins for iptables-save / iptables-restore: real processes that print a table and record their stdin. */
async function fakeBinaries(name: string, restoreExit: number): Promise<{ save: string; restore: string; input: string }> {
  const save = join(dir, `${name}-save`);
  const restore = join(dir, `${name}-restore`);
  const input = join(dir, `${name}-input.txt`);
  await writeFile(join(dir, `${name}-table.txt`), OLD_TABLE);
  await writeFile(save, `#!/bin/sh\n[ "$1" = --version ] && { echo fake; exit 0; }\ncat '${join(dir, `${name}-table.txt`)}'\n`);
  const fail = restoreExit === 0 ? 'exit 0' : `echo "iptables-restore: line 3 failed" >&2; exit ${restoreExit}`;
  await writeFile(restore, `#!/bin/sh\n[ "$1" = --version ] && { echo fake; exit 0; }\ncat > '${input}'\n${fail}\n`);
  await chmod(save, 0o755);
  await chmod(restore, 0o755);
  return { save, restore, input };
}

async function runWith(binaries: { save: string; restore: string }, args: string[]) {
  const cmd = makeIptablesCommand(() => execRunner({ saveBinary: binaries.save, restoreBinary: binaries.restore }));
  const c = captureIO();
  const code = await runCommand(cmd as Command, args, c.io);
  return { code, stdout: c.stdout(), stderr: c.stderr() };
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-ipt-unit-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('pilot-agent istio-iptables', () => {
  it('--dry-run prints the local platform\'s rules in iptables-restore format and exits 0', async () => {
    const c = captureIO();
    expect(await main(['istio-iptables', ...LOCAL, '--dry-run'], {}, c.io)).toBe(0);
    expect(c.stdout()).toBe(LOCAL_RULES);
  });

  it('-n is --dry-run, and a dry --clean prints the removal of those rules', async () => {
    const c = captureIO();
    expect(await main(['istio-iptables', ...LOCAL, '-n', '--clean'], {}, c.io)).toBe(0);
    expect(c.stdout()).toBe(
      '*nat\n-D PREROUTING -p tcp -j ISTIO_INBOUND\n-D OUTPUT -p tcp -j ISTIO_OUTPUT\n' +
        '-F ISTIO_INBOUND\n-F ISTIO_REDIRECT\n-F ISTIO_IN_REDIRECT\n-F ISTIO_OUTPUT\n' +
        '-X ISTIO_INBOUND\n-X ISTIO_REDIRECT\n-X ISTIO_IN_REDIRECT\n-X ISTIO_OUTPUT\nCOMMIT\n',
    );
  });

  it('reads Istio\'s environment variables when the flags are absent', async () => {
    const c = captureIO({ ENVOY_PORT: '15101', ISTIO_INBOUND_PORTS: '9080', ISTIO_SERVICE_CIDR: '10.0.0.0/8' });
    expect(await main(['istio-iptables', '-u', '1337', '-n'], c.io.env, c.io)).toBe(0);
    expect(c.stdout()).toContain('-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15101\n');
    expect(c.stdout()).toContain('-A ISTIO_INBOUND -p tcp -m tcp --dport 9080 -j ISTIO_IN_REDIRECT\n');
    expect(c.stdout()).toContain('-A ISTIO_OUTPUT -d 10.0.0.0/8 -j ISTIO_REDIRECT\n');
  });

  it('refuses TPROXY with its own code and exit 2', async () => {
    const c = captureIO();
    expect(await main(['istio-iptables', ...LOCAL, '-m', 'TPROXY', '-n'], {}, c.io)).toBe(2);
    expect(c.stderr()).toContain('TPROXY is not supported');
    expect(c.stderr()).toContain('[WEFT_AGENT_IPTABLES_TPROXY_UNSUPPORTED]');
    expect(c.stdout()).toBe('');
  });

  it('lists every invalid flag value at once and exits 2', async () => {
    const c = captureIO();
    expect(await main(['istio-iptables', '-b', '80,x', '-i', '10.0.0.0/40', '-n'], {}, c.io)).toBe(2);
    expect(c.stderr()).toContain('-b[1]: "x" is not a port number');
    expect(c.stderr()).toContain('-i[0]: "10.0.0.0/40" is not an IP address or CIDR range');
    expect(c.stderr()).toContain('[WEFT_AGENT_IPTABLES_INVALID_FLAGS]');
  });

  it('replaces earlier capture rules and writes the new ones in one iptables-restore --noflush', async () => {
    const b = await fakeBinaries('ok', 0);
    const r = await runWith(b, LOCAL);
    expect(r.code, r.stderr).toBe(0);
    const input = await readFile(b.input, 'utf8');
    const removal = '*nat\n-D OUTPUT -p tcp -j ISTIO_OUTPUT\n-F ISTIO_REDIRECT\n-F ISTIO_OUTPUT\n-X ISTIO_REDIRECT\n-X ISTIO_OUTPUT\n';
    expect(input).toBe(removal + LOCAL_RULES.slice('*nat\n'.length));
    const lines = r.stderr.trim().split('\n').map((l) => JSON.parse(l) as { msg: string; module: string; component: string });
    expect(lines.at(-1)).toMatchObject({ component: 'pilot-agent', module: 'iptables', msg: 'capture rules written' });
  });

  it('names the failing command and its stderr, and exits 1', async () => {
    const b = await fakeBinaries('fail', 4);
    const r = await runWith(b, LOCAL);
    expect(r.code).toBe(1);
    const last = JSON.parse(r.stderr.trim().split('\n').at(-1) as string) as { code: string; error: string; msg: string };
    expect(last.code).toBe('WEFT_AGENT_IPTABLES_COMMAND_FAILED');
    expect(last.error).toBe(`${b.restore} --noflush failed (exit 4): iptables-restore: line 3 failed`);
    expect(last.msg).toContain('nothing was changed');
  });

  it('says iptables is not available when the binary is missing', async () => {
    const r = await runWith({ save: join(dir, 'missing-save'), restore: join(dir, 'missing-restore') }, LOCAL);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('WEFT_AGENT_IPTABLES_NOT_AVAILABLE');
    expect(r.stderr).toContain('missing-restore is not available: not found on PATH');
  });

  it('--clean on a table without capture rules runs no iptables-restore', async () => {
    const b = await fakeBinaries('empty', 0);
    await writeFile(join(dir, 'empty-table.txt'), '*nat\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n');
    const r = await runWith(b, ['--clean']);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(b.input)).toBe(false);
    expect(r.stderr).toContain('no capture rules to clean');
  });
});
