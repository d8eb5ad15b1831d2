// The clusters Pilot adds without any service behind them (Istio 1.3): BlackHoleCluster for
// REGISTRY_ONLY and unknown routes, PassthroughCluster for ALLOW_ANY, and the inbound
// passthrough cluster that forwards to the original destination from 127.0.0.6.
import type { Cluster, MeshConfig } from '@weft/api';
import { isIPv4 } from 'node:net';
import type { Proxy } from '../../model/proxy.js';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER_IPV4, PASSTHROUGH_CLUSTER } from '../names.js';
import { protoDuration } from './proto-duration.js';
import { DEFAULT_CONNECT_TIMEOUT } from './traffic-policy.js';

/**
 * Source address of inbound passthrough traffic: iptables lets packets from 127.0.0.6 through
 * instead of capturing them again ("6 is the magical number for inbound": 15006, 127.0.0.6, ::6).
 */
export const INBOUND_PASSTHROUGH_BIND_IPV4 = '127.0.0.6';

type NamedCluster = Cluster & { name: string };

function connectTimeout(mesh: MeshConfig) {
  return protoDuration(mesh.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT) ?? null;
}

/** A STATIC cluster with no endpoints: every connection fails, every request gets 503 (routes use 502 direct responses). */
export function blackHoleCluster(mesh: MeshConfig): NamedCluster {
  return { name: BLACKHOLE_CLUSTER, type: 'STATIC', connect_timeout: connectTimeout(mesh), lb_policy: 'ROUND_ROBIN' };
}

/** Forwards to the destination the connection was originally addressed to (ALLOW_ANY egress). */
export function passthroughCluster(mesh: MeshConfig): NamedCluster {
  return { name: PASSTHROUGH_CLUSTER, type: 'ORIGINAL_DST', connect_timeout: connectTimeout(mesh), lb_policy: 'CLUSTER_PROVIDED' };
}

/** Inbound traffic to ports no service declares, bound to 127.0.0.6; only for proxies with an IPv4 address. */
export function inboundPassthroughClusters(mesh: MeshConfig, proxy: Proxy): NamedCluster[] {
  if (!proxy.ipAddresses.some((ip) => isIPv4(ip))) return [];
  return [
    {
      ...passthroughCluster(mesh),
      name: INBOUND_PASSTHROUGH_CLUSTER_IPV4,
      upstream_bind_config: { source_address: { address: INBOUND_PASSTHROUGH_BIND_IPV4, port_value: 0 } },
    },
  ];
}
