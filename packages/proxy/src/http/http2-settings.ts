// http_connection_manager.http2_protocol_options → the settings the connection manager's HTTP/2
// codec uses. Only what Node's server can apply: max_concurrent_streams, the initial stream and
// connection windows, and connection_keepalive (PING interval and timeout).
import type { HttpConnectionManager__Output } from '@weft/api';

export interface Http2Settings {
  /** max_concurrent_streams (Envoy's default 2147483647; Istio sets 1073741824). */
  readonly maxConcurrentStreams?: number;
  readonly initialStreamWindowSize?: number;
  readonly initialConnectionWindowSize?: number;
  /** connection_keepalive: PING every interval, close when one is not answered within the timeout. */
  readonly keepalive?: { readonly intervalMs: number; readonly timeoutMs: number };
}

type Http2ProtocolOptions = NonNullable<HttpConnectionManager__Output['http2_protocol_options']>;
type Duration = { seconds: string | number; nanos: number } | null | undefined;

const ms = (d: Duration): number => (d ? Number(d.seconds) * 1000 + Math.floor(d.nanos / 1e6) : 0);

export function http2SettingsFrom(o: Http2ProtocolOptions | null | undefined): Http2Settings {
  if (!o) return {};
  const keepalive = o.connection_keepalive;
  const interval = ms(keepalive?.interval);
  return {
    ...(o.max_concurrent_streams ? { maxConcurrentStreams: o.max_concurrent_streams.value } : {}),
    ...(o.initial_stream_window_size ? { initialStreamWindowSize: o.initial_stream_window_size.value } : {}),
    ...(o.initial_connection_window_size ? { initialConnectionWindowSize: o.initial_connection_window_size.value } : {}),
    // Envoy's keepalive timeout is required; a missing one falls back to the interval.
    ...(interval > 0 ? { keepalive: { intervalMs: interval, timeoutMs: ms(keepalive?.timeout) || interval } } : {}),
  };
}
