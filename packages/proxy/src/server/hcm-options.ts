// http_connection_manager fields → the connection manager's options, with the rule that nothing is
// dropped silently: every field that is set is either implemented here (and passed on), accepted as
// observability only ("accepted, not enforced"), or refused with its path so the LDS update is NACKed.
// Fields consumed elsewhere (routes, filters, access logs, codec, http2_protocol_options) are listed
// as handled by the listener factory.
import type { HttpConnectionManager__Output } from '@weft/api';
import type { IssueCollector } from '@weft/base';
import { acceptNotEnforced } from '../config/not-enforced.js';
import { DEFAULT_FORWARDING, type ForwardingPolicy } from '../http/headers.js';
import { DEFAULT_HCM_SETTINGS, type HcmSettings } from '../http/hcm-settings.js';
import type { PathOptions, EscapedSlashesAction } from '../http/path-normalization.js';
import { DEFAULT_REQUEST_LIMITS, type RequestLimits } from '../http/request-validation.js';
import type { ForwardClientCertDetails, XfccPolicy } from '../http/xfcc.js';
import { parseCidr, type CidrRange } from '../listener/cidr.js';
import { optionalMs } from '../router/duration.js';


/** Fields the listener factory reads itself. */
const HANDLED_BY_FACTORY = new Set(['codec_type', 'stat_prefix', 'rds', 'route_config', 'scoped_routes', 'route_specifier', 'http_filters', 'access_log', 'drain_timeout', 'http2_protocol_options', 'request_headers_timeout', 'max_request_headers_kb', 'strip_port_mode']);
/** Fields this module implements. */
const IMPLEMENTED = new Set([
  'use_remote_address',
  'xff_num_trusted_hops',
  'skip_xff_append',
  'internal_address_config',
  'generate_request_id',
  'preserve_external_request_id',
  'always_set_request_id_in_response',
  'forward_client_cert_details',
  'set_current_client_cert_details',
  'server_name',
  'server_header_transformation',
  'normalize_path',
  'merge_slashes',
  'path_with_escaped_slashes_action',
  'http_protocol_options',
  'common_http_protocol_options',
  'upgrade_configs',
  'stream_idle_timeout',
  'request_timeout',
  'proxy_100_continue',
  'strip_matching_host_port',
  'strip_any_host_port',
  'strip_trailing_host_dot',
  'stream_error_on_invalid_http_message',
]);
/** Observability only: accepted, not enforced (docs/components/proxy.md lists them). */
const NOT_ENFORCED = new Map([
  ['tracing', 'no tracer: spans are not emitted (x-request-id and B3 headers pass through)'],
  ['request_id_extension', 'the UUID request id is always used; trace sampling bits are not packed into it'],
  ['access_log_flush_interval', 'access logs are written per request'],
  ['flush_access_log_on_new_request', 'access logs are written when a request completes'],
  ['access_log_options', 'access logs are written when a request completes'],
]);

type Any = Record<string, unknown>;

/** A field is set when it differs from its proto3 default (proto-loader output with defaults). */
export function isSet(v: unknown, enumDefault?: string): boolean {
  if (v === null || v === undefined || v === false || v === 0 || v === '' || v === '0') return false;
  if (Array.isArray(v)) return v.length > 0;
  if (enumDefault !== undefined && v === enumDefault) return false;
  return true;
}

const ENUM_DEFAULTS: Record<string, string> = {
  codec_type: 'AUTO',
  forward_client_cert_details: 'SANITIZE',
  server_header_transformation: 'OVERWRITE',
  path_with_escaped_slashes_action: 'IMPLEMENTATION_SPECIFIC_DEFAULT',
};

/** Refuses every set field of `msg` not in `allowed`. */
function refuseOthers(msg: Any, allowed: ReadonlySet<string>, issues: IssueCollector, what: string): void {
  for (const [k, v] of Object.entries(msg)) {
    if (allowed.has(k) || !isSet(v, ENUM_DEFAULTS[k])) continue;
    issues.at(k).error(`${what} field ${k} is not supported by weft-proxy`);
  }
}

const DURATION_OF = (d: Parameters<typeof optionalMs>[0]): number | undefined => optionalMs(d ?? null);

