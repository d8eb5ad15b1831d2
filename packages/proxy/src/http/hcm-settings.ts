// The connection manager's settings from its http_connection_manager config (compiled by
// server/hcm-options.ts), with Envoy's defaults for an HCM that sets nothing.
import { DEFAULT_FORWARDING, type ForwardingPolicy } from './headers.js';
import type { PathOptions } from './path-normalization.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from './request-validation.js';
import { DEFAULT_XFCC, type XfccPolicy } from './xfcc.js';

export interface HcmSettings {
  readonly requestLimits: RequestLimits;
  readonly forwarding: ForwardingPolicy;
  readonly pathOptions: PathOptions;
  readonly xfcc: XfccPolicy;
  /** The `server` response header (server_name with OVERWRITE); undefined with PASS_THROUGH. */
  readonly serverHeader: string | undefined;
  /** always_set_request_id_in_response. */
  readonly alwaysSetRequestId: boolean;
  /** proxy_100_continue: `Expect: 100-continue` goes upstream and the upstream's 100 Continue comes back. */
  readonly proxy100Continue: boolean;
  /** upgrade_configs: the upgrade types enabled (lower-case), e.g. websocket. */
  readonly upgrades: ReadonlySet<string>;
  /** stream_idle_timeout (Envoy default 5 min; 0 disables). */
  readonly streamIdleTimeoutMs: number;
  /** request_timeout (0: none). */
  readonly requestTimeoutMs: number;
  /** common_http_protocol_options.idle_timeout: a connection without streams closes (default 1 h; 0 disables). */
  readonly idleTimeoutMs: number;
  /** common_http_protocol_options.max_connection_duration (0: none). */
  readonly maxConnectionDurationMs: number;
  /** common_http_protocol_options.max_requests_per_connection (0: no limit). */
  readonly maxRequestsPerConnection: number;
  /** common_http_protocol_options.max_stream_duration (0: none). */
  readonly maxStreamDurationMs: number;
  /** common_http_protocol_options.headers_with_underscores_action. */
  readonly headersWithUnderscores: 'ALLOW' | 'REJECT_REQUEST' | 'DROP_HEADER';
  /** strip_matching_host_port / strip_any_host_port. */
  readonly stripPort: 'none' | 'matching' | 'any';
  /** strip_trailing_host_dot. */
  readonly stripTrailingHostDot: boolean;
}

export const DEFAULT_HCM_SETTINGS: HcmSettings = {
  requestLimits: DEFAULT_REQUEST_LIMITS,
  forwarding: DEFAULT_FORWARDING,
  pathOptions: { normalize: false, mergeSlashes: false, escapedSlashes: 'KEEP_UNCHANGED' },
  xfcc: DEFAULT_XFCC,
  serverHeader: 'envoy',
  alwaysSetRequestId: false,
  proxy100Continue: false,
  upgrades: new Set(),
  streamIdleTimeoutMs: 300_000,
  requestTimeoutMs: 0,
  idleTimeoutMs: 3_600_000,
  maxConnectionDurationMs: 0,
  maxRequestsPerConnection: 0,
  maxStreamDurationMs: 0,
  headersWithUnderscores: 'ALLOW',
  stripPort: 'none',
  stripTrailingHostDot: false,
};

/** The authority routing sees after strip_*_host_port and strip_trailing_host_dot. */
export function strippedAuthority(authority: string, s: HcmSettings, listenerPort: number | undefined): string {
  if (s.stripPort === 'none' && !s.stripTrailingHostDot) return authority;
  const m = /^(\[[^\]]*\]|[^:]*)(?::(\d*))?$/.exec(authority);
  if (!m) return authority;
  let host = m[1]!;
  let port = m[2];
  if (port !== undefined && (s.stripPort === 'any' || (s.stripPort === 'matching' && listenerPort !== undefined && port === String(listenerPort)))) port = undefined;
  if (s.stripTrailingHostDot && host.endsWith('.')) host = host.slice(0, -1);
  return port === undefined ? host : `${host}:${port}`;
}
