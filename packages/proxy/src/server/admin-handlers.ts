// The admin API's view of a running proxy: server info, stats, config dump, clusters, controls.
import { statsAsPrometheus } from '../stats/prometheus.js';
import { statsAsJson, statsAsText } from '../stats/text-format.js';
import type { AdminHandlers } from './admin-server.js';
import type { ProxyServer } from './proxy-server.js';

const VERSION = '0.1.0';
const ADMIN = 'envoy.admin.v3';

function filterRegex(filter: string | undefined): RegExp | undefined {
  if (!filter) return undefined;
  try {
    return new RegExp(filter);
  } catch {
    return /$^/; // an invalid regex matches nothing, as Envoy's admin answers an empty list
  }
}

export function adminHandlers(server: ProxyServer): AdminHandlers {
  const { registry, bootstrap, logger } = server.options;
  // A primary's stats include its workers' counters and gauges (summed; histograms stay per process).
  const stats = () => {
    server.refreshGauges();
    return server.options.workers ? server.options.workers.mergedStats(server.stats) : Promise.resolve(server.stats);
  };
  return {
    state: () => server.currentState(),
    serverInfo: () => ({
      version: `weft-proxy/${VERSION}`,
      state: server.currentState(),
      hot_restart_version: 'disabled',
      command_line_options: {
        concurrency: server.options.concurrency ?? 1,
        drain_time: `${server.options.drainTimeS}s`,
        drain_strategy: server.options.drainStrategy === 'gradual' ? 'Gradual' : 'Immediate',
      },
      node: bootstrap.node ? registry.toJson('envoy.config.core.v3.Node', bootstrap.node) : {},
      uptime_current_epoch: `${Math.floor((Date.now() - server.startedAt) / 1000)}s`,
      uptime_all_epochs: `${Math.floor((Date.now() - server.startedAt) / 1000)}s`,
    }),
    statsText: async (filter, usedOnly) => statsAsText(await stats(), { usedOnly: usedOnly ?? false, ...(filterRegex(filter) ? { filter: filterRegex(filter)! } : {}) }),
    statsJson: async (filter, usedOnly) => statsAsJson(await stats(), { usedOnly: usedOnly ?? false, ...(filterRegex(filter) ? { filter: filterRegex(filter)! } : {}) }),
    prometheus: async () => statsAsPrometheus(await stats()),
    configDump: () => {
      const pack = (type: string, value: object) => registry.pack(`${ADMIN}.${type}`, value);
      const clusters = server.clusters.all();
      const configs = [
        pack('BootstrapConfigDump', { bootstrap }),
        pack('ClustersConfigDump', {
          static_clusters: clusters.filter((c) => server.clusters.isStatic(c.name)).map((c) => ({ cluster: registry.pack('envoy.config.cluster.v3.Cluster', c.config) })),
          dynamic_active_clusters: clusters.filter((c) => !server.clusters.isStatic(c.name)).map((c) => ({ cluster: registry.pack('envoy.config.cluster.v3.Cluster', c.config) })),
          dynamic_warming_clusters: server.clusters.warming().map((c) => ({ cluster: registry.pack('envoy.config.cluster.v3.Cluster', c.config) })),
        }),
        pack('ListenersConfigDump', {
          dynamic_listeners: server.listenerConfigs().map((l) => ({ name: l.name, active_state: { listener: registry.pack('envoy.config.listener.v3.Listener', l) } })),
        }),
        pack('RoutesConfigDump', {
          dynamic_route_configs: server.routes.all().map((r) => ({ route_config: registry.pack('envoy.config.route.v3.RouteConfiguration', r) })),
        }),
      ];
      return registry.toJson(`${ADMIN}.ConfigDump`, { configs });
    },
    clustersText: () => {
      // Envoy's /clusters text: `<cluster>::<host:port>::<stat>::<value>` lines per host.
      const lines: string[] = [];
      for (const c of server.clusters.all()) {
        lines.push(`${c.name}::default_priority::max_connections::${c.thresholds.maxConnections}`);
        lines.push(`${c.name}::default_priority::max_pending_requests::${c.thresholds.maxPendingRequests}`);
        lines.push(`${c.name}::default_priority::max_requests::${c.thresholds.maxRequests}`);
        lines.push(`${c.name}::default_priority::max_retries::${c.thresholds.maxRetries}`);
        for (const h of c.allHosts()) {
          const key = `${c.name}::${h.address}:${h.port}`;
          lines.push(`${key}::cx_active::${h.pool.activeConnections()}`);
          lines.push(`${key}::rq_active::${h.active}`);
          lines.push(`${key}::weight::${h.weight}`);
          lines.push(`${key}::health_flags::${h.healthy ? 'healthy' : `${h.failedActiveHc ? '/failed_active_hc' : ''}${h.outlierEjected ? '/failed_outlier_check' : ''}`}`);
          lines.push(`${key}::region::${h.locality.region}`);
          lines.push(`${key}::zone::${h.locality.zone}`);
        }
      }
      return `${lines.join('\n')}\n`;
    },
    clustersJson: () => ({
      cluster_statuses: server.clusters.all().map((c) => ({
        name: c.name,
        added_via_api: !server.clusters.isStatic(c.name),
        host_statuses: c.allHosts().map((h) => ({
          address: { socket_address: { address: h.address, port_value: h.port } },
          weight: h.weight,
          health_status: { eds_health_status: h.healthy ? 'HEALTHY' : 'UNHEALTHY', failed_outlier_check: !h.healthy },
          locality: { region: h.locality.region, zone: h.locality.zone, sub_zone: h.locality.subZone },
        })),
      })),
    }),
    listeners: () => ({
      listener_statuses: server.listeners.names().map((name) => ({ name, local_address: server.listeners.boundAddress(name) })),
    }),
    quit: () => server.options.onQuit(),
    setHealthCheckFailed: (failed) => {
      server.healthCheckFailed = failed;
      server.stats.gauge('server.healthcheck_failed').set(failed ? 1 : 0);
    },
    drainListeners: (request) => server.drainListeners(request),
    setLogLevel: (level) => {
      const map: Record<string, string> = { trace: 'trace', debug: 'debug', info: 'info', warning: 'warn', warn: 'warn', error: 'error', critical: 'fatal', off: 'silent' };
      const l = map[level];
      if (!l) return false;
      logger.level = l;
      return true;
    },
    logLevel: () => logger.level,
  };
}
