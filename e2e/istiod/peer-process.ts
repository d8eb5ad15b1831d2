// One child process of the istiod story (etcd, kube-apiserver, istiod, pilot-agent): its output kept in a
// bounded buffer for failure messages, readiness polled on a real condition, and a stop that waits for exit.
import { spawn, type ChildProcess } from 'node:child_process';

const KEEP_CHARS = 400_000;

export class PeerProcess {
  private output = '';
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  private constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    const keep = (d: string) => {
      this.output = (this.output + d).slice(-KEEP_CHARS);
    };
    child.stdout?.setEncoding('utf8').on('data', keep);
    child.stderr?.setEncoding('utf8').on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('error', (e) => {
        keep(`\n[${name}] spawn error: ${e.message}\n`);
        this.exitCode = null;
        resolve(null);
      });
      child.once('exit', (code, signal) => {
        keep(`\n[${name}] exited code=${code} signal=${signal}\n`);
        this.exitCode = code;
        resolve(code);
      });
    });
  }

  static start(name: string, command: string, args: readonly string[], env: Record<string, string | undefined>, cwd?: string): PeerProcess {
    const child = spawn(command, args, { env: { ...process.env, ...env }, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    return new PeerProcess(name, child);
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** The output so far (stdout and stderr interleaved, the last 400 000 characters). */
  get logs(): string {
    return this.output;
  }

  tail(chars = 6000): string {
    return this.output.slice(-chars);
  }

  /** Polls `ready` until it returns true; fails with the output if the process exits first or time runs out. */
  async waitReady(what: string, ready: () => Promise<boolean>, timeoutMs: number, everyMs = 250): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`${this.name} exited before ${what}:\n${this.tail()}`);
      try {
        if (await ready()) return;
      } catch (e) {
        last = e;
      }
      await new Promise((r) => setTimeout(r, everyMs));
    }
    throw new Error(`${this.name}: no ${what} within ${timeoutMs} ms${last ? ` (last error: ${String(last)})` : ''}:\n${this.tail()}`);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once the process is gone. */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}
