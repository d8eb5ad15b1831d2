// Filter chains of a sidecar's TCP-family outbound listener (Istio 1.3 tls.go
// buildSidecarOutboundTLSFilterChainOpts / buildSidecarOutboundTCPFilterChainOpts): TLS routes by
// SNI, TCP routes by destination subnet, then the service's own cluster as the fallback.
import { hostsMatch, type L4MatchAttributes, type TLSMatchAttributes, type VirtualService } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import type { Service, ServicePort } from '../../model/service.js';
import { outboundClusterName } from '../names.js';
import { resolveGatewayName } from '../route/virtual-service.js';
import { labelsSelect, type Labels } from '../route/workload.js';
import type { FilterChainOpts } from './listener-build.js';
import { tcpProxyFilter, tcpRouteFilter, type TcpRouteInput } from './tcp-proxy.js';

export interface SidecarL4Input extends TcpRouteInput {
  readonly workloadLabels: readonly Labels[];
  readonly proxyNamespace: string;
  /** `mesh` (sidecars). */
  readonly gatewayNames: ReadonlySet<string>;
}

/** Istio's matchTLS / matchTCP: the static predicates evaluated while generating config. */
function staticMatch(match: L4MatchAttributes | TLSMatchAttributes, vs: Config<VirtualService>, port: number, input: SidecarL4Input): boolean {
  const gateways = match.gateways ?? [];
  const gatewayOk = gateways.length === 0 || gateways.some((g) => input.gatewayNames.has(resolveGatewayName(g, vs.metadata.namespace)));
  const portOk = !match.port || match.port === port;
  const nsOk = !match.sourceNamespace || match.sourceNamespace === input.proxyNamespace;
  return gatewayOk && portOk && nsOk && labelsSelect(input.workloadLabels, match.sourceLabels);
}

/** TLS/HTTPS ports: one chain per distinct (SNI hosts, subnets) of matching TLS routes. */
function tlsChains(service: Service, port: ServicePort, cidr: string, sniFallback: boolean, vss: readonly Config<VirtualService>[], input: SidecarL4Input): FilterChainOpts[] {
  const out: FilterChainOpts[] = [];
  const handled = new Set<string>();
  for (const vs of vss) {
    for (const tls of vs.spec.tls ?? []) {
      for (const match of tls.match ?? []) {
        if (!staticMatch(match, vs, port.port, input)) continue;
        const cidrs = match.destinationSubnets && match.destinationSubnets.length > 0 ? match.destinationSubnets : [cidr];
        const key = JSON.stringify([[...(match.sniHosts ?? [])].sort(), [...cidrs].sort()]);
        if (handled.has(key)) continue;
        handled.add(key);
        out.push({ sniHosts: match.sniHosts ?? [], destinationCidrs: cidrs, filters: [tcpRouteFilter(tls.route ?? [], vs, input)] });
      }
    }
  }
  if (out.length > 0) return out;
  // No TLS route: opaque TCP to the service. Without a VIP to tell services apart, the SNI does.
  const cluster = outboundClusterName(port.port, service.hostname);
  return [{ ...(sniFallback ? { sniHosts: [service.hostname] } : {}), destinationCidrs: [cidr], filters: [tcpProxyFilter(input.mesh, cluster)] }];
}

/** Plain TCP ports: TCP routes (a match without subnets ends the list), then the service's cluster. */
function tcpChains(service: Service, port: ServicePort, cidr: string, vss: readonly Config<VirtualService>[], input: SidecarL4Input): FilterChainOpts[] {
  const out: FilterChainOpts[] = [];
  for (const vs of vss) {
    for (const tcp of vs.spec.tcp ?? []) {
      const filters = () => [tcpRouteFilter(tcp.route ?? [], vs, input)];
      if (!tcp.match || tcp.match.length === 0) return [...out, { destinationCidrs: [cidr], filters: filters() }];
      const subnets: string[] = [];
      for (const match of tcp.match) {
        if (!staticMatch(match, vs, port.port, input)) continue;
        if (!match.destinationSubnets || match.destinationSubnets.length === 0) return [...out, { destinationCidrs: [cidr], filters: filters() }];
        subnets.push(...match.destinationSubnets);
      }
      if (subnets.length > 0) out.push({ destinationCidrs: subnets, filters: filters() });
    }
  }
  return [...out, { destinationCidrs: [cidr], filters: [tcpProxyFilter(input.mesh, outboundClusterName(port.port, service.hostname))] }];
}

/**
 * Chains for one service port. `cidr` is the destination match when the listener is on 0.0.0.0
 * for a CIDR address ('' otherwise); `sniFallback` when the service has no VIP of its own.
 */
export function sidecarL4Chains(
  service: Service,
  port: ServicePort,
  cidr: string,
  sniFallback: boolean,
  virtualServices: readonly Config<VirtualService>[],
  input: SidecarL4Input,
): FilterChainOpts[] {
  const mine = virtualServices.filter((vs) => (vs.spec.hosts ?? []).some((h) => hostsMatch(h, service.hostname)));
  const tlsLike = port.protocol === 'TLS' || port.protocol === 'HTTPS';
  return tlsLike ? tlsChains(service, port, cidr, sniFallback, mine, input) : tcpChains(service, port, cidr, mine, input);
}
