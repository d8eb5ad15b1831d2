// Entry point of `weft-proxy`: the only place that reads argv and env.
import cluster from 'node:cluster';
import { loadProtoRegistry } from '@weft/api';
import { createLogger, flag, processIO, runCommand, type Command, type CommandIO } from '@weft/base';
import { loadBootstrap } from './config/bootstrap.js';
import { DRAIN_STRATEGIES, type DrainStrategy } from './listener/drain-strategy.js';
import { AdsRelay, serveWorkerChannel } from './server/ads-relay.js';
import { ProxyServer, type ProxyServerOptions } from './server/proxy-server.js';
import { SHARED_FD_ENV, WORKER_COUNT_ENV, WORKER_SLOT_ENV, WorkerPool } from './server/worker-pool.js';
import { PrimarySlots, WorkerSlots } from './server/cluster-slots.js';
import type { ToPrimary } from './server/ipc.js';
import { createRegion, openRegion, sharedMemoryUnavailable } from './upstream/shared-counters.js';
import { statStoreOptionsFromConfig } from './stats/stats-config.js';

const LEVELS: Record<string, string> = { trace: 'trace', debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', off: 'silent' };

/** After shutdown, how long the event loop may take to empty before the process exits regardless. */
const EXIT_GRACE_MS = 2_000;

/** A worker's message to its primary; dropped once the channel is gone (shutdown). */
function toPrimary(m: ToPrimary): void {
  if (process.connected) process.send?.(m);
}

const flags = {
  'config-path': flag('string', 'Envoy v3 bootstrap file (JSON or YAML)', { short: 'c' }),
  'log-level': flag('string', 'log level: trace, debug, info, warning, error, critical, off', { short: 'l', default: 'info' }),
  'drain-time-s': flag('int', 'seconds connections may drain on shutdown (SIGTERM, /quitquitquit) before the rest are closed; the proxy exits as soon as none is left', { default: 600 }),
  'drain-strategy': flag('string', 'immediate: every connection is asked to close when the drain starts; gradual: a share growing over the drain time', { default: 'immediate' }),
  'service-cluster': flag('string', 'overrides node.cluster of the bootstrap'),
  'service-node': flag('string', 'overrides node.id of the bootstrap'),
  concurrency: flag('int', 'worker processes serving traffic; with N > 1 a primary process holds the one ADS stream and the admin API', { default: 1 }),
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
    const concurrency = values.concurrency;
    if (!Number.isInteger(concurrency) || concurrency < 1) {
      io.stderr(`weft-proxy: --concurrency must be a positive integer\n`);
      return 2;
    }
    const drainTimeS = values['drain-time-s'];
    if (!Number.isInteger(drainTimeS) || drainTimeS < 0) {
      io.stderr(`weft-proxy: --drain-time-s must be a non-negative integer\n`);
      return 2;
    }
    const drainStrategy = values['drain-strategy'] as DrainStrategy;
    if (!DRAIN_STRATEGIES.includes(drainStrategy)) {
      io.stderr(`weft-proxy: --drain-strategy must be one of ${DRAIN_STRATEGIES.join(', ')}\n`);
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
    let logger = createLogger({ component: 'proxy', level: level as 'info' });
    let quit: () => void = () => undefined;
    const quitting = new Promise<void>((resolve) => (quit = resolve));
    const flush = bootstrap.stats_flush_interval;
    const statsFlushMs = flush ? Number(flush.seconds ?? 0) * 1000 + Math.floor((flush.nanos ?? 0) / 1e6) : undefined;
    const base: ProxyServerOptions = { bootstrap, registry, logger, drainTimeS, drainStrategy, concurrency, onQuit: () => quit(), ...(statsFlushMs ? { statsFlushMs } : {}) };
    const staticClusters = bootstrap.static_resources?.clusters?.length ?? 0;
    let server: ProxyServer;
    let pool: WorkerPool | undefined;
    let relay: AdsRelay | undefined;
    let workerSlots: WorkerSlots | undefined;
    if (cluster.isWorker) {
      const index = Number(io.env[WORKER_SLOT_ENV] ?? cluster.worker?.id);
      logger = logger.child({ worker: index });
      relay = new AdsRelay();
      const sharedFd = io.env[SHARED_FD_ENV];
      if (sharedFd !== undefined) {
        const arena = openRegion(Number(sharedFd), Number(io.env[WORKER_COUNT_ENV]));
        workerSlots = new WorkerSlots(arena, index, staticClusters, (slot) => toPrimary({ kind: 'slot_released', slot }));
      }
      server = new ProxyServer({
        ...base,
        logger,
        role: 'worker',
        relay,
        ...(workerSlots ? { clusterSlots: workerSlots } : {}),
        onFirstTraffic: (name) => toPrimary({ kind: 'traffic', cluster: name }),
        reportOutliers: (name, results) => toPrimary({ kind: 'outlier', cluster: name, results }),
      });
    } else if (concurrency > 1) {
      // Must precede the first fork: the kernel, not the primary, spreads connections over the workers.
      cluster.schedulingPolicy = cluster.SCHED_NONE;
      const statOptions = statStoreOptionsFromConfig(bootstrap.stats_config).value ?? {};
      // Circuit breakers hold for the whole process, as in Envoy: the workers share their counts.
      const region = createRegion(concurrency);
      const slots = region ? new PrimarySlots(region.arena, staticClusters, logger) : undefined;
      if (!region) logger.warn({ reason: sharedMemoryUnavailable() }, 'shared memory is unavailable: circuit-breaker limits apply per worker');
      pool = new WorkerPool({ count: concurrency, registry, logger, statOptions, needsXds: Boolean(bootstrap.dynamic_resources?.ads_config), drainTimeS, ...(region && slots ? { shared: { fd: region.fd, slots } } : {}) });
      server = new ProxyServer({ ...base, role: 'primary', workers: pool, ...(slots ? { clusterSlots: slots } : {}) });
    } else {
      server = new ProxyServer(base);
    }
    try {
      await server.start();
    } catch (e) {
      logger.error({ err: e }, 'weft-proxy failed to start');
      return 1;
    }
    if (relay) {
      serveWorkerChannel({ server, relay, registry, logger, onDrain: () => quit(), ...(workerSlots ? { slots: workerSlots } : {}) });
      // Orphaned (the primary died): drain and go, rather than serve config nobody updates.
      process.once('disconnect', () => quit());
      // An interactive ^C reaches the whole process group; the primary coordinates the workers' drain.
      process.on('SIGINT', () => undefined);
    } else {
      pool?.start();
      process.once('SIGINT', () => quit());
    }
    process.once('SIGTERM', () => quit());
    await quitting;
    logger.info('shutting down');
    // DRAINING at once (the primary's /ready answers 503 while its workers drain).
    server.startDrain();
    await pool?.stop();
    await server.stop();
    // A worker's IPC channel would keep it alive.
    if (relay && process.connected) process.disconnect();
    // Everything is closed; should a handle still hold the event loop, exit anyway rather than linger.
    setTimeout(() => {
      logger.warn('handles still open after shutdown; exiting');
      process.exit(0);
    }, EXIT_GRACE_MS).unref();
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
