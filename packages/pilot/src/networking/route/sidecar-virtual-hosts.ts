// A sidecar's virtual hosts for one outbound HTTP port (Istio 1.3 BuildSidecarVirtualHostsFromConfigAndRegistry):
// VirtualServices bound to `mesh` first, then a default route for every service they do not cover.
import { hostsMatch, type Route, type VirtualHost, type VirtualService } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import { isHttp } from '../../model/protocol.js';
import type { Service } from '../../model/service.js';
import type { GeneratorContext } from '../generator.js';
import { outboundClusterName, virtualHostName } from '../names.js';
import { hashPolicyForServicePort } from './hash-policy.js';
import { buildHttpRoutesForVirtualService, defaultOutboundRoute } from './http-route.js';
import { delegateSource, httpRouteContext } from './route-context.js';
import { virtualHostDomains } from './virtual-host-domains.js';
import { MESH_GATEWAY, virtualServicesFor } from './virtual-service.js';
import { workloadLabels } from './workload.js';

/** Routes shared by the virtual hosts of some services and plain VirtualService hosts on one port. */
export interface VirtualHostWrapper {
  readonly port: number;
  readonly services: readonly Service[];
  /** VirtualService hosts that are not services in the registry: domains `host` and `host:port`. */
  readonly virtualServiceHosts: readonly string[];
  readonly routes: readonly Route[];
}

/** A service on one port, as the per-port registry Istio builds for a route config. */
function httpServicesOnPort(ctx: GeneratorContext, port: number): Map<string, Service> {
  const out = new Map<string, Service>();
  for (const s of ctx.scope.services) {
    if (s.ports.some((p) => p.port === port && isHttp(p.protocol))) out.set(s.hostname, s);
  }
  return out;
}

/**
 * The services of `registry` a VirtualService host matches, in registry order. A concrete host can
 * only match the service of that very name and wildcard services: those are all it looks at (one
 * VirtualService host against 1,000 services per port, route config and push added up).
 */
const isWildcardHost = (host: string): boolean => host.startsWith('*');

export function servicesMatching(registry: ReadonlyMap<string, Service>): (host: string) => Service[] {
  const all = [...registry.values()];
  const order = new Map(all.map((s, i) => [s, i]));
  const wildcards = all.filter((s) => isWildcardHost(s.hostname));
  return (host) => {
    if (isWildcardHost(host)) return all.filter((s) => hostsMatch(s.hostname, host));
    const exact = registry.get(host);
    const found = wildcards.filter((s) => hostsMatch(s.hostname, host));
    if (exact) found.push(exact);
    return found.length > 1 ? found.sort((a, b) => (order.get(a) as number) - (order.get(b) as number)) : found;
  };
}

/** VirtualServices bound to `mesh` that this sidecar sees, with hosts fully qualified and delegates merged. */
export function meshVirtualServices(ctx: GeneratorContext): Config<VirtualService>[] {
  return virtualServicesFor(ctx.scope.virtualServices, new Set([MESH_GATEWAY]), ctx.snapshot.domainSuffix, delegateSource(ctx));
}

/**
 * The wrappers for `port`. A VirtualService whose hosts match no service on the port keeps Istio's
 * quirk: its hosts are served on port 80 only. Services left without VirtualService get `/` →
 * `outbound|port||host` with the DestinationRule's hash policy.
 */
export function sidecarVirtualHostWrappers(ctx: GeneratorContext, port: number): VirtualHostWrapper[] {
  const registry = httpServicesOnPort(ctx, port);
  const rctx = httpRouteContext(ctx, port, new Set([MESH_GATEWAY]), workloadLabels(ctx));
  const out: VirtualHostWrapper[] = [];
  const covered = new Set<string>();
  const matchHost = servicesMatching(registry);
  for (const vs of meshVirtualServices(ctx)) {
    const hosts: string[] = [];
    const services: Service[] = [];
    for (const host of vs.spec.hosts ?? []) {
      const matched = matchHost(host);
      if (matched.length === 0) hosts.push(host);
      services.push(...matched);
    }
    const wrapperPort = services.length > 0 ? port : 80;
    if (wrapperPort !== port) continue;
    const routes = buildHttpRoutesForVirtualService(vs, rctx);
    if (routes.length === 0) continue; // no rule applies to this workload: the VirtualService is ignored
    for (const s of services) covered.add(s.hostname);
    out.push({ port, services, virtualServiceHosts: hosts, routes });
  }
  for (const service of registry.values()) {
    if (covered.has(service.hostname)) continue;
    const cluster = outboundClusterName(port, service.hostname);
    const route = defaultOutboundRoute(cluster, `${service.hostname}:${port}/*`, hashPolicyForServicePort(ctx, service, port));
    out.push({ port, services: [service], virtualServiceHosts: [], routes: [route] });
  }
  return out;
}

/**
 * Virtual hosts from wrappers: `host:port` for each VirtualService host and each service (the
 * first wins on duplicate names), sorted by name.
 */
export function virtualHostsFromWrappers(wrappers: readonly VirtualHostWrapper[], proxyDomain: string): VirtualHost[] {
  const seen = new Set<string>();
  const out: VirtualHost[] = [];
  for (const w of wrappers) {
    for (const host of w.virtualServiceHosts) {
      const name = virtualHostName(host, w.port);
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, domains: [host, `${host}:${w.port}`], routes: [...w.routes] });
    }
    for (const s of w.services) {
      const name = virtualHostName(s.hostname, w.port);
      if (seen.has(name)) continue;
      seen.add(name);
      out.push({ name, domains: virtualHostDomains(s.hostname, s.address, w.port, proxyDomain), routes: [...w.routes] });
    }
  }
  return out.sort((a, b) => ((a.name ?? '') < (b.name ?? '') ? -1 : (a.name ?? '') > (b.name ?? '') ? 1 : 0));
}

/**
 * Envoy rejects a route config in which two virtual hosts share a domain; Istio reports such
 * duplicates in push status. Keep each domain on its first virtual host, drop hosts left empty.
 */
export function dropDuplicateDomains(hosts: readonly VirtualHost[]): VirtualHost[] {
  const used = new Set<string>();
  const out: VirtualHost[] = [];
  for (const vh of hosts) {
    const domains = (vh.domains ?? []).filter((d) => !used.has(d));
    for (const d of domains) used.add(d);
    if (domains.length > 0) out.push({ ...vh, domains });
  }
  return out;
}

/** The virtual hosts a sidecar needs to reach `service` on `port` (for proxyless gRPC API listeners too). */
export function buildVirtualHostsForService(ctx: GeneratorContext, service: Service, port: number): VirtualHost[] {
  const wrappers = sidecarVirtualHostWrappers(ctx, port).filter((w) => w.services.some((s) => s.hostname === service.hostname));
  return virtualHostsFromWrappers(wrappers, ctx.proxy.dnsDomain).filter((vh) => vh.name === virtualHostName(service.hostname, port));
}
