// A gateway proxy's listeners (Istio 1.3 gateway.go buildGatewayListeners): one `0.0.0.0_<port>` per
// server port; plain-text HTTP servers share one connection manager on `http.<port>`, TLS-based
// servers get a filter chain each (terminated HTTPS, TLS-terminated TCP, passthrough by SNI, TCP).
import type { FilterChain, L4MatchAttributes, Listener, TLSMatchAttributes, VirtualService } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import type { GeneratorContext } from '../generator.js';
import { listenerName } from '../names.js';
import { gatewayVirtualServices, matchingGatewayHosts } from '../route/gateway-route-config.js';
import { isHttpServer, isPassthrough, isTerminatedHttps, mergedGatewayFor, type GatewayServer, type MergedGateway } from '../route/merged-gateway.js';
import { serviceIndex } from '../route/route-context.js';
import { gatewayTransportSocket, sniHostsForServer } from './gateway-tls.js';
import { httpConnectionManagerFilter, type NetworkFilter } from './http-connection-manager.js';
import { buildListener, filterChain, type FilterChainOpts } from './listener-build.js';
import { WILDCARD_ADDRESS } from './sidecar-outbound-listeners.js';
import { tcpRouteFilter, type TcpRouteInput } from './tcp-proxy.js';

/** Istio's l4SingleMatch: the match's port (if any) is the server's and its gateways (if any) include this one. */
function l4Matches(match: L4MatchAttributes | TLSMatchAttributes, server: GatewayServer): boolean {
  const portOk = !match.port || match.port === server.port;
  const gateways = match.gateways ?? [];
  return portOk && (gateways.length === 0 || gateways.includes(server.gateway));
}

interface L4Context {
  readonly ctx: GeneratorContext;
  readonly virtualServices: readonly Config<VirtualService>[];
  readonly input: TcpRouteInput;
}

/** Istio's buildGatewayNetworkFiltersFromTCPRoutes: the first TCP route of a bound, host-matching VirtualService. */
function tcpRouteFilters(l4: L4Context, server: GatewayServer): NetworkFilter[] | undefined {
  for (const vs of l4.virtualServices) {
    if (matchingGatewayHosts(server.hosts, vs).size === 0) continue;
    for (const tcp of vs.spec.tcp ?? []) {
      const matches = tcp.match ?? [];
      if (matches.length === 0 || matches.some((m) => l4Matches(m, server))) return [tcpRouteFilter(tcp.route ?? [], vs, { ...l4.input, port: server.port })];
    }
  }
  return undefined;
}

/** Istio's buildGatewayNetworkFiltersFromTLSRoutes: a chain per TLS match, keyed by its SNI hosts. */
function tlsRouteChains(l4: L4Context, server: GatewayServer): FilterChainOpts[] {
  const out: FilterChainOpts[] = [];
  for (const vs of l4.virtualServices) {
    if (matchingGatewayHosts(server.hosts, vs).size === 0) continue;
    for (const tls of vs.spec.tls ?? []) {
      for (const match of tls.match ?? []) {
        if (!l4Matches(match, server)) continue;
        out.push({ sniHosts: match.sniHosts ?? [], filters: [tcpRouteFilter(tls.route ?? [], vs, { ...l4.input, port: server.port })] });
      }
    }
  }
  return out;
}

/** Chains for a non-HTTP server: terminated HTTPS, TCP (optionally TLS-terminated), or passthrough. */
function tlsPortChains(l4: L4Context, server: GatewayServer, name: string): FilterChainOpts[] {
  const mesh = l4.ctx.snapshot.mesh;
  if (isTerminatedHttps(server)) {
    const hcm = httpConnectionManagerFilter(mesh, { role: 'gateway', statPrefix: name, rds: server.routeName ?? '' });
    const socket = gatewayTransportSocket(server.server);
    return [{ sniHosts: sniHostsForServer(server.hosts), filters: [hcm], ...(socket ? { transportSocket: socket } : {}) }];
  }
  if (!server.server.tls) {
    const filters = tcpRouteFilters(l4, server);
    return filters ? [{ filters }] : [];
  }
  if (!isPassthrough(server.server)) {
    const filters = tcpRouteFilters(l4, server);
    const socket = gatewayTransportSocket(server.server);
    return filters ? [{ sniHosts: sniHostsForServer(server.hosts), filters, ...(socket ? { transportSocket: socket } : {}) }] : [];
  }
  // AUTO_PASSTHROUGH (SNI-named clusters via sni_cluster) is not generated.
  if (server.server.tls.mode === 'AUTO_PASSTHROUGH') return [];
  return tlsRouteChains(l4, server);
}

function portListener(l4: L4Context, port: number, servers: readonly GatewayServer[]): (Listener & { name: string }) | undefined {
  const first = servers[0];
  if (!first) return undefined;
  // Server.bind (Istio 1.6+) binds the listener to one address instead of 0.0.0.0.
  const address = first.server.bind || WILDCARD_ADDRESS;
  const name = listenerName(address, port);
  let chains: FilterChain[];
  if (isHttpServer(first.protocol)) {
    const hcm = httpConnectionManagerFilter(l4.ctx.snapshot.mesh, { role: 'gateway', statPrefix: name, rds: first.routeName ?? '' });
    chains = [filterChain({ filters: [hcm] })];
  } else {
    chains = servers.flatMap((s) => tlsPortChains(l4, s, name)).map(filterChain);
  }
  // A listener without filter chains is rejected by Envoy; Istio drops it with an error.
  if (chains.length === 0) return undefined;
  return buildListener({ name, address, port, chains, direction: 'OUTBOUND' });
}

export function gatewayListeners(ctx: GeneratorContext, merged: MergedGateway = mergedGatewayFor(ctx)): (Listener & { name: string })[] {
  const l4: L4Context = {
    ctx,
    virtualServices: gatewayVirtualServices(ctx, merged),
    input: { mesh: ctx.snapshot.mesh, port: 0, service: serviceIndex(ctx) },
  };
  return [...merged.serversByPort.entries()]
    .sort(([a], [b]) => a - b)
    .flatMap(([port, servers]) => {
      const l = portListener(l4, port, servers);
      return l ? [l] : [];
    });
}
