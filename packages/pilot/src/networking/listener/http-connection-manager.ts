// The http_connection_manager network filter (Istio 1.3 buildHTTPConnectionManager): cors → fault →
// router, websocket upgrades, stream idle timeout off, normalized paths, tracing and access logs.
import type { FilterChain, HttpConnectionManager, MeshConfig, RouteConfiguration } from '@weft/api';
import { CORS_FILTER } from '../route/cors.js';
import { FAULT_FILTER } from '../route/fault.js';
import { typedConfig, ZERO_DURATION } from '../route/proto-values.js';
import { accessLogs } from './access-log.js';
import {
  CORS_HTTP_FILTER_TYPE,
  ENVOY_SERVER_NAME,
  FAULT_HTTP_FILTER_TYPE,
  HTTP_CONNECTION_MANAGER,
  HTTP_CONNECTION_MANAGER_TYPE,
  ROUTER,
  ROUTER_TYPE,
} from './filter-names.js';

export type NetworkFilter = NonNullable<FilterChain['filters']>[number];

/** PILOT_TRACE_SAMPLING's default: trace every request (the Helm chart lowers it to 1%). */
export const DEFAULT_TRACE_SAMPLING = 100;

export type ConnectionManagerRole = 'sidecar-outbound' | 'sidecar-inbound' | 'gateway';

export interface ConnectionManagerOptions {
  readonly role: ConnectionManagerRole;
  readonly statPrefix: string;
  /** RDS route config name, or an inline route config (inbound). */
  readonly rds?: string;
  readonly routeConfig?: RouteConfiguration;
  /** HTTP/2 to the application (inbound HTTP2/gRPC ports). */
  readonly http2?: boolean;
  /** Accept HTTP/1.0 (node metadata HTTP10=1). */
  readonly http10?: boolean;
  /** Percentage of requests traced when MeshConfig.enableTracing is on. */
  readonly traceSampling?: number;
}

function httpFilters(): NonNullable<HttpConnectionManager['http_filters']> {
  return [
    { name: CORS_FILTER, typed_config: typedConfig(CORS_HTTP_FILTER_TYPE, {}) },
    { name: FAULT_FILTER, typed_config: typedConfig(FAULT_HTTP_FILTER_TYPE, {}) },
    { name: ROUTER, typed_config: typedConfig(ROUTER_TYPE, {}) },
  ];
}

/**
 * Per role, as Istio 1.3: gateways use the remote address and sanitize-then-set XFCC; inbound
 * sidecars append-forward XFCC; both identify as `istio-envoy`. Outbound sidecars set neither
 * (PILOT_SIDECAR_USE_REMOTE_ADDRESS=false).
 */
function roleFields(role: ConnectionManagerRole): Partial<HttpConnectionManager> {
  switch (role) {
    case 'gateway':
      return {
        use_remote_address: { value: true },
        forward_client_cert_details: 'SANITIZE_SET',
        set_current_client_cert_details: { subject: { value: true }, cert: true, uri: true, dns: true },
        server_name: ENVOY_SERVER_NAME,
      };
    case 'sidecar-inbound':
      return {
        use_remote_address: { value: false },
        forward_client_cert_details: 'APPEND_FORWARD',
        set_current_client_cert_details: { subject: { value: true }, uri: true, dns: true },
        server_name: ENVOY_SERVER_NAME,
      };
    case 'sidecar-outbound':
      return { use_remote_address: { value: false } };
  }
}

export function httpConnectionManager(mesh: MeshConfig, opts: ConnectionManagerOptions): HttpConnectionManager {
  const hcm: HttpConnectionManager = {
    codec_type: 'AUTO',
    stat_prefix: opts.statPrefix,
    http_filters: httpFilters(),
    ...roleFields(opts.role),
    generate_request_id: { value: true },
    upgrade_configs: [{ upgrade_type: 'websocket' }],
    stream_idle_timeout: ZERO_DURATION,
    normalize_path: { value: true },
  };
  if (opts.rds !== undefined) hcm.rds = { route_config_name: opts.rds, config_source: { ads: {}, resource_api_version: 'V3' } };
  else if (opts.routeConfig) hcm.route_config = opts.routeConfig;
  if (opts.http2) hcm.http2_protocol_options = {};
  if (opts.http10) hcm.http_protocol_options = { accept_http_10: true };
  if (mesh.enableTracing) {
    const sampling = opts.traceSampling ?? DEFAULT_TRACE_SAMPLING;
    hcm.tracing = { client_sampling: { value: 100 }, random_sampling: { value: sampling }, overall_sampling: { value: 100 } };
  }
  const logs = accessLogs(mesh);
  if (logs.length > 0) hcm.access_log = logs;
  return hcm;
}

/** The connection manager as a listener network filter. */
export function httpConnectionManagerFilter(mesh: MeshConfig, opts: ConnectionManagerOptions): NetworkFilter {
  return { name: HTTP_CONNECTION_MANAGER, typed_config: typedConfig(HTTP_CONNECTION_MANAGER_TYPE, httpConnectionManager(mesh, opts)) };
}
