// `pilot-agent proxy` flags (Istio 1.3 names and defaults, plus Weft's) parsed once into a typed config.
import { isIP } from 'node:net';
import { flag, type FlagValues, type WeftError } from '@weft/base';
import { AgentErrors } from '../errors.js';
import { buildNodeIdentity, PROXY_ROLES, type NodeIdentity, type ProxyRole } from './node-identity.js';

export const proxyFlags = {
  discoveryAddress: flag('string', "Pilot's xDS gRPC address (host:port)", { default: 'istio-pilot:15010' }),
  pilotDebugAddress: flag('string', "Pilot's debug HTTP address (host:port), read while draining (default: the discovery host, port 8080)"),
  serviceCluster: flag('string', 'service cluster (node.cluster)', { default: 'istio-proxy' }),
  domain: flag('string', 'DNS domain suffix of the node ID (default: ${POD_NAMESPACE}.svc.cluster.local)'),
  id: flag('string', 'the <pod>.<namespace> part of the node ID (default: ${POD_NAME}.${POD_NAMESPACE})'),
  concurrency: flag('int', 'proxy worker processes (0: the proxy default)', { default: 0 }),
  statusPort: flag('int', 'status server port: /healthz/ready, POST /quitquitquit (0 disables)', { default: 15020 }),
  readinessPort: flag('int', 'second port serving /healthz/ready (0 disables)', { default: 15021 }),
  prometheusPort: flag('int', "the bootstrap's Prometheus listener (/stats/prometheus; 0: none)", { default: 15090 }),
  proxyAdminPort: flag('int', "the proxy's admin port (127.0.0.1)", { default: 15000 }),
  proxyLogLevel: flag('string', 'proxy log level: trace, debug, info, warning, error, critical, off', { default: 'warning' }),
  drainDuration: flag('duration', "how long the proxy drains connections on shutdown (weft-proxy --drain-time-s)", { default: 45_000 }),
  parentShutdownDuration: flag('duration', 'how long the proxy may take to exit after SIGTERM before it is killed', { default: 60_000 }),
  terminationDrainDuration: flag('duration', 'longest wait for Pilot to push this pod\'s removal before the proxy is told to drain (default 5s) [$TERMINATION_DRAIN_DURATION_SECONDS, in seconds]'),
  connectTimeout: flag('duration', 'connect timeout of the xds-grpc cluster', { default: 10_000 }),
  dnsRefreshRate: flag('duration', 'DNS refresh rate of the xds-grpc cluster', { default: 300_000 }),
  templateFile: flag('string', 'bootstrap template (JSON with {{ .name }} placeholders) used instead of the built-in bootstrap'),
  configPath: flag('string', 'directory where envoy-rev<epoch>.json is written', { default: '/etc/istio/proxy' }),
  binaryPath: flag('string', 'weft-proxy to run; a .js file runs with this node (default: weft-proxy on PATH or in node_modules/.bin)'),
  controlPlaneAuthPolicy: flag('string', 'control plane auth policy: NONE (MUTUAL_TLS arrives with Citadel)', { default: 'NONE' }),
  applicationPorts: flag('strings', "the application's ports (accepted; readiness does not depend on them)", { default: [] }),
  log_output_level: flag('string', "pilot-agent's log level in Istio's scope form (default:info; levels debug, info, warn, error, none)", { default: 'default:info' }),
  // Observability only: accepted for Istio compatibility, not enforced (a warning says so).
  zipkinAddress: flag('string', 'Zipkin collector (accepted, not enforced)'),
  statsdUdpAddress: flag('string', 'statsd sink (accepted, not enforced)'),
  envoyMetricsServiceAddress: flag('string', 'Envoy metrics service (accepted, not enforced)'),
  datadogAgentAddress: flag('string', 'Datadog agent (accepted, not enforced)'),
  proxyComponentLogLevel: flag('string', 'per-component proxy log levels (accepted, not enforced)'),
  statNameLength: flag('int', 'maximum stat name length (accepted, not enforced)'),
};

export type ProxyFlagValues = FlagValues<typeof proxyFlags>;

const NOT_ENFORCED = ['zipkinAddress', 'statsdUdpAddress', 'envoyMetricsServiceAddress', 'datadogAgentAddress', 'proxyComponentLogLevel', 'statNameLength'] as const;
const PROXY_LOG_LEVELS = new Set(['trace', 'debug', 'info', 'warning', 'warn', 'error', 'critical', 'off']);
const AGENT_LOG_LEVELS: Readonly<Record<string, AgentLogLevel>> = { debug: 'debug', info: 'info', warn: 'warn', warning: 'warn', error: 'error', fatal: 'fatal', none: 'silent' };
const DEFAULT_TERMINATION_DRAIN_MS = 5000;

