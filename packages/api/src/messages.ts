// The generated message types most code needs, re-exported under stable names.
// `Foo` is the permissive input shape (what encode accepts); `Foo__Output` is what decode returns.
// Field names are the .proto names (snake_case); see src/proto/registry.ts.
export type { Any, Any__Output } from './generated/google/protobuf/Any.js';
export type { Node, Node__Output } from './generated/envoy/config/core/v3/Node.js';
export type { DiscoveryRequest, DiscoveryRequest__Output } from './generated/envoy/service/discovery/v3/DiscoveryRequest.js';
export type { DiscoveryResponse, DiscoveryResponse__Output } from './generated/envoy/service/discovery/v3/DiscoveryResponse.js';
export type { DeltaDiscoveryRequest, DeltaDiscoveryRequest__Output } from './generated/envoy/service/discovery/v3/DeltaDiscoveryRequest.js';
export type { DeltaDiscoveryResponse, DeltaDiscoveryResponse__Output } from './generated/envoy/service/discovery/v3/DeltaDiscoveryResponse.js';
export type { Listener, Listener__Output } from './generated/envoy/config/listener/v3/Listener.js';
export type { FilterChain, FilterChain__Output } from './generated/envoy/config/listener/v3/FilterChain.js';
export type { RouteConfiguration, RouteConfiguration__Output } from './generated/envoy/config/route/v3/RouteConfiguration.js';
export type { VirtualHost, VirtualHost__Output } from './generated/envoy/config/route/v3/VirtualHost.js';
export type { Route, Route__Output } from './generated/envoy/config/route/v3/Route.js';
export type { Cluster, Cluster__Output } from './generated/envoy/config/cluster/v3/Cluster.js';
export type { ClusterLoadAssignment, ClusterLoadAssignment__Output } from './generated/envoy/config/endpoint/v3/ClusterLoadAssignment.js';
export type { Secret, Secret__Output } from './generated/envoy/extensions/transport_sockets/tls/v3/Secret.js';
export type { Bootstrap, Bootstrap__Output } from './generated/envoy/config/bootstrap/v3/Bootstrap.js';
export type { HttpConnectionManager, HttpConnectionManager__Output } from './generated/envoy/extensions/filters/network/http_connection_manager/v3/HttpConnectionManager.js';
export type { TcpProxy, TcpProxy__Output } from './generated/envoy/extensions/filters/network/tcp_proxy/v3/TcpProxy.js';
export type { CheckRequest, CheckRequest__Output } from './generated/istio/mixer/v1/CheckRequest.js';
export type { CheckResponse, CheckResponse__Output } from './generated/istio/mixer/v1/CheckResponse.js';
export type { ReportRequest, ReportRequest__Output } from './generated/istio/mixer/v1/ReportRequest.js';
export type { ReferencedAttributes, ReferencedAttributes__Output } from './generated/istio/mixer/v1/ReferencedAttributes.js';
export type { Resource as McpResource, Resource__Output as McpResource__Output } from './generated/istio/mcp/v1alpha1/Resource.js';
export type { Resources as McpResources, Resources__Output as McpResources__Output } from './generated/istio/mcp/v1alpha1/Resources.js';
export type { RequestResources as McpRequestResources, RequestResources__Output as McpRequestResources__Output } from './generated/istio/mcp/v1alpha1/RequestResources.js';
export type { IstioCertificateRequest, IstioCertificateRequest__Output } from './generated/istio/v1/auth/IstioCertificateRequest.js';
export type { IstioCertificateResponse, IstioCertificateResponse__Output } from './generated/istio/v1/auth/IstioCertificateResponse.js';
