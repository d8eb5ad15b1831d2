// tcp_proxy network filters (Istio 1.3 networkfilter.go): one cluster, or weighted clusters from a
// VirtualService TCP/TLS route.
import type { MeshConfig, RouteDestination, TcpProxy, VirtualService } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import type { Service } from '../../model/service.js';
import { destinationCluster } from '../route/destination.js';
import { typedConfig } from '../route/proto-values.js';
import { accessLogs } from './access-log.js';
import { TCP_PROXY, TCP_PROXY_TYPE } from './filter-names.js';
import type { NetworkFilter } from './http-connection-manager.js';

export interface TcpRouteInput {
  readonly mesh: MeshConfig;
  /** The listener (sidecar) or server (gateway) port: the destination port when none is given. */
  readonly port: number;
  readonly service: (hostname: string) => Service | undefined;
}

function filter(proxy: TcpProxy): NetworkFilter {
  return { name: TCP_PROXY, typed_config: typedConfig(TCP_PROXY_TYPE, proxy) };
}

/** tcp_proxy to one cluster; its stat prefix is the cluster name. `log: false` for the black hole. */
export function tcpProxyFilter(mesh: MeshConfig, cluster: string, log = true): NetworkFilter {
  const logs = log ? accessLogs(mesh) : [];
  return filter({ stat_prefix: cluster, cluster, ...(logs.length > 0 ? { access_log: logs } : {}) });
}

/**
 * The filter for a route's destinations: a single destination is a plain cluster; several become
 * weighted clusters (zero weights dropped) with stat prefix `<vsName>.<vsNamespace>`.
 */
export function tcpRouteFilter(routes: readonly RouteDestination[], vs: Config<VirtualService>, input: TcpRouteInput): NetworkFilter {
  const cluster = (r: RouteDestination) => {
    const d = r.destination ?? {};
    return destinationCluster(d, input.service(d.host ?? ''), input.port);
  };
  const first = routes[0];
  if (routes.length === 1 && first) return tcpProxyFilter(input.mesh, cluster(first));
  const clusters = routes.filter((r) => (r.weight ?? 0) > 0).map((r) => ({ name: cluster(r), weight: r.weight ?? 0 }));
  const logs = accessLogs(input.mesh);
  return filter({
    stat_prefix: `${vs.metadata.name}.${vs.metadata.namespace}`,
    weighted_clusters: { clusters },
    ...(logs.length > 0 ? { access_log: logs } : {}),
  });
}
