// The Gateways that select a gateway proxy, merged by port (Istio 1.3 model/gateway.go MergeGateways):
// which servers share a listener, and the RDS route name of each HTTP/HTTPS server.
import type { Gateway, Server } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import { portProtocol, type Protocol } from '../../model/protocol.js';
import type { GeneratorContext } from '../generator.js';
import { gatewayHttpRouteName, gatewayHttpsRouteName } from '../names.js';
import { labelsSelect, workloadLabels } from './workload.js';

/** One server of one Gateway, with its hosts in `namespace/host` form. */
export interface GatewayServer {
  readonly server: Server;
  /** `namespace/name` of the Gateway. */
  readonly gateway: string;
  readonly port: number;
  readonly protocol: Protocol;
  /** `ns/host`: a bare host gets the namespace `*`, `./host` the Gateway namespace. */
  readonly hosts: readonly string[];
  /** `http.<port>` or `https.<port>.<portName>.<gateway>.<ns>`; undefined for TCP/TLS/passthrough. */
  readonly routeName?: string;
}

export interface MergedGateway {
  /** `namespace/name` of every selected Gateway. */
  readonly names: ReadonlySet<string>;
  /** Servers by port, in Gateway order; servers conflicting with the first on a port are dropped. */
  readonly serversByPort: ReadonlyMap<number, readonly GatewayServer[]>;
  readonly serversByRouteName: ReadonlyMap<string, readonly GatewayServer[]>;
}

export function isHttpServer(p: Protocol): boolean {
  return p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-WEB';
}

/** A server that terminates TLS and speaks HTTP inside (HTTPS with SIMPLE/MUTUAL/ISTIO_MUTUAL). */
export function isTerminatedHttps(s: GatewayServer): boolean {
  return s.protocol === 'HTTPS' && !!s.server.tls && !isPassthrough(s.server);
}

export function isPassthrough(server: Server): boolean {
  const mode = server.tls?.mode ?? 'PASSTHROUGH';
  return mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
}

function sanitizeHost(host: string, namespace: string): string {
  const slash = host.indexOf('/');
  if (slash < 0) return `*/${host}`;
  return host.slice(0, slash) === '.' ? `${namespace}/${host.slice(slash + 1)}` : host;
}

function routeNameFor(server: Server, protocol: Protocol, gw: Config<Gateway>): string | undefined {
  const number = server.port?.number ?? 0;
  if (isHttpServer(protocol)) return gatewayHttpRouteName(number);
  if (protocol === 'HTTPS' && server.tls && !isPassthrough(server)) {
    return gatewayHttpsRouteName(number, server.port?.name ?? '', gw.metadata.name, gw.metadata.namespace);
  }
  return undefined;
}

/** Gateways whose selector matches the proxy's labels, in every namespace (Istio 1.x). */
export function gatewaysForProxy(ctx: GeneratorContext): Config<Gateway>[] {
  const labels = workloadLabels(ctx);
  return ctx.snapshot.configs.gateways.filter((g) => labelsSelect(labels, g.spec.selector));
}

/**
 * Merges servers by port: HTTP servers share one plain-text listener (`http.<port>`); TLS-based
 * servers share a port through SNI filter chains; a server whose kind conflicts with the port's
 * first server (plain text vs TLS, or a second TCP server) is skipped, as Istio does.
 */
export function mergeGateways(gateways: readonly Config<Gateway>[]): MergedGateway {
  const names = new Set<string>();
  const byPort = new Map<number, GatewayServer[]>();
  const byRoute = new Map<string, GatewayServer[]>();
  for (const gw of gateways) {
    const gateway = `${gw.metadata.namespace}/${gw.metadata.name}`;
    names.add(gateway);
    for (const server of gw.spec.servers ?? []) {
      const port = server.port?.number ?? 0;
      const protocol = portProtocol(server.port?.name, server.port?.protocol);
      const routeName = routeNameFor(server, protocol, gw);
      const gs: GatewayServer = { server, gateway, port, protocol, hosts: (server.hosts ?? []).map((h) => sanitizeHost(h, gw.metadata.namespace)), ...(routeName ? { routeName } : {}) };
      const existing = byPort.get(port);
      if (existing) {
        const first = existing[0] as GatewayServer;
        const plain = isHttpServer(first.protocol);
        if (plain !== isHttpServer(protocol)) continue;
        if (!plain && (protocol === 'TCP' || first.protocol === 'TCP')) continue;
        existing.push(gs);
      } else {
        byPort.set(port, [gs]);
      }
      if (routeName) byRoute.set(routeName, [...(byRoute.get(routeName) ?? []), gs]);
    }
  }
  return { names, serversByPort: byPort, serversByRouteName: byRoute };
}

/** The merged gateway of a gateway proxy (empty for sidecars). */
export function mergedGatewayFor(ctx: GeneratorContext): MergedGateway {
  if (ctx.proxy.type !== 'router') return { names: new Set(), serversByPort: new Map(), serversByRouteName: new Map() };
  return mergeGateways(gatewaysForProxy(ctx));
}