export function compileHcmOptions(hcm: HttpConnectionManager__Output, issues: IssueCollector): HcmSettings {
  const raw = hcm as unknown as Any;
  for (const [k, v] of Object.entries(raw)) {
    if (HANDLED_BY_FACTORY.has(k) || IMPLEMENTED.has(k) || !isSet(v, ENUM_DEFAULTS[k])) continue;
    const why = NOT_ENFORCED.get(k);
    if (why !== undefined) acceptNotEnforced(issues, k, why);
    else issues.at(k).error(`http_connection_manager field ${k} is not supported by weft-proxy`);
  }

  const h1 = hcm.http_protocol_options;
  if (h1) refuseOthers(h1 as unknown as Any, new Set(['accept_http_10', 'default_host_for_http_10', 'allow_absolute_url']), issues.at('http_protocol_options'), 'http_protocol_options');
  const common = hcm.common_http_protocol_options;
  if (common) {
    refuseOthers(common as unknown as Any, new Set(['idle_timeout', 'max_headers_count', 'max_connection_duration', 'max_stream_duration', 'headers_with_underscores_action', 'max_requests_per_connection']), issues.at('common_http_protocol_options'), 'common_http_protocol_options');
  }
  const requestLimits: RequestLimits = {
    maxHeadersCount: common?.max_headers_count?.value ?? DEFAULT_REQUEST_LIMITS.maxHeadersCount,
    acceptHttp10: h1?.accept_http_10 ?? false,
    defaultHostForHttp10: h1?.default_host_for_http_10 ?? '',
    allowAbsoluteUrl: h1?.allow_absolute_url?.value ?? true,
  };
  if (requestLimits.maxHeadersCount < 1) issues.at('common_http_protocol_options', 'max_headers_count').error('must be at least 1');

  let internalCidrs: CidrRange[] | undefined;
  const iac = hcm.internal_address_config;
  if (iac) {
    if (iac.unix_sockets) issues.at('internal_address_config', 'unix_sockets').error('weft-proxy serves HTTP on IP listeners only');
    if (iac.cidr_ranges.length > 0) {
      internalCidrs = [];
      iac.cidr_ranges.forEach((c, i) => {
        const r = parseCidr(c.address_prefix, c.prefix_len?.value ?? 0);
        if (typeof r === 'string') issues.at('internal_address_config', 'cidr_ranges', i).error(r);
        else internalCidrs!.push(r);
      });
    }
  }
  const forwarding: ForwardingPolicy = {
    ...DEFAULT_FORWARDING,
    useRemoteAddress: hcm.use_remote_address?.value ?? false,
    xffNumTrustedHops: hcm.xff_num_trusted_hops ?? 0,
    skipXffAppend: hcm.skip_xff_append ?? false,
    generateRequestId: hcm.generate_request_id?.value ?? true,
    preserveExternalRequestId: hcm.preserve_external_request_id ?? false,
    ...(internalCidrs ? { internalCidrs } : {}),
  };

  const action = hcm.path_with_escaped_slashes_action;
  const pathOptions: PathOptions = {
    normalize: hcm.normalize_path?.value ?? false,
    mergeSlashes: hcm.merge_slashes ?? false,
    escapedSlashes: (action === 'IMPLEMENTATION_SPECIFIC_DEFAULT' || !action ? 'KEEP_UNCHANGED' : action) as EscapedSlashesAction,
  };

  const cc = hcm.set_current_client_cert_details;
  const xfcc: XfccPolicy = {
    mode: (hcm.forward_client_cert_details || 'SANITIZE') as ForwardClientCertDetails,
    details: { subject: cc?.subject?.value ?? false, cert: cc?.cert ?? false, chain: cc?.chain ?? false, dns: cc?.dns ?? false, uri: cc?.uri ?? false },
  };

  const transformation = hcm.server_header_transformation || 'OVERWRITE';
  if (transformation === 'APPEND_IF_ABSENT') issues.at('server_header_transformation').error('APPEND_IF_ABSENT is not supported (OVERWRITE and PASS_THROUGH are)');
  const serverHeader = transformation === 'PASS_THROUGH' ? undefined : hcm.server_name || DEFAULT_HCM_SETTINGS.serverHeader;

  const upgrades = new Set<string>();
  (hcm.upgrade_configs ?? []).forEach((u, i) => {
    const at = issues.at('upgrade_configs', i);
    const type = u.upgrade_type.toLowerCase();
    if (type !== 'websocket') at.at('upgrade_type').error(`upgrade type ${u.upgrade_type} is not supported (websocket is)`);
    if (u.filters.length > 0) at.at('filters').error('per-upgrade filter chains are not supported');
    if (u.enabled?.value ?? true) upgrades.add(type);
  });

  if (hcm.stream_error_on_invalid_http_message?.value) issues.at('stream_error_on_invalid_http_message').error('weft-proxy closes the connection on an invalid HTTP message (the default)');

  const underscores = common?.headers_with_underscores_action || 'ALLOW';
  const stripPort = hcm.strip_any_host_port ? 'any' : hcm.strip_matching_host_port ? 'matching' : 'none';
  const streamIdle = DURATION_OF(hcm.stream_idle_timeout);
  const idle = DURATION_OF(common?.idle_timeout);
  return {
    requestLimits,
    forwarding,
    pathOptions,
    xfcc,
    serverHeader,
    alwaysSetRequestId: hcm.always_set_request_id_in_response ?? false,
    proxy100Continue: hcm.proxy_100_continue ?? false,
    upgrades,
    streamIdleTimeoutMs: streamIdle ?? DEFAULT_HCM_SETTINGS.streamIdleTimeoutMs,
    requestTimeoutMs: DURATION_OF(hcm.request_timeout) ?? 0,
    idleTimeoutMs: idle ?? DEFAULT_HCM_SETTINGS.idleTimeoutMs,
    maxConnectionDurationMs: DURATION_OF(common?.max_connection_duration) ?? 0,
    maxRequestsPerConnection: common?.max_requests_per_connection?.value ?? 0,
    maxStreamDurationMs: DURATION_OF(common?.max_stream_duration) ?? 0,
    headersWithUnderscores: underscores as HcmSettings['headersWithUnderscores'],
    stripPort,
    stripTrailingHostDot: hcm.strip_trailing_host_dot ?? false,
  };
}
