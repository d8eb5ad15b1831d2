// Entry point of `weft-proxy`: the only place that reads argv and env.
import { loadProtoRegistry } from '@weft/api';
import { createLogger, flag, processIO, runCommand, type Command, type CommandIO } from '@weft/base';
import { loadBootstrap } from './config/bootstrap.js';
import { ProxyServer } from './server/proxy-server.js';

const LEVELS: Record<string, string> = { trace: 'trace', debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', off: 'silent' };

const flags = {
  'config-path': flag('string', 'Envoy v3 bootstrap file (JSON or YAML)', { short: 'c' }),
  'log-level': flag('string', 'log level: trace, debug, info, warning, error, critical, off', { short: 'l', default: 'info' }),
  'drain-time-s': flag('int', 'seconds to let connections drain on shutdown', { default: 600 }),
  'service-cluster': flag('string', 'overrides node.cluster of the bootstrap'),
  'service-node': flag('string', 'overrides node.id of the bootstrap'),
};

export const weftProxy: Command<typeof flags> = {
  name: 'weft-proxy',
  summary: 'weft-proxy: an Envoy-compatible proxy in TypeScript (reads an Envoy v3 bootstrap, obeys xDS)',
  usage: '-c FILE [flags]',
  flags,
  run: async ({ values }, io) => {
    const path = values['config-path'];
    if (!path) {
      io.stderr('weft-proxy: -c FILE (the bootstrap) is required\n');
      return 2;
    }
    const level = LEVELS[values['log-level']];
    if (!level) {
      io.stderr(`weft-proxy: unknown --log-level ${values['log-level']}\n`);
      return 2;
    }
    const registry = loadProtoRegistry();
    const loaded = await loadBootstrap(registry, path);
    if (!loaded.ok) {
      io.stderr(`weft-proxy: ${loaded.error.message} [${loaded.error.code}]\n`);
      return 1;
    }
    const bootstrap = loaded.value;
    if (values['service-cluster'] || values['service-node']) {
      bootstrap.node = { ...(bootstrap.node ?? ({} as NonNullable<typeof bootstrap.node>)), ...(values['service-cluster'] ? { cluster: values['service-cluster'] } : {}), ...(values['service-node'] ? { id: values['service-node'] } : {}) };
    }
    const logger = createLogger({ component: 'proxy', level: level as 'info' });
    let quit: () => void = () => undefined;
    const quitting = new Promise<void>((resolve) => (quit = resolve));
    const server = new ProxyServer({ bootstrap, registry, logger, drainTimeS: values['drain-time-s'], onQuit: () => quit() });
    try {
      await server.start();
    } catch (e) {
      logger.error({ err: e }, 'weft-proxy failed to start');
      return 1;
    }
    process.once('SIGTERM', () => quit());
    process.once('SIGINT', () => quit());
    await quitting;
    logger.info('shutting down');
    await server.stop();
    return 0;
  },
};

export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIO = processIO(env),
): Promise<number> {
  return runCommand(weftProxy as Command, argv, io);
}
