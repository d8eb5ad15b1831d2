// The RDS generator: route configurations for the names a proxy's listeners reference.
import { outboundShareKey, sharedValue, type GeneratedResource, type Generator, type GeneratorContext } from '../generator.js';
import { buildGatewayRouteConfig } from './gateway-route-config.js';
import { mergedGatewayFor } from './merged-gateway.js';
import { buildSidecarOutboundRouteConfig, sidecarHttpPorts } from './sidecar-route-config.js';
import { workloadLabelsKey } from './workload.js';

export const ROUTE_CONFIGURATION_TYPE = 'envoy.config.route.v3.RouteConfiguration';

function resource(rc: { name: string }): GeneratedResource {
  return { name: rc.name, messageType: ROUTE_CONFIGURATION_TYPE, resource: rc };
}

/**
 * Sidecars: one config per outbound HTTP port ("9080"); a requested numeric name with no service
 * still gets a config holding only the catch-all virtual host, as Istio answers it.
 */
function sidecarRoutes(ctx: GeneratorContext, names: readonly string[] | undefined): GeneratedResource[] {
  const ports = names ? names.filter((n) => /^\d+$/.test(n)).map(Number) : sharedValue(ctx, `rds.ports|${outboundShareKey(ctx)}`, () => sidecarHttpPorts(ctx));
  // A sidecar's outbound routes read, of the proxy, its outbound scope, its DNS domain and (only
  // when some VirtualService matches on sourceLabels) its workload's labels: proxies alike in
  // those share each route config within a push.
  const key = `${outboundShareKey(ctx)}|${ctx.proxy.dnsDomain}|${workloadLabelsKey(ctx)}`;
  const one = (p: number) => sharedValue(ctx, `rds|${key}|${p}`, () => resource(buildSidecarOutboundRouteConfig(ctx, p)));
  // The full set (no names: a push) is one shared list, converted once per push by Discovery.
  return names ? ports.map(one) : sharedValue(ctx, `rds.all|${key}`, () => ports.map(one));
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
