// xDS v3 resource type URLs (envoy/service/discovery/v3 and the Envoy docs' "xDS REST and gRPC protocol").
export const TypeUrl = {
  Listener: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  Cluster: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  ClusterLoadAssignment: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
  Secret: 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
  ScopedRouteConfiguration: 'type.googleapis.com/envoy.config.route.v3.ScopedRouteConfiguration',
  VirtualHost: 'type.googleapis.com/envoy.config.route.v3.VirtualHost',
  Runtime: 'type.googleapis.com/envoy.service.runtime.v3.Runtime',
} as const;

export type TypeUrl = (typeof TypeUrl)[keyof typeof TypeUrl];

/** Short names used in logs, metrics (`type` label) and debug pages, as Istio prints them. */
export const TYPE_SHORT_NAMES: Readonly<Record<string, string>> = {
  [TypeUrl.Listener]: 'LDS',
  [TypeUrl.RouteConfiguration]: 'RDS',
  [TypeUrl.Cluster]: 'CDS',
  [TypeUrl.ClusterLoadAssignment]: 'EDS',
  [TypeUrl.Secret]: 'SDS',
};

/**
 * The order in which ADS must deliver types so that nothing references what the client has not
 * yet seen: CDS before EDS, LDS before RDS (Envoy's "eventual consistency considerations").
 */
export const ADS_PUSH_ORDER: readonly string[] = [
  TypeUrl.Cluster,
  TypeUrl.ClusterLoadAssignment,
  TypeUrl.Listener,
  TypeUrl.RouteConfiguration,
  TypeUrl.Secret,
];

export const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';
export const SDS_SERVICE = 'envoy.service.secret.v3.SecretDiscoveryService';
