// `pilot-agent proxy sidecar|router`: parse flags and env once, build the bootstrap, find weft-proxy,
// then run the agent (status servers, SDS server, supervised proxy, termination sequence).
import { accessSync, constants, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { networkInterfaces } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadProtoRegistry } from '@weft/api';
import { createLogger, moduleLogger, type Command, type CommandIO, type WeftError } from '@weft/base';
import { AgentErrors } from '../errors.js';
import { parseAgentConfig, proxyFlags, type AgentConfig } from './agent-config.js';
import { sdsSocketPath } from '../sds/sds-socket.js';
import { buildBootstrap, type BootstrapInputs, type Json } from './bootstrap.js';
import { renderTemplate, templateValues } from './bootstrap-template.js';
import { ProxyAgent } from './proxy-agent.js';
import { advertisedFlags, BASELINE_FLAGS, binaryCandidates, proxyCommand as commandFor, type ProxyCommand } from './proxy-launch.js';
import { readProxyHelp } from './proxy-supervisor.js';

/** The package root (dist/proxy/ → ../../), for its version and node_modules/.bin. */
const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(resolve(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version?: string }).version ?? '0.0.0';
  } catch {
    return '0.0.0';
  }
}

/** The host's first non-loopback IPv4, as Istio falls back to the private IPs without INSTANCE_IP. */
function firstPrivateIp(): string {
  for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  return '127.0.0.1';
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** --binaryPath, or the first weft-proxy on PATH or in a node_modules/.bin next to pilot-agent. */
function findProxy(config: AgentConfig, env: CommandIO['env']): { command?: ProxyCommand; error?: WeftError } {
  if (config.binaryPath) {
    const path = resolve(config.binaryPath);
    try {
      accessSync(path, constants.R_OK);
    } catch (e) {
      return { error: AgentErrors.PROXY_BINARY_NOT_FOUND([`--binaryPath ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`]) };
    }
    return { command: commandFor(path, process.execPath) };
  }
  const binDirs = [
    ...(process.argv[1] ? [dirname(process.argv[1])] : []),
    resolve(PACKAGE_ROOT, 'node_modules', '.bin'),
    resolve(PACKAGE_ROOT, '..', '..', 'node_modules', '.bin'),
    resolve(PACKAGE_ROOT, '..', '..', '.bin'),
  ];
  const candidates = binaryCandidates(env['PATH'], binDirs);
  const found = candidates.find(executable);
  if (!found) return { error: AgentErrors.PROXY_BINARY_NOT_FOUND([`no weft-proxy in ${candidates.join(', ')}; give --binaryPath`]) };
  return { command: commandFor(found, process.execPath) };
}

async function bootstrapFor(config: AgentConfig, inputs: BootstrapInputs): Promise<{ bootstrap?: { [key: string]: Json }; errors: WeftError[] }> {
  if (!config.templateFile) return { bootstrap: buildBootstrap(inputs), errors: [] };
  let text: string;
  try {
    text = await readFile(config.templateFile, 'utf8');
  } catch (e) {
    return { errors: [AgentErrors.PROXY_TEMPLATE_READ([config.templateFile, (e as NodeJS.ErrnoException).code ?? (e as Error).message], e)] };
  }
  return renderTemplate(config.templateFile, text, templateValues(inputs));
}

/** Startup failures are printed as CLI errors (message and code), before anything runs. */
function report(io: CommandIO, errors: readonly WeftError[]): void {
  for (const e of errors) io.stderr(`pilot-agent proxy: ${e.message} [${e.code}]\n`);
}

export const proxyCommand: Command<typeof proxyFlags> = {
  name: 'proxy',
  summary: 'Run weft-proxy as a sidecar or router: bootstrap, supervise, readiness, drain',
  usage: 'sidecar|router [flags]',
  flags: proxyFlags,
  run: async ({ values, positionals }, io) => {
    const version = packageVersion();
    const parsed = parseAgentConfig(values, positionals, { env: io.env, fallbackIp: firstPrivateIp(), istioVersion: `1.3.0-weft.${version}`, proxySha: `weft-proxy:${version}` });
    if (!parsed.config) {
      report(io, parsed.errors);
      return 2;
    }
    const config = parsed.config;
    const logger = createLogger({ component: 'pilot-agent', level: config.agentLogLevel });
    const log = moduleLogger(logger, 'proxy.command');
    for (const flagName of config.notEnforced) log.warn({ flag: `--${flagName}` }, 'flag accepted but not enforced (observability only)');
    const found = findProxy(config, io.env);
    if (!found.command) {
      report(io, [found.error!]);
      return 1;
    }
    // Istio's SDS socket, relative to the working directory (`/` in a container); no flag or variable changes it.
    const socket = sdsSocketPath(process.cwd());
    if (!socket.ok) {
      report(io, [socket.error]);
      return 1;
    }
    const built = await bootstrapFor(config, { ...config, sdsSocketPath: socket.path });
    if (!built.bootstrap) {
      report(io, built.errors);
      return 1;
    }
    const help = await readProxyHelp(found.command);
    if (help === undefined) log.warn({ proxy: found.command.prefix.at(-1) ?? found.command.file }, 'cannot read the proxy --help; passing only the baseline flags');
    const accepted = help === undefined ? BASELINE_FLAGS : advertisedFlags(help);
    const sds = { socketPath: socket.path, registry: loadProtoRegistry() };
    return new ProxyAgent({ config, bootstrap: built.bootstrap, command: found.command, accepted, logger, sds }).run();
  },
};
