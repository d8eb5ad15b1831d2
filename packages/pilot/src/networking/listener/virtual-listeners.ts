// The two capture listeners iptables redirects to (Istio 1.3 listener_builder.go): `virtualOutbound`
// on 15001 hands connections to the per-port listeners by original destination, else passthrough or
// black hole; `virtualInbound` on 15006 serves the workload ports and passes the rest through.
import type { Listener } from '@weft/api';
import type { GeneratorContext } from '../generator.js';
import { BLACKHOLE_CLUSTER, INBOUND_PASSTHROUGH_CLUSTER_IPV4, PASSTHROUGH_CLUSTER, VIRTUAL_INBOUND_LISTENER, VIRTUAL_OUTBOUND_LISTENER } from '../names.js';
import { VIRTUAL_INBOUND_PORT } from './filter-names.js';
import { filterChain, needsTlsInspector, originalDst, socketAddress, tlsInspector } from './listener-build.js';
import { inboundFilterChain, inboundPorts } from './sidecar-inbound-chains.js';
import { tcpProxyFilter } from './tcp-proxy.js';
import { WILDCARD_ADDRESS } from './sidecar-outbound-listeners.js';

/** MeshConfig.proxyListenPort's default. */
export const DEFAULT_PROXY_LISTEN_PORT = 15001;

/**
 * 0.0.0.0:15001 with use_original_dst. Its only chain catches what no per-port listener claims:
 * PassthroughCluster for ALLOW_ANY (access logged), BlackHoleCluster for REGISTRY_ONLY.
 */
export function virtualOutboundListener(ctx: GeneratorContext): Listener & { name: string } {
  const allowAny = (ctx.scope.outboundTrafficPolicy.mode ?? 'ALLOW_ANY') === 'ALLOW_ANY';
  const filter = allowAny ? tcpProxyFilter(ctx.snapshot.mesh, PASSTHROUGH_CLUSTER) : tcpProxyFilter(ctx.snapshot.mesh, BLACKHOLE_CLUSTER, false);
  return {
    name: VIRTUAL_OUTBOUND_LISTENER,
    address: socketAddress(WILDCARD_ADDRESS, ctx.snapshot.mesh.proxyListenPort || DEFAULT_PROXY_LISTEN_PORT),
    filter_chains: [filterChain({ filters: [filter] })],
    use_original_dst: { value: true },
    traffic_direction: 'OUTBOUND',
  };
}

/**
 * 0.0.0.0:15006: the IPv4 passthrough chain (any destination, to InboundPassthroughClusterIpv4)
 * first, then one chain per workload port matched by destination port; the original_dst listener
 * filter restores the destination the chains match on.
 */
export function virtualInboundListener(ctx: GeneratorContext): Listener & { name: string } {
  const passthrough = filterChain({ destinationCidrs: ['0.0.0.0/0'], filters: [tcpProxyFilter(ctx.snapshot.mesh, INBOUND_PASSTHROUGH_CLUSTER_IPV4)] });
  const chains = [passthrough, ...inboundPorts(ctx).map((p) => inboundFilterChain(ctx, p))];
  return {
    name: VIRTUAL_INBOUND_LISTENER,
    address: socketAddress(WILDCARD_ADDRESS, VIRTUAL_INBOUND_PORT),
    filter_chains: chains,
    listener_filters: [originalDst(), ...(needsTlsInspector(chains) ? [tlsInspector()] : [])],
    traffic_direction: 'INBOUND',
  };
}
