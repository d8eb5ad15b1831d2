// Envoy access logs from MeshConfig.accessLogFile / accessLogFormat / accessLogEncoding, with Istio
// 1.3's default text and JSON formats (pilot/pkg/networking/core/v1alpha3/accesslog.go).
import type { MeshConfig } from '@weft/api';
import { typedConfig } from '../route/proto-values.js';

export const FILE_ACCESS_LOG = 'envoy.access_loggers.file';
export const FILE_ACCESS_LOG_TYPE = 'envoy.extensions.access_loggers.file.v3.FileAccessLog';

/** Istio 1.3's EnvoyTextLogFormat13. */
export const ISTIO_TEXT_LOG_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '"%DYNAMIC_METADATA(istio.mixer:status)%" "%UPSTREAM_TRANSPORT_FAILURE_REASON%" %BYTES_RECEIVED% %BYTES_SENT% ' +
  '%DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" ' +
  '"%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%" %UPSTREAM_CLUSTER% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% ' +
  '%DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME%\n';

/** Istio 1.3's EnvoyJSONLogFormat13. */
export const ISTIO_JSON_LOG_FORMAT: Readonly<Record<string, string>> = {
  start_time: '%START_TIME%',
  method: '%REQ(:METHOD)%',
  path: '%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%',
  protocol: '%PROTOCOL%',
  response_code: '%RESPONSE_CODE%',
  response_flags: '%RESPONSE_FLAGS%',
  bytes_received: '%BYTES_RECEIVED%',
  bytes_sent: '%BYTES_SENT%',
  duration: '%DURATION%',
  upstream_service_time: '%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%',
  x_forwarded_for: '%REQ(X-FORWARDED-FOR)%',
  user_agent: '%REQ(USER-AGENT)%',
  request_id: '%REQ(X-REQUEST-ID)%',
  authority: '%REQ(:AUTHORITY)%',
  upstream_host: '%UPSTREAM_HOST%',
  upstream_cluster: '%UPSTREAM_CLUSTER%',
  upstream_local_address: '%UPSTREAM_LOCAL_ADDRESS%',
  downstream_local_address: '%DOWNSTREAM_LOCAL_ADDRESS%',
  downstream_remote_address: '%DOWNSTREAM_REMOTE_ADDRESS%',
  requested_server_name: '%REQUESTED_SERVER_NAME%',
  istio_policy_status: '%DYNAMIC_METADATA(istio.mixer:status)%',
  upstream_transport_failure_reason: '%UPSTREAM_TRANSPORT_FAILURE_REASON%',
};

function jsonFormat(mesh: MeshConfig): Record<string, string> {
  if (!mesh.accessLogFormat) return { ...ISTIO_JSON_LOG_FORMAT };
  try {
    const parsed: unknown = JSON.parse(mesh.accessLogFormat);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) {
      return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, String(v)]));
    }
  } catch {
    // Istio falls back to its default format when the custom JSON does not parse.
  }
  return { ...ISTIO_JSON_LOG_FORMAT };
}

function logFormat(mesh: MeshConfig): object {
  if (mesh.accessLogEncoding === 'JSON') {
    const fields = Object.fromEntries(Object.entries(jsonFormat(mesh)).map(([k, v]) => [k, { string_value: v }]));
    return { json_format: { fields } };
  }
  const text = mesh.accessLogFormat ? (mesh.accessLogFormat.endsWith('\n') ? mesh.accessLogFormat : `${mesh.accessLogFormat}\n`) : ISTIO_TEXT_LOG_FORMAT;
  return { text_format_source: { inline_string: text } };
}

/** The file access log for HTTP connection managers and TCP proxies; none when accessLogFile is empty. */
export function accessLogs(mesh: MeshConfig): { name: string; typed_config: { type_url: string; value: Uint8Array } }[] {
  if (!mesh.accessLogFile) return [];
  return [{ name: FILE_ACCESS_LOG, typed_config: typedConfig(FILE_ACCESS_LOG_TYPE, { path: mesh.accessLogFile, log_format: logFormat(mesh) }) }];
}
