// The one place the local platform runs system commands (ip, iptables-restore), so every change it
// makes to the host is visible here. Commands get an argv, never a shell string.
import { execFile, spawnSync } from 'node:child_process';

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export class HostCommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly result: CommandResult,
  ) {
    super(`${argv.join(' ')} failed (exit ${result.code}): ${result.stderr.trim() || result.stdout.trim()}`);
    this.name = 'HostCommandError';
  }
}

/** Runs a command; resolves with its output whatever the exit code. */
export function runCommand(argv: readonly string[], input?: string): Promise<CommandResult> {
  return new Promise((resolve) => {
    const child = execFile(argv[0] as string, argv.slice(1), { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? ((error as { code: number }).code) : 127) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (error && code === 127 ? error.message : '')) });
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

/** Runs a command and throws HostCommandError unless it exits 0. */
export async function mustRun(argv: readonly string[], input?: string): Promise<string> {
  const r = await runCommand(argv, input);
  if (r.code !== 0) throw new HostCommandError(argv, r);
  return r.stdout;
}

/** True when `name` is an executable on PATH. */
export function haveCommand(name: string): boolean {
  return spawnSync('sh', ['-c', `command -v "$1"`, 'sh', name], { stdio: 'ignore' }).status === 0;
}

/** `ip netns list` names. */
export async function listNetns(): Promise<string[]> {
  const out = await runCommand(['ip', 'netns', 'list']);
  return out.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/)[0] ?? '')
    .filter(Boolean);
}

/** PIDs of the processes in a network namespace. */
export async function netnsPids(netns: string): Promise<number[]> {
  const out = await runCommand(['ip', 'netns', 'pids', netns]);
  return out.stdout
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** True when the process holds CAP_NET_ADMIN and CAP_SYS_ADMIN (creating network namespaces needs both). */
export function hasNetworkAdmin(status: string): boolean {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(status);
  if (!m) return false;
  const caps = BigInt(`0x${m[1]}`);
  const NET_ADMIN = 12n;
  const SYS_ADMIN = 21n;
  return ((caps >> NET_ADMIN) & 1n) === 1n && ((caps >> SYS_ADMIN) & 1n) === 1n;
}
