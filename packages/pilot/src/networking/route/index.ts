// RDS: VirtualService HTTP routes → Envoy route configurations, and the building blocks the LDS and
// proxyless-gRPC generators reuse.
export { rdsGenerator, ROUTE_CONFIGURATION_TYPE } from './rds.js';
export {
  translateHttpRoute,
  buildHttpRoutesForVirtualService,
  defaultOutboundRoute,
  defaultInboundRoute,
  combineVirtualHostRoutes,
  routeOperation,
  DEFAULT_ROUTE_NAME,
  type HttpRouteContext,
  type RouteAction,
} from './http-route.js';
export { translateRouteMatch, headerMatcher, queryParameterMatcher, stringMatcher, isCatchAllMatch, isCatchAllRoute, type RouteMatch } from './route-match.js';
export { convertRetryPolicy, defaultRetryPolicy, parseRetryOn, DEFAULT_RETRY_ON, type RetryPolicy } from './retry-policy.js';
export { translateFault, FAULT_FILTER, HTTP_FAULT_TYPE } from './fault.js';
export { translateCorsPolicy, CORS_FILTER, CORS_POLICY_TYPE } from './cors.js';
export { headerMutations, type HeaderMutations } from './header-operations.js';
export { consistentHashPolicy, hashPolicyForDestination, hashPolicyForServicePort, type HashPolicy } from './hash-policy.js';
export { destinationCluster, destinationPort } from './destination.js';
export { httpRouteContext, serviceIndex, delegateSource } from './route-context.js';
export { virtualHostDomains, altVirtualHosts } from './virtual-host-domains.js';
export {
  buildVirtualHostsForService,
  sidecarVirtualHostWrappers,
  virtualHostsFromWrappers,
  meshVirtualServices,
  type VirtualHostWrapper,
} from './sidecar-virtual-hosts.js';
export { buildSidecarOutboundRouteConfig, fallthroughVirtualHost, sidecarHttpPorts } from './sidecar-route-config.js';
export { buildGatewayRouteConfig, matchingGatewayHosts, gatewayVirtualServices } from './gateway-route-config.js';
export { buildInboundRouteConfig, inboundVirtualHostName } from './inbound-route-config.js';
export { mergeGateways, mergedGatewayFor, gatewaysForProxy, type MergedGateway, type GatewayServer } from './merged-gateway.js';
export {
  resolveHostname,
  resolveGatewayName,
  resolveVirtualService,
  virtualServicesFor,
  boundGateways,
  MESH_GATEWAY,
  type DelegateSource,
} from './virtual-service.js';
export { resolveDelegates, isDelegateVirtualService, hasDelegateRoutes } from './virtual-service-delegate.js';
export { proxyInstances, workloadLabels, labelsSelect, type Labels } from './workload.js';
