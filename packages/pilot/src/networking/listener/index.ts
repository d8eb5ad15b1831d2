// LDS: listeners for sidecars (per-port outbound, virtualOutbound, virtualInbound) and gateways.
export { ldsGenerator } from './lds.js';
export { LISTENER_TYPE, HTTP_CONNECTION_MANAGER, TCP_PROXY, TLS_INSPECTOR, ORIGINAL_DST, VIRTUAL_INBOUND_PORT, ENVOY_SERVER_NAME } from './filter-names.js';
export { httpConnectionManager, httpConnectionManagerFilter, DEFAULT_TRACE_SAMPLING, type ConnectionManagerOptions, type ConnectionManagerRole, type NetworkFilter } from './http-connection-manager.js';
export { tcpProxyFilter, tcpRouteFilter } from './tcp-proxy.js';
export { accessLogs, ISTIO_TEXT_LOG_FORMAT, ISTIO_JSON_LOG_FORMAT } from './access-log.js';
export { buildListener, filterChain, cidrRange, type FilterChainOpts, type ListenerSpec } from './listener-build.js';
export { sidecarOutboundListeners } from './sidecar-outbound-listeners.js';
export { inboundPorts, inboundFilterChain, type InboundPort } from './sidecar-inbound-chains.js';
export { virtualInboundListener, virtualOutboundListener } from './virtual-listeners.js';
export { gatewayListeners } from './gateway-listeners.js';
export { downstreamTlsContext, sniHostsForServer } from './gateway-tls.js';
