// What Pilot would send a proxy, as an Envoy admin ConfigDump (istioctl proxy-config compares the two).
import { TypeUrl, type ProtoRegistry } from '@weft/api';
import type { Resource } from '@weft/xds';

const ADMIN = 'envoy.admin.v3';

/** Builds envoy.admin.v3.ConfigDump (proto3 JSON) from the generated resources and their versions. */
export function configDump(registry: ProtoRegistry, resources: ReadonlyMap<string, readonly Resource[]>, versions: ReadonlyMap<string, string>): unknown {
  const list = (t: string) => resources.get(t) ?? [];
  const v = (t: string) => versions.get(t) ?? '';
  const configs = [
    registry.pack(`${ADMIN}.ClustersConfigDump`, {
      version_info: v(TypeUrl.Cluster),
      dynamic_active_clusters: list(TypeUrl.Cluster).map((r) => ({ version_info: v(TypeUrl.Cluster), cluster: r.packed })),
    }),
    registry.pack(`${ADMIN}.ListenersConfigDump`, {
      version_info: v(TypeUrl.Listener),
      dynamic_listeners: list(TypeUrl.Listener).map((r) => ({ name: r.name, active_state: { version_info: v(TypeUrl.Listener), listener: r.packed } })),
    }),
    registry.pack(`${ADMIN}.RoutesConfigDump`, {
      dynamic_route_configs: list(TypeUrl.RouteConfiguration).map((r) => ({ version_info: v(TypeUrl.RouteConfiguration), route_config: r.packed })),
    }),
    registry.pack(`${ADMIN}.EndpointsConfigDump`, {
      dynamic_endpoint_configs: list(TypeUrl.ClusterLoadAssignment).map((r) => ({ version_info: v(TypeUrl.ClusterLoadAssignment), endpoint_config: r.packed })),
    }),
  ];
  return registry.toJson(`${ADMIN}.ConfigDump`, { configs });
}
