// Proxyless gRPC RDS: one RouteConfiguration per service port, named by the cluster key
// (`outbound|port||host`), holding the sidecar virtual hosts for that service and port.
import type { RouteConfiguration, VirtualHost } from '@weft/api';
import type { Generator, GeneratedResource } from '../generator.js';
import { outboundClusterName } from '../names.js';
import { buildVirtualHostsForService } from '../route/index.js';

const ROUTE_TYPE = 'envoy.config.route.v3.RouteConfiguration';
/** Per-route filter configs gRPC understands; others (CORS) would make it NACK the route config. */
const GRPC_FILTER_OVERRIDES = new Set(['envoy.filters.http.fault']);

function forGrpc(vh: VirtualHost): VirtualHost {
  const routes = (vh.routes ?? []).map((r) => {
    const overrides = r.typed_per_filter_config;
    if (!overrides) return r;
    const kept = Object.fromEntries(Object.entries(overrides).filter(([k]) => GRPC_FILTER_OVERRIDES.has(k)));
    const { typed_per_filter_config: _drop, ...rest } = r;
    return Object.keys(kept).length > 0 ? { ...rest, typed_per_filter_config: kept } : rest;
  });
  return { ...vh, routes };
}

export const grpcRdsGenerator: Generator = (ctx, names): GeneratedResource[] => {
  const wanted = names && names.length > 0 ? new Set(names) : undefined;
  const out: GeneratedResource[] = [];
  for (const service of ctx.scope.services) {
    for (const port of service.ports) {
      const name = outboundClusterName(port.port, service.hostname);
      if (wanted && !wanted.has(name)) continue;
      const config: RouteConfiguration = {
        name,
        virtual_hosts: buildVirtualHostsForService(ctx, service, port.port).map(forGrpc),
      };
      out.push({ name, messageType: ROUTE_TYPE, resource: config });
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
};
