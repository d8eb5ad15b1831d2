// The only I/O of istio-iptables: runs iptables-save and iptables-restore as child processes.
import { spawn } from 'node:child_process';
import { err, ok, type Result, type WeftError } from '@weft/base';
import { AgentErrors } from '../errors.js';

/** What the command needs from iptables; owned here, faked by nothing (tests use real binaries). */
export interface IptablesRunner {
  /** Fails with WEFT_AGENT_IPTABLES_NOT_AVAILABLE when either binary cannot be run. */
  check(): Promise<Result<void, WeftError>>;
  /** `iptables-save -t nat`. */
  saveNat(): Promise<Result<string, WeftError>>;
  /** `iptables-restore --noflush` with `input` on stdin: one atomic transaction. */
  restore(input: string): Promise<Result<void, WeftError>>;
}

export interface ExecRunnerOptions {
  readonly saveBinary?: string;
  readonly restoreBinary?: string;
  readonly timeoutMs?: number;
}

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly spawnError?: NodeJS.ErrnoException;
}

function run(binary: string, args: readonly string[], input: string, timeoutMs: number): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'], timeout: timeoutMs });
    const out: Buffer[] = [];
    const errOut: Buffer[] = [];
    let spawnError: NodeJS.ErrnoException | undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => errOut.push(b));
    child.on('error', (e: NodeJS.ErrnoException) => (spawnError = e));
    // EPIPE when the binary exits before reading stdin; its exit status says what went wrong.
    child.stdin.on('error', () => undefined);
    child.on('close', (code, signal) =>
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(errOut).toString('utf8'), ...(spawnError ? { spawnError } : {}) }),
    );
    child.stdin.end(input);
  });
}

function commandLine(binary: string, args: readonly string[]): string {
  return [binary, ...args].join(' ');
}

function failure(binary: string, args: readonly string[], r: Exit): WeftError {
  const cmd = commandLine(binary, args);
  if (r.spawnError?.code === 'ENOENT') return AgentErrors.IPTABLES_NOT_AVAILABLE([binary, 'not found on PATH (install the iptables package)'], r.spawnError);
  if (r.spawnError?.code === 'EACCES') return AgentErrors.IPTABLES_NOT_AVAILABLE([binary, 'not executable'], r.spawnError);
  const how = r.spawnError ? r.spawnError.message : r.signal ? `killed by ${r.signal}` : `exit ${r.code}`;
  const detail = r.stderr.trim() || r.stdout.trim() || '(no output)';
  return AgentErrors.IPTABLES_COMMAND_FAILED([cmd, how, detail.replace(/\s*\n\s*/g, ' | ')], r.spawnError);
}

export function execRunner(options: ExecRunnerOptions = {}): IptablesRunner {
  const save = options.saveBinary ?? 'iptables-save';
  const restore = options.restoreBinary ?? 'iptables-restore';
  const timeoutMs = options.timeoutMs ?? 30_000;
  const exec = async (binary: string, args: readonly string[], input = ''): Promise<Result<string, WeftError>> => {
    const r = await run(binary, args, input, timeoutMs);
    return r.code === 0 && !r.spawnError ? ok(r.stdout) : err(failure(binary, args, r));
  };
  return {
    async check() {
      for (const binary of [restore, save]) {
        const r = await exec(binary, ['--version']);
        if (r.ok) continue;
        const e = r.error;
        return err(e.code === AgentErrors.IPTABLES_NOT_AVAILABLE.code ? e : AgentErrors.IPTABLES_NOT_AVAILABLE([binary, e.message], e));
      }
      return ok(undefined);
    },
    saveNat: () => exec(save, ['-t', 'nat']),
    async restore(input) {
      const r = await exec(restore, ['--noflush'], input);
      return r.ok ? ok(undefined) : r;
    },
  };
}
