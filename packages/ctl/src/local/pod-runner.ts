// Runs one pod from its plan, as kubelet would: its network namespace on the node's bridge, its
// hosts file, the capture step (istio-init) when injected, then the sidecar and the app containers,
// readiness probing, and a graceful termination that drains the sidecar before the apps stop.
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { moduleLogger, type Logger } from '@weft/base';
import { mustRun, netnsPids } from './host-commands.js';
import type { NodeNetwork } from './node-network.js';
import { PodProcess } from './pod-process.js';
import type { PodPlan } from './pod-plan.js';
import { httpProbe, runProbe } from './probes.js';

export type PodPhase = 'Pending' | 'Running' | 'Terminating' | 'Failed' | 'Gone';

export interface PodRunnerOptions {
  readonly plan: PodPlan;
  readonly netns: string;
  readonly network: NodeNetwork;
  readonly logDir: string;
  readonly hosts: () => string;
  readonly logger: Logger;
  /** Called whenever readiness or phase changes. */
  readonly onChange: () => void;
  readonly terminationGraceSeconds: number;
  /** Kept so a restarting pod keeps probing at this pace. */
  readonly probeIntervalMs?: number;
}

export class PodRunner {
  phase: PodPhase = 'Pending';
  ready = false;
  /** Why the pod failed to start, for status. */
  reason = '';
  private sidecar: PodProcess | undefined;
  private readonly apps: PodProcess[] = [];
  private probeTimer: NodeJS.Timeout | undefined;
  private readonly failures = new Map<string, number>();
  private readonly log: Logger;
  private readonly everReady = new Set<string>();

  constructor(readonly options: PodRunnerOptions) {
    this.log = moduleLogger(options.logger, 'local.pod').child({ pod: `${options.plan.identity.namespace}/${options.plan.identity.name}` });
  }

  get name(): string {
    return this.options.plan.identity.name;
  }

  get namespace(): string {
    return this.options.plan.identity.namespace;
  }

  get ip(): string {
    return this.options.plan.identity.ip;
  }

  /** Containers ready / total, as kubectl's READY column (the sidecar counts as a container). */
  readyCount(): { ready: number; total: number } {
    const total = this.options.plan.containers.length + (this.options.plan.sidecar ? 1 : 0);
    if (this.phase !== 'Running') return { ready: 0, total };
    const names = [...this.options.plan.containers.map((c) => c.name), ...(this.options.plan.sidecar ? ['istio-proxy'] : [])];
    return { ready: names.filter((n) => this.everReady.has(n) && (this.failures.get(n) ?? 0) === 0).length, total };
  }

  restarts(): number {
    return [...this.apps, ...(this.sidecar ? [this.sidecar] : [])].reduce((n, p) => n + p.restartCount, 0);
  }

  async start(): Promise<void> {
    const { plan, netns, network } = this.options;
    try {
      await network.addPod(netns, plan.identity.ip);
      await network.writeHosts(netns, this.options.hosts());
      await mkdir(this.options.logDir, { recursive: true });
      // istio-init: runs to completion (as root, with NET_ADMIN in the pod's namespace) before any container starts.
      if (plan.capture) await mustRun(['ip', 'netns', 'exec', netns, ...plan.capture]);
      if (plan.sidecar) {
        // Its bootstrap dir and its working directory (where pilot-agent makes its SDS socket) are the proxy user's.
        for (const dir of [plan.sidecar.configDir, plan.sidecar.cwd]) {
          await mkdir(dir, { recursive: true });
          await mustRun(['chown', `${plan.sidecar.uid}:${plan.sidecar.uid}`, dir]);
        }
        this.sidecar = new PodProcess(netns, plan.sidecar, join(this.options.logDir, 'istio-proxy.log'), this.log, () => this.probeSoon());
        this.sidecar.start();
      }
      for (const c of plan.containers) {
        const p = new PodProcess(netns, c, join(this.options.logDir, `${c.name}.log`), this.log, () => this.probeSoon());
        this.apps.push(p);
        p.start();
      }
      this.phase = 'Running';
      this.log.info({ ip: plan.identity.ip, injected: plan.injected }, 'pod started');
      this.options.onChange();
      this.probeSoon();
    } catch (e) {
      this.phase = 'Failed';
      this.reason = (e as Error).message;
      this.log.error({ err: e }, 'pod failed to start');
      this.options.onChange();
    }
  }

  private probeSoon(): void {
    if (this.probeTimer) clearTimeout(this.probeTimer);
    if (this.phase !== 'Running') return;
    // Probe quickly until ready, then at each probe's period (kubelet's default 10 s is too slow to start a demo).
    const interval = this.ready ? (this.options.probeIntervalMs ?? 2000) : 250;
    this.probeTimer = setTimeout(() => void this.probe(), interval);
  }

  private async probe(): Promise<void> {
    if (this.phase !== 'Running') return;
    const { plan } = this.options;
    const ip = plan.identity.ip;
    const checks: Promise<[string, boolean]>[] = plan.containers.map(async (c, i): Promise<[string, boolean]> => {
      const running = this.apps[i]?.running ?? false;
      if (!running) return [c.name, false];
      return [c.name, c.readinessProbe ? await runProbe(ip, c.readinessProbe, c.ports) : true];
    });
    if (plan.sidecar) {
      const port = plan.sidecar.statusPort;
      checks.push((async (): Promise<[string, boolean]> => ['istio-proxy', (this.sidecar?.running ?? false) && (port === 0 || (await httpProbe(ip, port, '/healthz/ready', 1000)))])());
    }
    const results = await Promise.all(checks);
    if (this.phase !== 'Running') return;
    for (const [name, ok] of results) {
      if (ok) {
        this.everReady.add(name);
        this.failures.set(name, 0);
      } else {
        this.failures.set(name, (this.failures.get(name) ?? 0) + 1);
      }
    }
    // Ready when every container has passed; a ready pod turns unready after 3 failures in a row.
    const ready = results.every(([name, ok]) => ok || (this.ready && this.everReady.has(name) && (this.failures.get(name) ?? 0) < 3));
    if (ready !== this.ready) {
      this.ready = ready;
      this.log.info({ ready }, ready ? 'pod ready' : 'pod not ready');
      this.options.onChange();
    }
    this.probeSoon();
  }

  /**
   * Graceful termination (the caller has already taken the pod out of the endpoints): the sidecar
   * gets SIGTERM first and drains (pilot-agent waits for Pilot to push the endpoint removal, then the
   * proxy finishes what is in flight); the app containers get SIGTERM once it is gone, so they never
   * see a request after their own SIGTERM; whatever is left at the grace period's end is killed.
   */
  async terminate(): Promise<void> {
    if (this.phase === 'Terminating' || this.phase === 'Gone') return;
    const graceMs = this.options.terminationGraceSeconds * 1000;
    const deadline = Date.now() + graceMs;
    this.phase = 'Terminating';
    this.ready = false;
    if (this.probeTimer) clearTimeout(this.probeTimer);
    this.options.onChange();
    this.log.info({ graceSeconds: this.options.terminationGraceSeconds }, 'pod terminating');
    if (this.sidecar) await this.sidecar.stop(Math.max(0, deadline - Date.now()));
    await Promise.all(this.apps.map((a) => a.stop(Math.max(1000, deadline - Date.now()))));
    for (const pid of await netnsPids(this.options.netns)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await this.options.network.removePod(this.options.netns);
    this.phase = 'Gone';
    this.log.info('pod gone');
    this.options.onChange();
  }
}
