// Helpers for stories: where the repository is, and running a built binary as a real process.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node_modules/.bin/<binary>` (what `npx <binary>` runs) from the repository root. */
export function runBinary(binary: string, args: readonly string[], input?: string): Promise<RunResult> {
  return run(join(REPO_ROOT, 'node_modules', '.bin', binary), args, input);
}

export function run(command: string, args: readonly string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NX_DAEMON: 'false' } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    // A command that exits without reading its stdin closes the pipe first (EPIPE): not an error here.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** The longest one check of waitFor may take before it counts as failed and is tried again. */
const CHECK_TIMEOUT_MS = 10_000;

/** Polls `check` until it returns true (or throws the last error) within `timeoutMs`; for hooks, where expect.poll is unavailable. */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    // One check that never settles (a request nobody answers) must not use up the whole wait.
    let timer: NodeJS.Timeout | undefined;
    const stuck = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`a check took more than ${CHECK_TIMEOUT_MS} ms`)), Math.min(CHECK_TIMEOUT_MS, Math.max(1, end - Date.now())));
    });
    try {
      if (await Promise.race([check(), stuck])) return;
    } catch (e) {
      last = e;
    } finally {
      clearTimeout(timer);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}
