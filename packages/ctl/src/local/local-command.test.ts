import { runCommand, type Command } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { upCommand } from './local-command.js';

describe('weftctl local up', () => {
  it('refuses a --state-dir too deep for the sidecars\' SDS sockets before it starts anything (exit 2)', async () => {
    const err: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => void err.push(t), env: {} };
    const deep = `/tmp/${'x'.repeat(40)}`;
    expect(await runCommand(upCommand as Command, ['-f', '/nonexistent', '--state-dir', deep], io)).toBe(2);
    expect(err.join('')).toMatch(new RegExp(`^weftctl local up: --state-dir ${deep} is too deep: the sidecar's SDS socket ${deep}/pods/weft-[0-9a-f]{10}/istio-proxy/var/run/secrets/workload-spiffe-uds/socket would be 121 bytes, more than the 107 a Unix socket path may have; use a state dir of at most 31 bytes`));
  });
});
