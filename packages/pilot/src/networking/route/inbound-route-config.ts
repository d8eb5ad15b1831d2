// The inline route configuration of an inbound HTTP filter chain (Istio 1.3
// buildSidecarInboundHTTPRouteConfig): every request to the workload port goes to `inbound|port||`.
import type { RouteConfiguration } from '@weft/api';
import { inboundClusterName } from '../names.js';
import { defaultInboundRoute } from './http-route.js';

/** `inbound|http|9080`, the virtual host name Istio uses for inbound routes. */
export function inboundVirtualHostName(port: number): string {
  return `inbound|http|${port}`;
}

/**
 * Route config named after the inbound cluster, one `*` virtual host, no retries or timeout.
 * `hostname:servicePort/*` names the tracing span.
 */
export function buildInboundRouteConfig(port: number, hostname: string, servicePort: number): RouteConfiguration & { name: string } {
  const cluster = inboundClusterName(port);
  return {
    name: cluster,
    virtual_hosts: [{ name: inboundVirtualHostName(port), domains: ['*'], routes: [defaultInboundRoute(cluster, `${hostname}:${servicePort}/*`)] }],
    validate_clusters: { value: false },
  };
}
