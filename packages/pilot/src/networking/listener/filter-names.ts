// Envoy v3 extension names and config types of the filters Pilot puts in listeners (Istio's
// xdsutil names, in their v3 spelling).
export const HTTP_CONNECTION_MANAGER = 'envoy.filters.network.http_connection_manager';
export const HTTP_CONNECTION_MANAGER_TYPE = 'envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
export const TCP_PROXY = 'envoy.filters.network.tcp_proxy';
export const TCP_PROXY_TYPE = 'envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
export const TLS_INSPECTOR = 'envoy.filters.listener.tls_inspector';
export const TLS_INSPECTOR_TYPE = 'envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';
export const ORIGINAL_DST = 'envoy.filters.listener.original_dst';
export const ORIGINAL_DST_TYPE = 'envoy.extensions.filters.listener.original_dst.v3.OriginalDst';
export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
export const DOWNSTREAM_TLS_CONTEXT_TYPE = 'envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
export const CORS_HTTP_FILTER_TYPE = 'envoy.extensions.filters.http.cors.v3.Cors';
export const FAULT_HTTP_FILTER_TYPE = 'envoy.extensions.filters.http.fault.v3.HTTPFault';
export const ROUTER = 'envoy.filters.http.router';
export const ROUTER_TYPE = 'envoy.extensions.filters.http.router.v3.Router';
/** The server name Istio's connection managers announce. */
export const ENVOY_SERVER_NAME = 'istio-envoy';
/** Port of the inbound capture listener (iptables ISTIO_IN_REDIRECT). */
export const VIRTUAL_INBOUND_PORT = 15006;
export const LISTENER_TYPE = 'envoy.config.listener.v3.Listener';
