// Runs weft-proxy: writes the bootstrap, starts the process, restarts it with backoff when it dies,
// and stops it on request (SIGTERM, then SIGKILL after parentShutdownDuration).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { moduleLogger, type Logger, type WeftError } from '@weft/base';
import { AgentErrors } from '../errors.js';
import { bootstrapFileName, type Json } from './bootstrap.js';
import { proxyArgs, type LaunchInputs, type ProxyCommand } from './proxy-launch.js';
import { afterFailure, DEFAULT_RESTART_POLICY, type RestartPolicyOptions } from './restart-policy.js';

export interface SupervisorOptions {
  readonly command: ProxyCommand;
  readonly configPath: string;
  readonly bootstrap: { readonly [key: string]: Json };
  readonly launch: LaunchInputs;
  /** The long flags the proxy advertises (only those are passed). */
  readonly accepted: ReadonlySet<string>;
  readonly logger: Logger;
  readonly policy?: RestartPolicyOptions;
}

/** Why supervision ended on its own: the proxy quit cleanly (0), or it kept failing (1). */
export interface SupervisorEnd {
  readonly code: number;
  readonly error?: WeftError;
}

export class ProxySupervisor {
  private readonly log: Logger;
  private readonly policy: RestartPolicyOptions;
  private child: ChildProcess | undefined;
  private startedAt = 0;
  private failures = 0;
  private restartTimer: NodeJS.Timeout | undefined;
  private stopping = false;
  private exited: Promise<void> = Promise.resolve();
  private finish: (end: SupervisorEnd) => void = () => undefined;
  /** Resolves when supervision ends without stop() being called. */
  readonly ended: Promise<SupervisorEnd>;

  constructor(private readonly options: SupervisorOptions) {
    this.log = moduleLogger(options.logger, 'proxy.supervisor');
    this.policy = options.policy ?? DEFAULT_RESTART_POLICY;
    this.ended = new Promise((resolve) => (this.finish = resolve));
  }

  /** True while a proxy process is alive. */
  get running(): boolean {
    return this.child !== undefined;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    void this.launch();
  }

  /**
   * Stops supervising: no more restarts; SIGTERM to the proxy (it drains itself), SIGKILL if it is
   * still alive after `graceMs`. Resolves once it is gone.
   */
  async stop(graceMs: number): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child) return;
    this.log.info({ pid: child.pid, graceMs }, 'stopping proxy (SIGTERM)');
    child.kill('SIGTERM');
    const kill = setTimeout(() => {
      this.log.warn({ pid: child.pid, graceMs }, 'proxy still running after parentShutdownDuration; sending SIGKILL');
      child.kill('SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(kill);
  }

  /** Kills the proxy at once (for process exit paths). */
  killNow(): void {
    this.child?.kill('SIGKILL');
  }

  private async launch(): Promise<void> {
    if (this.stopping) return;
    // Istio's epoch is the latest running epoch + 1; without hot restart none runs here, so 0.
    const epoch = 0;
    const path = join(this.options.configPath, bootstrapFileName(epoch));
    try {
      await mkdir(this.options.configPath, { recursive: true });
      await writeFile(path, `${JSON.stringify(this.options.bootstrap, null, 2)}\n`);
    } catch (e) {
      const error = AgentErrors.PROXY_BOOTSTRAP_WRITE([path, (e as NodeJS.ErrnoException).code ?? (e as Error).message], e);
      this.log.error({ code: error.code, err: e }, error.message);
      this.finish({ code: 1, error });
      return;
    }
    if (this.stopping) return;
    const { args, omitted } = proxyArgs(this.options.launch, path, epoch, this.options.accepted);
    if (omitted.length > 0) this.log.debug({ omitted }, 'flags the proxy does not advertise are not passed');
    const { file, prefix } = this.options.command;
    const child = spawn(file, [...prefix, ...args], { stdio: ['ignore', 'inherit', 'inherit'], detached: true });
    this.child = child;
    this.startedAt = Date.now();
    let done: () => void = () => undefined;
    this.exited = new Promise((resolve) => (done = resolve));
    let spawnError: Error | undefined;
    child.on('error', (e) => {
      spawnError ??= e;
    });
    child.once('spawn', () => this.log.info({ pid: child.pid, epoch, bootstrap: path, args: [...prefix, ...args] }, 'proxy started'));
    child.once('close', (code, signal) => {
      this.child = undefined;
      done();
      this.onExit(code, signal, spawnError);
    });
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null, spawnError: Error | undefined): void {
    const uptimeMs = Date.now() - this.startedAt;
    if (this.stopping) {
      this.log.info({ code, signal, uptimeMs }, 'proxy stopped');
      return;
    }
    const spawnFailure = spawnError ? AgentErrors.PROXY_SPAWN([this.options.command.file, (spawnError as NodeJS.ErrnoException).code ?? spawnError.message], spawnError) : undefined;
    const why = spawnFailure ? `${spawnFailure.message} [${spawnFailure.code}]` : signal ? `signal ${signal}` : `exit code ${code}`;
    this.log.warn({ code, signal, uptimeMs, reason: why }, 'proxy exited');
    if (code === 0 && !spawnError) {
      this.log.info('the proxy quit on its own (exit code 0); pilot-agent exits with it');
      this.finish({ code: 0 });
      return;
    }
    const decision = afterFailure(this.failures, uptimeMs, this.policy);
    this.failures = decision.failures;
    if (decision.action === 'give-up') {
      const error = AgentErrors.PROXY_GAVE_UP([decision.failures, `${this.policy.stableAfterMs}ms`, why]);
      this.log.error({ code: error.code, failures: decision.failures }, error.message);
      this.finish({ code: 1, error });
      return;
    }
    this.log.info({ attempt: decision.attempt, delayMs: decision.delayMs, reason: why }, 'restarting proxy');
    this.restartTimer = setTimeout(() => void this.launch(), decision.delayMs);
  }
}

/** The proxy's --help, read once to learn which Envoy flags it takes; undefined if it cannot be read. */
export function readProxyHelp(command: ProxyCommand, timeoutMs = 15_000): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn(command.file, [...command.prefix, '--help'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', () => {
      clearTimeout(timer);
      resolve(undefined);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve(code === 0 ? out : undefined);
    });
  });
}
