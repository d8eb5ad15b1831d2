// Istio's capture in miniature: in a network namespace this test creates, iptables REDIRECTs a
// connection to 10.9.9.9:9999 to :15001, and the addon recovers 10.9.9.9:9999 from the socket.
// Needs root and iproute2/iptables (CI runs as root and installs both).
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const NS = `weft-od-${process.pid}`;
const PROBE = fileURLToPath(new URL('./fixtures/capture-probe.mjs', import.meta.url));
const HANDOFF = fileURLToPath(new URL('./fixtures/capture-handoff.mjs', import.meta.url));
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0 && spawnSync('iptables', ['-V']).status === 0;

function sh(cmd: string, args: string[]): void {
  execFileSync(cmd, args, { stdio: 'pipe' });
}

beforeAll(() => {
  if (!canRun) return;
  sh('ip', ['netns', 'add', NS]);
  sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
  sh('ip', ['-n', NS, 'addr', 'add', '10.9.9.1/24', 'dev', 'lo']);
  sh('ip', ['netns', 'exec', NS, 'iptables', '-t', 'nat', '-A', 'OUTPUT', '-p', 'tcp', '--dport', '9999', '-j', 'REDIRECT', '--to-ports', '15001']);
});

afterAll(() => {
  if (canRun) spawnSync('ip', ['netns', 'del', NS]);
});

describe.runIf(canRun)('SO_ORIGINAL_DST in a network namespace with iptables REDIRECT', () => {
  it('recovers the address the client dialled', () => {
    const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, PROBE], { encoding: 'utf8', timeout: 15_000 });
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout.trim()) as { original: { address: string; port: number } | null; local: string };
    expect(out.original).toEqual({ address: '10.9.9.9', port: 9999 });
    expect(out.local).toMatch(/:15001$/);
  });

  it('weft-proxy hands a captured connection to the listener of its original destination', () => {
    const r = spawnSync('ip', ['netns', 'exec', NS, process.execPath, HANDOFF], { encoding: 'utf8', timeout: 30_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout.trim())).toEqual({ reply: 'echo:ping' });
  });
});
