// Entry point of `pilot-discovery`: the only place that reads argv and env.
import { readFile } from 'node:fs/promises';
import { formatIssue, validateMeshConfig, type MeshConfig } from '@weft/api';
import { createLogger, flag, processIO, runCommand, type Command, type CommandIO } from '@weft/base';
import { parse as parseYaml } from 'yaml';
import { parseListenAddress } from './listen-address.js';
import { ServiceEntryRegistry } from './registry/service-entry-registry.js';
import { PilotServer } from './server.js';
import { FileConfigSource } from './sources/file-source.js';
import { defaultGenerators } from './xds/default-generators.js';

const discoveryFlags = {
  configDir: flag('string', 'directory of Istio config YAML to serve, watched for changes'),
  meshConfig: flag('string', 'file with the mesh config (MeshConfig YAML); Istio 1.3 defaults when unset'),
  grpcAddr: flag('string', 'address of the plaintext ADS (xDS v3) gRPC server', { default: ':15010' }),
  httpAddr: flag('string', 'address of the debug HTTP server (/ready, /debug/*)', { default: ':8080' }),
  monitoringAddr: flag('string', 'address of the monitoring HTTP server (/metrics)', { default: ':15014' }),
  domain: flag('string', 'DNS domain suffix of the cluster', { default: 'cluster.local' }),
  registries: flag('strings', 'service registries to read (ServiceEntry)', { default: ['ServiceEntry'] }),
  debounceAfter: flag('duration', 'quiet period before a push', { default: 100, env: 'PILOT_DEBOUNCE_AFTER' }),
  debounceMax: flag('duration', 'longest a change waits for a push', { default: 10_000, env: 'PILOT_DEBOUNCE_MAX' }),
  maxRequestsPerSecond: flag('int', 'new xDS streams admitted per second (a reconnect storm waits its turn); 0: no limit', { default: 0, env: 'PILOT_MAX_REQUESTS_PER_SECOND' }),
  pushThrottle: flag('int', 'responses in flight at once across all streams (the rest wait in order); 0: no limit', { default: 100, env: 'PILOT_PUSH_THROTTLE' }),
  log_output_level: flag('string', 'log level: debug, info, warn, error (Istio form "default:info" accepted)', { default: 'default:info' }),
};

async function loadMesh(path: string | undefined, io: CommandIO): Promise<MeshConfig | undefined> {
  let raw: unknown = {};
  if (path) {
    try {
      raw = parseYaml(await readFile(path, 'utf8')) ?? {};
    } catch (e) {
      io.stderr(`pilot-discovery: cannot read --meshConfig ${path}: ${(e as Error).message}\n`);
      return undefined;
    }
  }
  const r = validateMeshConfig(raw, path ? { source: path } : {});
  if (r.errors.length > 0 || !r.meshConfig) {
    io.stderr(`pilot-discovery: invalid mesh config:\n${r.errors.map((e) => `  ${formatIssue(e)}`).join('\n')}\n`);
    return undefined;
  }
  return r.meshConfig;
}

const discovery: Command<typeof discoveryFlags> = {
  name: 'discovery',
  summary: 'Start Pilot: serve Istio config as Envoy xDS v3 over ADS (SotW and Delta)',
  flags: discoveryFlags,
  run: async ({ values }, io) => {
    const addrs = { grpcAddr: values.grpcAddr, httpAddr: values.httpAddr, monitoringAddr: values.monitoringAddr };
    const parsed = Object.fromEntries(Object.entries(addrs).map(([k, v]) => [k, parseListenAddress(v)]));
    const bad = Object.entries(parsed).filter(([, v]) => !v).map(([k]) => k);
    if (bad.length > 0) {
      io.stderr(`pilot-discovery: invalid address for ${bad.map((b) => `--${b}`).join(', ')} (want host:port or :port)\n`);
      return 2;
    }
    const unknown = values.registries.filter((r) => r !== 'ServiceEntry');
    if (unknown.length > 0) {
      io.stderr(`pilot-discovery: unsupported --registries ${unknown.join(',')} (supported: ServiceEntry)\n`);
      return 2;
    }
    if (!values.configDir) {
      io.stderr('pilot-discovery: --configDir is required (the only config source so far)\n');
      return 2;
    }
    const mesh = await loadMesh(values.meshConfig, io);
    if (!mesh) return 1;
    const level = values.log_output_level.split(',').map((s) => s.split(':').pop() ?? 'info').pop() ?? 'info';
    const logger = createLogger({ component: 'pilot', level: level as 'info' });
    const server = new PilotServer({
      logger,
      mesh,
      domainSuffix: values.domain,
      source: new FileConfigSource({ dir: values.configDir, logger }),
      registries: [new ServiceEntryRegistry()],
      generators: defaultGenerators(),
      grpcAddr: parsed['grpcAddr']!,
      httpAddr: parsed['httpAddr']!,
      monitoringAddr: parsed['monitoringAddr']!,
      debounceAfterMs: values.debounceAfter,
      maxNewStreamsPerSecond: values.maxRequestsPerSecond,
      maxConcurrentWrites: values.pushThrottle,
      debounceMaxMs: values.debounceMax,
    });
    try {
      await server.start();
    } catch (e) {
      logger.error({ err: e }, 'pilot-discovery failed to start');
      return 1;
    }
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
    });
    logger.info('shutting down');
    await server.stop();
    return 0;
  },
};

export const pilotDiscovery: Command = {
  name: 'pilot-discovery',
  summary: 'Pilot: Istio config and the service registry, served as Envoy xDS v3',
  subcommands: [discovery as Command],
};

export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIO = processIO(env),
): Promise<number> {
  return runCommand(pilotDiscovery, argv, io);
}
