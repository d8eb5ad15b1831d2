// The RDS generator: route configurations for the names a proxy's listeners reference.
import type { GeneratedResource, Generator, GeneratorContext } from '../generator.js';
import { buildGatewayRouteConfig } from './gateway-route-config.js';
import { mergedGatewayFor } from './merged-gateway.js';
import { buildSidecarOutboundRouteConfig, sidecarHttpPorts } from './sidecar-route-config.js';

export const ROUTE_CONFIGURATION_TYPE = 'envoy.config.route.v3.RouteConfiguration';

function resource(rc: { name: string }): GeneratedResource {
  return { name: rc.name, messageType: ROUTE_CONFIGURATION_TYPE, resource: rc };
}

/**
 * Sidecars: one config per outbound HTTP port ("9080"); a requested numeric name with no service
 * still gets a config holding only the catch-all virtual host, as Istio answers it.
 */
function sidecarRoutes(ctx: GeneratorContext, names: readonly string[] | undefined): GeneratedResource[] {
  const ports = names ? names.filter((n) => /^\d+$/.test(n)).map(Number) : sidecarHttpPorts(ctx);
  return ports.map((p) => resource(buildSidecarOutboundRouteConfig(ctx, p)));
}

/** Gateways: `http.<port>` and `https.<port>.<portName>.<gateway>.<ns>`; unknown names are skipped. */
function gatewayRoutes(ctx: GeneratorContext, names: readonly string[] | undefined): GeneratedResource[] {
  const merged = mergedGatewayFor(ctx);
  const wanted = names ?? [...merged.serversByRouteName.keys()].sort();
  return wanted.flatMap((n) => {
    const rc = buildGatewayRouteConfig(ctx, merged, n);
    return rc ? [resource(rc)] : [];
  });
}

export const rdsGenerator: Generator = (ctx, names) => (ctx.proxy.type === 'router' ? gatewayRoutes(ctx, names) : sidecarRoutes(ctx, names));
