// The access log entry of a finished HTTP stream (Envoy's StreamInfo for it): read from what the
// connection manager and router recorded, once per logged stream, with headers looked up lazily.
import type { CompletedStream, RoutedStream } from '../../http/connection-manager.js';
import type { AccessLogEntry, HeaderLookup, SocketAddress } from './access-log-entry.js';

function requestHeaders(ctx: RoutedStream): HeaderLookup {
  return {
    get: (name) => {
      switch (name) {
        case ':path':
          return ctx.path;
        case ':method':
          return ctx.method;
        case ':authority':
          return ctx.authority;
        case ':scheme':
          return ctx.scheme;
      }
      // The headers as forwarded (x-request-id, x-forwarded-for as the proxy set them), else as received.
      const v = ctx.upstreamHeaders[name] ?? ctx.downstreamHeaders[name];
      return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : v;
    },
  };
}

function address(ip: string | undefined, port: number | undefined): SocketAddress | undefined {
  return ip === undefined || port === undefined ? undefined : { ip, port };
}

/** The response came from an upstream (the router stamps x-envoy-upstream-service-time on those). */
function fromUpstream(done: CompletedStream): boolean {
  return done.ctx.upstreamHost !== undefined && done.response.sentHeader('x-envoy-upstream-service-time') !== undefined;
}

/** Envoy's %RESPONSE_CODE_DETAILS% for the ways Weft ends a stream (best effort). */
function responseCodeDetails(done: CompletedStream, upstreamStarted: boolean): string | undefined {
  const flags = done.ctx.responseFlags;
  const started = done.status !== 0;
  if (flags.has('NR')) return 'route_not_found';
  if (flags.has('NC')) return 'cluster_not_found';
  if (flags.has('FI')) return 'fault_filter_abort';
  if (flags.has('UH')) return 'no_healthy_upstream';
  if (flags.has('UO')) return 'upstream_reset_before_response_started{overflow}';
  if (flags.has('UT')) return 'upstream_response_timeout';
  if (flags.has('UF')) return 'upstream_reset_before_response_started{connection_failure}';
  if (flags.has('UC')) return `upstream_reset_${upstreamStarted ? 'after' : 'before'}_response_started{connection_termination}`;
  if (upstreamStarted) return flags.has('DC') ? 'downstream_remote_disconnect' : 'via_upstream';
  if (!started) return flags.has('DC') ? 'downstream_remote_disconnect' : undefined;
  const kind = done.ctx.decision.kind;
  return kind === 'direct' || kind === 'redirect' ? 'direct_response' : undefined;
}

export function httpLogEntry(done: CompletedStream): AccessLogEntry {
  const ctx = done.ctx;
  const d = ctx.decision;
  const c = done.connection;
  const viaUpstream = fromUpstream(done);
  return {
    startTime: ctx.startedAt,
    protocol: ctx.protocol,
    requestHeaders: requestHeaders(ctx),
    responseHeaders: { get: (name) => done.response.sentHeader(name) },
    responseCode: done.status,
    responseCodeDetails: responseCodeDetails(done, viaUpstream),
    responseFlags: ctx.responseFlags,
    bytesReceived: done.bytesReceived,
    bytesSent: done.bytesSent,
    durationMs: done.durationMs,
    // Envoy's RESPONSE_DURATION is the first upstream byte; a local reply has none.
    responseDurationMs: viaUpstream ? done.responseStartMs : undefined,
    upstreamHost: ctx.upstreamHost,
    upstreamCluster: ctx.upstreamCluster,
    downstreamRemoteAddress: address(c.remoteAddress, c.remotePort),
    downstreamLocalAddress: address(c.localAddress, c.localPort),
    requestedServerName: c.serverName,
    routeName: d.kind === 'no-route' ? undefined : d.route?.name || undefined,
  };
}
