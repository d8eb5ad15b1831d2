// A sidecar's outbound route configuration for one HTTP port, named "<port>" (Istio 1.3
// buildSidecarOutboundHTTPRouteConfig), ending with the allow_any / block_all catch-all.
import type { RouteConfiguration, VirtualHost } from '@weft/api';
import { isHttp } from '../../model/protocol.js';
import type { GeneratorContext } from '../generator.js';
import { ALLOW_ANY_VIRTUAL_HOST, BLOCK_ALL_VIRTUAL_HOST, outboundRouteName, PASSTHROUGH_CLUSTER } from '../names.js';
import { dropDuplicateDomains, sidecarVirtualHostWrappers, virtualHostsFromWrappers } from './sidecar-virtual-hosts.js';

/**
 * The last virtual host (PILOT_ENABLE_FALLTHROUGH_ROUTE): ALLOW_ANY forwards unknown hosts to the
 * original destination; REGISTRY_ONLY answers 502.
 */
export function fallthroughVirtualHost(mode: 'ALLOW_ANY' | 'REGISTRY_ONLY'): VirtualHost {
  if (mode === 'ALLOW_ANY') {
    return { name: ALLOW_ANY_VIRTUAL_HOST, domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: PASSTHROUGH_CLUSTER } }] };
  }
  return { name: BLOCK_ALL_VIRTUAL_HOST, domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 502 } }] };
}

export function buildSidecarOutboundRouteConfig(ctx: GeneratorContext, port: number): RouteConfiguration & { name: string } {
  const hosts = virtualHostsFromWrappers(sidecarVirtualHostWrappers(ctx, port), ctx.proxy.dnsDomain);
  const mode = ctx.scope.outboundTrafficPolicy.mode ?? 'ALLOW_ANY';
  return {
    name: outboundRouteName(port),
    virtual_hosts: dropDuplicateDomains([...hosts, fallthroughVirtualHost(mode)]),
    validate_clusters: { value: false },
  };
}

/** Ports with an HTTP service visible to the sidecar: each gets a `0.0.0.0_<port>` listener and a route config. */
export function sidecarHttpPorts(ctx: GeneratorContext): number[] {
  const ports = new Set<number>();
  for (const s of ctx.scope.services) for (const p of s.ports) if (isHttp(p.protocol)) ports.add(p.port);
  return [...ports].sort((a, b) => a - b);
}
