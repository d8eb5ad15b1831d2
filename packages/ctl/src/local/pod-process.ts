// One supervised process of a pod (an app container or the istio-proxy sidecar): started inside the
// pod's network namespace as an unprivileged user, logged to a file, restarted with backoff when it
// dies (restartPolicy Always), stopped with SIGTERM then SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { Logger } from '@weft/base';
import type { ProcessPlan } from './pod-plan.js';

/** `ip netns exec` (namespace and its /etc/netns files) + `setpriv` (user, groups, capabilities). */
export function launchArgv(netns: string, plan: Pick<ProcessPlan, 'uid' | 'caps' | 'argv'>): string[] {
  const caps = plan.caps.length > 0 ? [`--inh-caps=${plan.caps.map((c) => `+${c}`).join(',')}`, `--ambient-caps=${plan.caps.map((c) => `+${c}`).join(',')}`] : [];
  return ['ip', 'netns', 'exec', netns, 'setpriv', `--reuid=${plan.uid}`, `--regid=${plan.uid}`, '--clear-groups', ...caps, '--', ...plan.argv];
}

const BACKOFF_START_MS = 500;
const BACKOFF_MAX_MS = 30_000;

export class PodProcess {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restarts = 0;
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;
  private exitWaiters: (() => void)[] = [];

  constructor(
    readonly netns: string,
    readonly plan: ProcessPlan,
    private readonly logFile: string,
    private readonly log: Logger,
    private readonly onExit: () => void = () => undefined,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get restartCount(): number {
    return this.restarts;
  }

  start(): void {
    if (this.stopping || this.child) return;
    const fd = openSync(this.logFile, 'a');
    const argv = launchArgv(this.netns, this.plan);
    this.startedAt = Date.now();
    const child = spawn(argv[0] as string, argv.slice(1), { cwd: this.plan.cwd, env: { ...this.plan.env }, stdio: ['ignore', fd, fd], detached: true });
    closeSync(fd);
    this.child = child;
    child.on('error', (e) => this.log.error({ err: e, container: this.plan.name }, 'process could not start'));
    child.on('exit', (code, signal) => {
      this.child = undefined;
      for (const w of this.exitWaiters.splice(0)) w();
      if (this.stopping) return;
      // A process that ran a while restarts quickly again; a crash loop backs off (CrashLoopBackOff).
      if (Date.now() - this.startedAt > 60_000) this.restarts = 0;
      const delay = Math.min(BACKOFF_MAX_MS, BACKOFF_START_MS * 2 ** this.restarts);
      this.restarts++;
      this.log.warn({ container: this.plan.name, code, signal, delayMs: delay, log: this.logFile }, 'container exited; restarting');
      this.onExit();
      this.timer = setTimeout(() => this.start(), delay);
    });
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child) return;
    const gone = new Promise<void>((r) => this.exitWaiters.push(r));
    child.kill('SIGTERM');
    const kill = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await gone;
    clearTimeout(kill);
  }

  /** Resolves when the process exits on its own (for the sidecar's drain), or after `timeoutMs`. */
  waitExit(timeoutMs: number): Promise<boolean> {
    if (!this.child) return Promise.resolve(true);
    return new Promise((resolve) => {
      const t = setTimeout(() => resolve(false), timeoutMs);
      this.exitWaiters.push(() => {
        clearTimeout(t);
        resolve(true);
      });
    });
  }
}
