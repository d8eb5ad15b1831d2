// Builds the HttpRouteContext for a proxy and listener port from the generator context.
import type { Service } from '../../model/service.js';
import type { GeneratorContext } from '../generator.js';
import { hashPolicyForDestination } from './hash-policy.js';
import type { HttpRouteContext } from './http-route.js';
import type { DelegateSource } from './virtual-service.js';
import type { Labels } from './workload.js';

/** Visible services by host name (the sidecar scope's list; everything exported for gateways). */
export function serviceIndex(ctx: GeneratorContext): (hostname: string) => Service | undefined {
  const byHost = new Map(ctx.scope.services.map((s) => [s.hostname, s]));
  return (hostname) => byHost.get(hostname);
}

/**
 * Delegates are looked up among all of the snapshot's VirtualServices: Istio merges them into their
 * roots before Sidecar scoping, and a delegate need only be exported to its root's namespace.
 */
export function delegateSource(ctx: GeneratorContext): DelegateSource {
  return { all: ctx.snapshot.configs.virtualServices, defaultExportTo: ctx.snapshot.mesh.defaultVirtualServiceExportTo };
}

export function httpRouteContext(
  ctx: GeneratorContext,
  listenerPort: number,
  gatewayNames: ReadonlySet<string>,
  workloadLabels: readonly Labels[],
): HttpRouteContext {
  const service = serviceIndex(ctx);
  return {
    listenerPort,
    gatewayNames,
    workloadLabels,
    service,
    hashPolicy: (destination) => hashPolicyForDestination(ctx, destination, service(destination.host ?? '')),
  };
}