export type AgentLogLevel = 'debug' | 'info' | 'warn' | 'error' | 'fatal' | 'silent';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface AgentConfig {
  readonly role: ProxyRole;
  readonly node: NodeIdentity;
  readonly discovery: HostPort;
  readonly pilotDebug: HostPort;
  readonly concurrency: number;
  readonly statusPort: number;
  readonly readinessPort: number;
  readonly prometheusPort: number;
  readonly proxyAdminPort: number;
  readonly proxyLogLevel: string;
  readonly drainDurationMs: number;
  readonly parentShutdownDurationMs: number;
  readonly terminationDrainDurationMs: number;
  readonly connectTimeoutMs: number;
  readonly dnsRefreshRateMs: number;
  readonly templateFile?: string;
  readonly configPath: string;
  readonly binaryPath?: string;
  readonly applicationPorts: readonly number[];
  readonly agentLogLevel: AgentLogLevel;
  /** Observability flags given that the agent does not enforce (logged as a warning). */
  readonly notEnforced: readonly string[];
}

export interface ConfigContext {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The host's first private IPv4 (INSTANCE_IP's fallback). */
  readonly fallbackIp: string;
  readonly istioVersion: string;
  readonly proxySha: string;
}

/** `host:port` or `[v6]:port` with a port in 1..65535. */
export function parseHostPort(text: string): HostPort | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const host = (m[1] ?? m[2]) as string;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  if (m[1] !== undefined && isIP(host) !== 6) return undefined;
  return { host, port };
}

/** Istio's `--log_output_level` (`default:info,ads:debug` or `info`) → the agent's level (the `default` scope's). */
export function parseAgentLogLevel(text: string): AgentLogLevel | undefined {
  const entries = text.split(',').map((s) => s.trim()).filter(Boolean);
  if (entries.length === 0) return undefined;
  let chosen: string | undefined;
  for (const e of entries) {
    const [scope, level] = e.includes(':') ? (e.split(':', 2) as [string, string]) : ['default', e];
    if (!AGENT_LOG_LEVELS[level]) return undefined;
    if (scope === 'default' || chosen === undefined) chosen = level;
  }
  return AGENT_LOG_LEVELS[chosen as string];
}

function portIssue(name: string, port: number, allowZero: boolean): WeftError | undefined {
  if (Number.isInteger(port) && port >= (allowZero ? 0 : 1) && port <= 65535) return undefined;
  return AgentErrors.PROXY_BAD_FLAG([name, `port ${port} is out of range (${allowZero ? '0 disables, ' : ''}1..65535)`]);
}

function terminationDrain(values: ProxyFlagValues, env: ConfigContext['env'], errors: WeftError[]): number {
  if (values.terminationDrainDuration !== undefined) return values.terminationDrainDuration;
  const raw = env['TERMINATION_DRAIN_DURATION_SECONDS'];
  if (raw === undefined || raw === '') return DEFAULT_TERMINATION_DRAIN_MS;
  if (!/^\d+$/.test(raw.trim())) {
    errors.push(AgentErrors.PROXY_BAD_ENV(['TERMINATION_DRAIN_DURATION_SECONDS', `"${raw}" is not a whole number of seconds`]));
    return DEFAULT_TERMINATION_DRAIN_MS;
  }
  return Number(raw.trim()) * 1000;
}

