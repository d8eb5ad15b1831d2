// A gateway's route configuration for one server route name (Istio 1.3 buildGatewayHTTPRouteConfig):
// one virtual host per VirtualService host bound to the gateway and allowed by the servers' hosts.
import { hostsMatch, type RouteConfiguration, type VirtualHost, type VirtualService } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import type { GeneratorContext } from '../generator.js';
import { virtualHostName } from '../names.js';
import { buildHttpRoutesForVirtualService, combineVirtualHostRoutes } from './http-route.js';
import type { GatewayServer, MergedGateway } from './merged-gateway.js';
import { delegateSource, httpRouteContext } from './route-context.js';
import { virtualServicesFor } from './virtual-service.js';

/**
 * Istio's pickMatchingGatewayHosts: each VirtualService host matched by a server host `ns/host`,
 * where `ns` is `*` or the VirtualService's namespace. Maps the VirtualService host to the server
 * hosts that admitted it.
 */
export function matchingGatewayHosts(serverHosts: readonly string[], vs: Config<VirtualService>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const vsHost of vs.spec.hosts ?? []) {
    for (const gwHost of serverHosts) {
      const slash = gwHost.indexOf('/');
      const ns = slash < 0 ? '*' : gwHost.slice(0, slash);
      const host = slash < 0 ? gwHost : gwHost.slice(slash + 1);
      if (ns !== '*' && ns !== vs.metadata.namespace) continue;
      if (!hostsMatch(host, vsHost)) continue;
      out.set(vsHost, [...(out.get(vsHost) ?? []), gwHost]);
    }
  }
  return out;
}

/** VirtualServices bound to one of the merged gateways and exported to the gateway's namespace, delegates merged. */
export function gatewayVirtualServices(ctx: GeneratorContext, merged: MergedGateway): Config<VirtualService>[] {
  return virtualServicesFor(ctx.scope.virtualServices, merged.names, ctx.snapshot.domainSuffix, delegateSource(ctx));
}

function redirectHosts(servers: readonly GatewayServer[]): Set<string> {
  const out = new Set<string>();
  for (const s of servers) if (s.server.tls?.httpsRedirect) for (const h of s.hosts) out.add(h);
  return out;
}

/**
 * The route config `routeName` (`http.80`, `https.443.https.gw.ns`), or undefined when no server of
 * the merged gateway uses that name. Two VirtualServices on one host are combined with their
 * catch-all routes last; `httpsRedirect` servers make their hosts `require_tls: ALL`.
 */
export function buildGatewayRouteConfig(ctx: GeneratorContext, merged: MergedGateway, routeName: string): (RouteConfiguration & { name: string }) | undefined {
  const servers = merged.serversByRouteName.get(routeName);
  const first = servers?.[0];
  if (!servers || !first) return undefined;
  const port = first.port;
  const serverHosts = [...new Set(servers.flatMap((s) => s.hosts))];
  const tlsRedirect = redirectHosts(servers);
  const rctx = httpRouteContext(ctx, port, merged.names, []);
  const byHost = new Map<string, VirtualHost>();
  for (const vs of gatewayVirtualServices(ctx, merged)) {
    const matching = matchingGatewayHosts(serverHosts, vs);
    if (matching.size === 0) continue;
    const routes = buildHttpRoutesForVirtualService(vs, rctx);
    if (routes.length === 0) continue;
    for (const [vsHost, gwHosts] of matching) {
      const current = byHost.get(vsHost);
      if (current) {
        current.routes = combineVirtualHostRoutes(current.routes ?? [], routes);
        continue;
      }
      const vh: VirtualHost = { name: virtualHostName(vsHost, port), domains: [vsHost, `${vsHost}:${port}`], routes: [...routes] };
      if (gwHosts.some((h) => tlsRedirect.has(h))) vh.require_tls = 'ALL';
      byHost.set(vsHost, vh);
    }
  }
  const virtualHosts = [...byHost.values()].sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0));
  return { name: routeName, virtual_hosts: virtualHosts, validate_clusters: { value: false } };
}
