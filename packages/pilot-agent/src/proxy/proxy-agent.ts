// The running agent: status servers, the SDS server, the supervised proxy, and the termination sequence
// (readiness 503 → wait for Pilot to converge → SIGTERM the proxy → SIGKILL after parentShutdownDuration → exit 0).
import type { ProtoRegistry } from '@weft/api';
import { moduleLogger, WeftError, type Logger } from '@weft/base';
import { AgentErrors } from '../errors.js';
import { SdsServer } from '../sds/sds-server.js';
import { AdminClient } from './admin-client.js';
import type { AgentConfig } from './agent-config.js';
import type { Json } from './bootstrap.js';
import { waitForPilotConvergence } from './pilot-drain-wait.js';
import type { ProxyCommand } from './proxy-launch.js';
import { ProxySupervisor } from './proxy-supervisor.js';
import { readiness, type Readiness } from './readiness.js';
import type { RestartPolicyOptions } from './restart-policy.js';
import { StatusServer, type StatusPortKind } from './status-server.js';

export interface ProxyAgentOptions {
  readonly config: AgentConfig;
  readonly bootstrap: { readonly [key: string]: Json };
  readonly command: ProxyCommand;
  readonly accepted: ReadonlySet<string>;
  readonly logger: Logger;
  readonly policy?: RestartPolicyOptions;
  /** Where the status servers bind (0.0.0.0 in a pod). */
  readonly statusHost?: string;
  /** The SDS server for the proxy (the bootstrap's `sds-grpc` cluster names the same socket); none without it. */
  readonly sds?: { readonly socketPath: string; readonly registry: ProtoRegistry; readonly pollIntervalMs?: number };
}

export class ProxyAgent {
  private readonly log: Logger;
  private readonly supervisor: ProxySupervisor;
  private readonly admin: AdminClient;
  private readonly servers: StatusServer[] = [];
  private sds: SdsServer | undefined;
  private draining = false;
  private terminating: Promise<number> | undefined;
  private resolveTerminated: (code: number) => void = () => undefined;
  /** Resolves with the exit code when the termination sequence has finished. */
  private readonly terminated = new Promise<number>((resolve) => (this.resolveTerminated = resolve));
  private readonly onSignal = (signal: NodeJS.Signals) => void this.terminate(signal);
  private readonly onExit = () => this.supervisor.killNow();

  constructor(private readonly options: ProxyAgentOptions) {
    this.log = moduleLogger(options.logger, 'proxy.agent');
    this.admin = new AdminClient(options.config.proxyAdminPort);
    this.supervisor = new ProxySupervisor({
      command: options.command,
      configPath: options.config.configPath,
      bootstrap: options.bootstrap,
      launch: options.config,
      accepted: options.accepted,
      logger: options.logger,
      ...(options.policy ? { policy: options.policy } : {}),
    });
  }

  /** Readiness as the status port answers it. */
  async readiness(): Promise<Readiness> {
    if (this.draining || !this.supervisor.running) return readiness({ draining: this.draining, running: this.supervisor.running });
    const s = await this.admin.sample();
    return readiness({
      draining: this.draining,
      running: this.supervisor.running,
      ...(s.error !== undefined ? { adminError: s.error } : {}),
      ...(s.state !== undefined ? { state: s.state } : {}),
      ...(s.stats ? { stats: s.stats } : {}),
    });
  }

  /** Starts everything; resolves with the exit code once the agent is done. */
  async run(): Promise<number> {
    const { config } = this.options;
    const ports = new Map<number, StatusPortKind>();
    if (config.statusPort > 0) ports.set(config.statusPort, 'status');
    if (config.readinessPort > 0 && !ports.has(config.readinessPort)) ports.set(config.readinessPort, 'readiness');
    const host = this.options.statusHost ?? '0.0.0.0';
    for (const [port, kind] of ports) {
      const server = new StatusServer({ readiness: () => this.readiness(), quit: () => void this.terminate('POST /quitquitquit') }, kind);
      try {
        const address = await server.listen(host, port);
        this.servers.push(server);
        this.log.info({ address, port, kind }, `${kind} server listening`);
      } catch (e) {
        const error = AgentErrors.PROXY_STATUS_LISTEN([kind, `${host}:${port}`, (e as NodeJS.ErrnoException).code ?? (e as Error).message], e);
        this.log.error({ code: error.code }, error.message);
        await this.closeServers();
        return 1;
      }
    }
    await this.startSds();
    process.on('SIGTERM', this.onSignal);
    process.on('SIGINT', this.onSignal);
    process.on('exit', this.onExit);
    this.log.info({ node: config.node.id, role: config.role, discovery: `${config.discovery.host}:${config.discovery.port}` }, 'pilot-agent starting the proxy');
    this.supervisor.start();
    const code = await Promise.race([
      this.supervisor.ended.then((end) => {
        if (this.terminating) return this.terminating;
        return end.code;
      }),
      this.terminated,
    ]);
    process.off('SIGTERM', this.onSignal);
    process.off('SIGINT', this.onSignal);
    process.off('exit', this.onExit);
    await this.closeServers();
    this.log.info({ code }, 'pilot-agent exiting');
    return code;
  }

  /** The termination sequence; a second signal while it runs changes nothing. */
  terminate(cause: string): Promise<number> {
    if (this.terminating) {
      this.log.info({ cause }, 'termination already in progress');
      return this.terminating;
    }
    this.terminating = this.sequence(cause);
    void this.terminating.then((code) => this.resolveTerminated(code));
    return this.terminating;
  }

  private async sequence(cause: string): Promise<number> {
    const { config } = this.options;
    this.draining = true;
    this.log.info({ cause, terminationDrainDurationMs: config.terminationDrainDurationMs }, 'termination started: readiness now answers 503');
    await waitForPilotConvergence({
      pilotDebug: config.pilotDebug,
      instanceIp: config.node.ip,
      nodeId: config.node.id,
      timeoutMs: config.terminationDrainDurationMs,
      logger: this.log,
    });
    await this.supervisor.stop(config.parentShutdownDurationMs);
    return 0;
  }

  /**
   * Starts the SDS server before the proxy, so that its first SDS stream finds the socket. As in
   * Istio, an SDS server that cannot listen does not stop the agent: the error is logged and the proxy
   * runs without the secrets (listeners that need them stay warming until initial_fetch_timeout).
   */
  private async startSds(): Promise<void> {
    const sds = this.options.sds;
    if (!sds) return;
    const server = new SdsServer({ socketPath: sds.socketPath, registry: sds.registry, logger: this.options.logger, ...(sds.pollIntervalMs !== undefined ? { pollIntervalMs: sds.pollIntervalMs } : {}) });
    try {
      await server.start();
      this.sds = server;
    } catch (e) {
      const error = e instanceof WeftError ? e : AgentErrors.SDS_LISTEN([sds.socketPath, (e as Error).message], e);
      this.log.error({ code: error.code, socket: sds.socketPath }, error.message);
      await server.close();
    }
  }

  private async closeServers(): Promise<void> {
    const sds = this.sds;
    this.sds = undefined;
    await Promise.all([...this.servers.splice(0).map((s) => s.close()), sds?.close()]);
  }
}