/** Checks every flag and the environment together; all problems are returned at once. */
export function parseAgentConfig(values: ProxyFlagValues, positionals: readonly string[], ctx: ConfigContext): { config?: AgentConfig; errors: WeftError[] } {
  const errors: WeftError[] = [];
  const roleText = positionals[0];
  let role: ProxyRole = 'sidecar';
  if (roleText === undefined) errors.push(AgentErrors.PROXY_NO_ROLE());
  else if (!PROXY_ROLES.includes(roleText as ProxyRole)) errors.push(AgentErrors.PROXY_BAD_ROLE([roleText]));
  else if (positionals.length > 1) errors.push(AgentErrors.PROXY_BAD_ROLE([positionals.join(' ')]));
  else role = roleText as ProxyRole;

  const policy = values.controlPlaneAuthPolicy;
  if (policy !== 'NONE') errors.push(AgentErrors.PROXY_AUTH_POLICY([policy]));

  const discovery = parseHostPort(values.discoveryAddress);
  if (!discovery) errors.push(AgentErrors.PROXY_BAD_FLAG(['discoveryAddress', `"${values.discoveryAddress}" is not host:port`]));
  let pilotDebug: HostPort | undefined = discovery ? { host: discovery.host, port: 8080 } : undefined;
  if (values.pilotDebugAddress !== undefined) {
    pilotDebug = parseHostPort(values.pilotDebugAddress);
    if (!pilotDebug) errors.push(AgentErrors.PROXY_BAD_FLAG(['pilotDebugAddress', `"${values.pilotDebugAddress}" is not host:port`]));
  }

  for (const [name, allowZero] of [['statusPort', true], ['readinessPort', true], ['prometheusPort', true], ['proxyAdminPort', false]] as const) {
    const issue = portIssue(name, values[name], allowZero);
    if (issue) errors.push(issue);
  }
  const admin = values.proxyAdminPort;
  for (const name of ['statusPort', 'readinessPort', 'prometheusPort'] as const) {
    if (values[name] === admin) errors.push(AgentErrors.PROXY_BAD_FLAG([name, `port ${admin} is also --proxyAdminPort`]));
  }
  if (values.prometheusPort !== 0 && (values.prometheusPort === values.statusPort || values.prometheusPort === values.readinessPort)) {
    errors.push(AgentErrors.PROXY_BAD_FLAG(['prometheusPort', `port ${values.prometheusPort} is also a status port`]));
  }
  if (!Number.isInteger(values.concurrency) || values.concurrency < 0) errors.push(AgentErrors.PROXY_BAD_FLAG(['concurrency', 'must be 0 (the proxy default) or more']));
  if (!PROXY_LOG_LEVELS.has(values.proxyLogLevel)) errors.push(AgentErrors.PROXY_BAD_FLAG(['proxyLogLevel', `unknown level "${values.proxyLogLevel}" (trace, debug, info, warning, error, critical, off)`]));
  const agentLogLevel = parseAgentLogLevel(values.log_output_level);
  if (!agentLogLevel) errors.push(AgentErrors.PROXY_BAD_FLAG(['log_output_level', `"${values.log_output_level}" is not scope:level,... with levels debug, info, warn, error, none`]));
  for (const name of ['drainDuration', 'parentShutdownDuration', 'terminationDrainDuration', 'connectTimeout', 'dnsRefreshRate'] as const) {
    const v = values[name];
    if (v !== undefined && v < 0) errors.push(AgentErrors.PROXY_BAD_FLAG([name, 'must not be negative']));
  }
  if (values.connectTimeout <= 0) errors.push(AgentErrors.PROXY_BAD_FLAG(['connectTimeout', 'must be positive']));
  const terminationDrainDurationMs = terminationDrain(values, ctx.env, errors);

  const applicationPorts: number[] = [];
  for (const p of values.applicationPorts) {
    const n = /^\d+$/.test(p) ? Number(p) : NaN;
    if (!(n >= 1 && n <= 65535)) errors.push(AgentErrors.PROXY_BAD_FLAG(['applicationPorts', `"${p}" is not a port`]));
    else applicationPorts.push(n);
  }

  const built = buildNodeIdentity({
    role,
    serviceCluster: values.serviceCluster,
    ...(values.domain ? { domain: values.domain } : {}),
    ...(values.id ? { id: values.id } : {}),
    env: ctx.env,
    fallbackIp: ctx.fallbackIp,
    istioVersion: ctx.istioVersion,
    proxySha: ctx.proxySha,
  });
  errors.push(...built.errors);
  if (errors.length > 0 || !built.node || !discovery || !pilotDebug || !agentLogLevel) return { errors };

  return {
    errors,
    config: {
      role,
      node: built.node,
      discovery,
      pilotDebug,
      concurrency: values.concurrency,
      statusPort: values.statusPort,
      readinessPort: values.readinessPort,
      prometheusPort: values.prometheusPort,
      proxyAdminPort: values.proxyAdminPort,
      proxyLogLevel: values.proxyLogLevel,
      drainDurationMs: values.drainDuration,
      parentShutdownDurationMs: values.parentShutdownDuration,
      terminationDrainDurationMs,
      connectTimeoutMs: values.connectTimeout,
      dnsRefreshRateMs: values.dnsRefreshRate,
      ...(values.templateFile ? { templateFile: values.templateFile } : {}),
      configPath: values.configPath,
      ...(values.binaryPath ? { binaryPath: values.binaryPath } : {}),
      applicationPorts,
      agentLogLevel,
      notEnforced: NOT_ENFORCED.filter((n) => values[n] !== undefined && values[n] !== ''),
    },
  };
}
