// Resource builders shared by the xds tests: the Listener → Route → Cluster → Endpoint chain that
// Envoy and grpc-js-xds both accept.
import { TypeUrl, loadProtoRegistry, type ProtoRegistry } from '@weft/api';
import { Snapshot } from '../src/snapshot.js';
import { makeResource, type Resource } from '../src/resource.js';

export const registry: ProtoRegistry = loadProtoRegistry();

const HCM = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'envoy.extensions.filters.http.router.v3.Router';

function hcm(routeName: string): object {
  return {
    stat_prefix: routeName,
    rds: { route_config_name: routeName, config_source: { ads: {}, resource_api_version: 'V3' } },
    http_filters: [{ name: 'router', typed_config: registry.pack(ROUTER, {}) }],
  };
}

/** A client-side (gRPC) listener: api_listener with an HCM that fetches `routeName` over RDS. */
export function apiListener(name: string, routeName: string): Resource {
  return makeResource(registry, TypeUrl.Listener, { name, api_listener: { api_listener: registry.pack(HCM, hcm(routeName)) } });
}

/** An Envoy-style listener with one filter chain running the HCM. */
export function listener(name: string, routeName: string, port = 15001): Resource {
  return makeResource(registry, TypeUrl.Listener, {
    name,
    address: { socket_address: { address: '0.0.0.0', port_value: port } },
    filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: registry.pack(HCM, hcm(routeName)) }] }],
  });
}

export function route(name: string, cluster: string, domains: string[] = ['*']): Resource {
  return makeResource(registry, TypeUrl.RouteConfiguration, {
    name,
    virtual_hosts: [{ name: `${name}-vh`, domains, routes: [{ match: { prefix: '' }, route: { cluster } }] }],
  });
}

export function edsCluster(name: string, serviceName?: string): Resource {
  return makeResource(registry, TypeUrl.Cluster, {
    name,
    type: 'EDS',
    lb_policy: 'ROUND_ROBIN',
    eds_cluster_config: { eds_config: { ads: {}, resource_api_version: 'V3' }, ...(serviceName ? { service_name: serviceName } : {}) },
  });
}

export function staticCluster(name: string): Resource {
  return makeResource(registry, TypeUrl.Cluster, { name, type: 'STATIC', lb_policy: 'ROUND_ROBIN' });
}

export function endpoints(clusterName: string, ports: readonly number[], host = '127.0.0.1'): Resource {
  return makeResource(registry, TypeUrl.ClusterLoadAssignment, {
    cluster_name: clusterName,
    endpoints: [
      {
        locality: { region: 'r1', zone: 'z1', sub_zone: '' },
        load_balancing_weight: { value: 1 },
        lb_endpoints: ports.map((port) => ({ endpoint: { address: { socket_address: { address: host, port_value: port } } } })),
      },
    ],
  });
}

/** A consistent snapshot: listener `name` → route `${name}-route` → EDS cluster `${name}-cluster` → endpoints. */
export function helloSnapshot(version: string, ports: readonly number[], name = 'hello'): Snapshot {
  return Snapshot.create({
    version,
    resources: {
      [TypeUrl.Listener]: [apiListener(name, `${name}-route`)],
      [TypeUrl.RouteConfiguration]: [route(`${name}-route`, `${name}-cluster`)],
      [TypeUrl.Cluster]: [edsCluster(`${name}-cluster`)],
      [TypeUrl.ClusterLoadAssignment]: [endpoints(`${name}-cluster`, ports)],
    },
  });
}

/** A fully populated Node__Output, as a decoded request carries it. */
export function node(id: string, cluster = 'test'): import('@weft/api').Node__Output {
  return registry.decode('envoy.config.core.v3.Node', registry.encode('envoy.config.core.v3.Node', { id, cluster }));
}
