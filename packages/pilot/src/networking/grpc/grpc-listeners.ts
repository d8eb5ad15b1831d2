// Proxyless gRPC LDS (Istio's grpcgen): for a client target `xds:///host:port`, a Listener named
// `host:port` holding an API listener (HttpConnectionManager) whose RDS name is the cluster key
// `outbound|port||host`. grpc-js-xds asks for listeners by name, so every name a client may dial
// (the FQDN and the short forms valid from its namespace) gets one.
import { loadProtoRegistry, type Listener } from '@weft/api';
import type { Service } from '../../model/service.js';
import type { Generator, GeneratedResource, GeneratorContext } from '../generator.js';
import { outboundClusterName } from '../names.js';

const LISTENER_TYPE = 'envoy.config.listener.v3.Listener';
const HCM_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';

/** The host names a client in the proxy's namespace can use for a service (Istio's tryFindFQDN, reversed). */
export function grpcHostAliases(service: Service, proxyNamespace: string, domainSuffix: string): string[] {
  const host = service.hostname;
  const suffix = `.svc.${domainSuffix}`;
  if (!host.endsWith(suffix)) return [host];
  const [name, namespace] = host.slice(0, -suffix.length).split('.');
  if (!name || !namespace) return [host];
  const aliases = [host, `${name}.${namespace}`, `${name}.${namespace}.svc`];
  if (namespace === proxyNamespace) aliases.push(name);
  return aliases;
}

function httpConnectionManager(routeConfigName: string): object {
  const registry = loadProtoRegistry();
  return {
    http_filters: [
      { name: 'envoy.filters.http.fault', typed_config: registry.pack('envoy.extensions.filters.http.fault.v3.HTTPFault', {}) },
      { name: 'envoy.filters.http.router', typed_config: registry.pack('envoy.extensions.filters.http.router.v3.Router', {}) },
    ],
    rds: { config_source: { ads: {}, resource_api_version: 'V3' }, route_config_name: routeConfigName },
  };
}

export function grpcListeners(ctx: GeneratorContext): (Listener & { name: string })[] {
  const registry = loadProtoRegistry();
  const out: (Listener & { name: string })[] = [];
  for (const service of ctx.scope.services) {
    for (const port of service.ports) {
      const hcm = registry.pack(HCM_TYPE, httpConnectionManager(outboundClusterName(port.port, service.hostname)));
      for (const alias of grpcHostAliases(service, ctx.proxy.namespace, ctx.snapshot.domainSuffix)) {
        out.push({
          name: `${alias}:${port.port}`,
          address: { socket_address: { address: service.address, port_value: port.port } },
          api_listener: { api_listener: hcm },
        });
      }
    }
  }
  return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** LDS for proxyless gRPC: requested names narrow the set (SotW LDS from gRPC is by name). */
export const grpcLdsGenerator: Generator = (ctx, names): GeneratedResource[] => {
  const wanted = names && names.length > 0 ? new Set(names) : undefined;
  return grpcListeners(ctx)
    .filter((l) => !wanted || wanted.has(l.name))
    .map((l) => ({ name: l.name, messageType: LISTENER_TYPE, resource: l }));
};
