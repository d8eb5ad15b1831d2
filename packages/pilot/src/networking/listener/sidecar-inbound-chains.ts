// The inbound filter chains of the capture listener `virtualInbound` (Istio 1.3 inbound listeners,
// aggregated into 15006): one per workload port, HTTP with an inline route to `inbound|port||`,
// anything else tcp_proxy to the same cluster.
import type { FilterChain } from '@weft/api';
import { isHttp, isHttp2, portProtocol, type Protocol } from '../../model/protocol.js';
import type { ServiceInstance } from '../../model/service.js';
import type { GeneratorContext } from '../generator.js';
import { inboundClusterName, listenerName } from '../names.js';
import { buildInboundRouteConfig } from '../route/inbound-route-config.js';
import { proxyInstances } from '../route/workload.js';
import { httpConnectionManagerFilter } from './http-connection-manager.js';
import { filterChain } from './listener-build.js';
import { tcpProxyFilter } from './tcp-proxy.js';

/** One port the workload serves. */
export interface InboundPort {
  readonly port: number;
  readonly protocol: Protocol;
  /** The address the port is served on (the first proxy IP for Sidecar ingress listeners). */
  readonly address: string;
  /** Host name and service port for the tracing span name. */
  readonly hostname: string;
  readonly servicePort: number;
}

/**
 * Ports from the Sidecar's ingress listeners when it has any; otherwise the first instance of each
 * workload port (UDP excluded), as the inbound clusters are built.
 */
export function inboundPorts(ctx: GeneratorContext): InboundPort[] {
  const instances = proxyInstances(ctx);
  const ingress = ctx.scope.sidecar?.spec.ingress ?? [];
  if (ingress.length > 0) {
    return ingress.flatMap((l) => {
      const port = l.port?.number;
      if (port === undefined) return [];
      const instance = instances.find((i) => i.endpoint.port === port);
      return [{
        port,
        protocol: portProtocol(l.port?.name, l.port?.protocol),
        address: ctx.proxy.ipAddresses[0] ?? '0.0.0.0',
        hostname: instance?.service.hostname ?? '',
        servicePort: instance?.servicePort.port ?? port,
      }];
    });
  }
  const seen = new Set<number>();
  const out: InboundPort[] = [];
  for (const i of instances as ServiceInstance[]) {
    if (i.servicePort.protocol === 'UDP' || seen.has(i.endpoint.port)) continue;
    seen.add(i.endpoint.port);
    out.push({ port: i.endpoint.port, protocol: i.servicePort.protocol, address: i.endpoint.address, hostname: i.service.hostname, servicePort: i.servicePort.port });
  }
  return out;
}

/** The chain for one port; its stat prefix is Istio 1.3's inbound listener name `<ip>_<port>`. */
export function inboundFilterChain(ctx: GeneratorContext, p: InboundPort): FilterChain {
  const cluster = inboundClusterName(p.port);
  if (!isHttp(p.protocol)) return filterChain({ destinationPort: p.port, filters: [tcpProxyFilter(ctx.snapshot.mesh, cluster)] });
  const hcm = httpConnectionManagerFilter(ctx.snapshot.mesh, {
    role: 'sidecar-inbound',
    statPrefix: listenerName(p.address, p.port),
    routeConfig: buildInboundRouteConfig(p.port, p.hostname, p.servicePort),
    http2: isHttp2(p.protocol),
    http10: ctx.proxy.metadata['HTTP10'] === '1',
  });
  return filterChain({ destinationPort: p.port, filters: [hcm] });
}
