// Runs Weft binaries as real processes for stories, reading their structured (pino) logs from stderr
// to learn the addresses they bound. Every process is stopped by the story that started it.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from './workspace.js';

export interface RunningProcess {
  readonly child: ChildProcessWithoutNullStreams;
  readonly logs: Record<string, unknown>[];
  /** Addresses by the log message that announced them. */
  readonly addresses: Record<string, string>;
  /** Complete stdout lines so far (access logs go there). */
  readonly stdout: string[];
  stop(): Promise<void>;
}

/**
 * Starts `packages/<pkg>/bin/<binary>.js` and resolves once every message in `waitFor` has been
 * logged with an `address` field (or rejects with the logs so far after 20 s or on exit).
 */
export async function startProcess(pkg: string, binary: string, args: readonly string[], waitFor: readonly string[], env: Record<string, string> = {}): Promise<RunningProcess> {
  const child = spawn(process.execPath, [join(REPO_ROOT, 'packages', pkg, 'bin', `${binary}.js`), ...args], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // Access logs go to stdout; read it all so a full pipe never blocks or drops anything.
  const stdout: string[] = [];
  let partial = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    const lines = (partial + d).split('\n');
    partial = lines.pop() ?? '';
    stdout.push(...lines);
  });
  const logs: Record<string, unknown>[] = [];
  const addresses: Record<string, string> = {};
  let buffered = '';
  const dump = () => `${buffered}${logs.map((l) => JSON.stringify(l)).join('\n')}`;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      // A process that never became ready is not left running behind the failed story.
      child.kill('SIGKILL');
      reject(new Error(`${binary} did not start:\n${dump()}`));
    }, 60_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${binary} exited with ${code}:\n${dump()}`));
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      buffered += d;
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          logs.push(entry);
          if (typeof entry['address'] === 'string') addresses[String(entry['msg'])] = String(entry['address']).replace(/^https?:\/\//, '');
        } catch {
          logs.push({ raw: line });
        }
      }
      if (waitFor.every((m) => addresses[m])) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    child,
    logs,
    addresses,
    stdout,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
