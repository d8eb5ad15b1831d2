// What a route's %VARIABLE% header values read for one stream, built only when a route has such a
// value: the access log's view of the stream (addresses, protocol, start time, request headers)
// plus the chosen upstream host. Response header formats also see the response headers and code.
import type { RoutedStream } from '../../../../http/connection-manager.js';
import { downstreamConnectionOf } from '../../../../http/downstream-connection.js';
import type { HeaderMap } from '../../../../http/headers.js';
import type { AccessLogEntry, HeaderLookup, SocketAddress } from '../../../access_loggers/access-log-entry.js';
import type { HeaderFormatInput } from '../../../../router/header-format.js';
import type { UpstreamHost } from '../../../../upstream/upstream-cluster.js';

function lookup(map: HeaderMap, fallback?: RoutedStream): HeaderLookup {
  return {
    get: (name) => {
      if (fallback) {
        switch (name) {
          case ':path':
            return fallback.path;
          case ':method':
            return fallback.method;
          case ':authority':
            return fallback.authority;
          case ':scheme':
            return fallback.scheme;
        }
      }
      const v = map[name] ?? fallback?.downstreamHeaders[name];
      return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : v;
    },
  };
}

function address(ip: string | undefined, port: number | undefined): SocketAddress | undefined {
  return ip === undefined || port === undefined ? undefined : { ip, port };
}

/** Endpoint metadata, when the host carries any (filter_metadata by filter name). */
type WithMetadata = { metadata?: { filter_metadata?: Record<string, unknown> } | null };

export function headerFormatInput(
  ctx: RoutedStream,
  requestHeaders: HeaderMap,
  host: UpstreamHost | undefined,
  response?: { status: number; headers: HeaderMap },
): HeaderFormatInput {
  const socket = 'stream' in ctx.response ? ctx.response.stream.session?.socket : ctx.response.socket;
  const c = downstreamConnectionOf(socket);
  const entry: AccessLogEntry = {
    startTime: ctx.startedAt,
    protocol: ctx.protocol,
    requestHeaders: lookup(requestHeaders, ctx),
    ...(response ? { responseHeaders: lookup(response.headers), responseCode: response.status } : {}),
    responseFlags: ctx.responseFlags,
    bytesReceived: 0,
    bytesSent: 0,
    upstreamHost: ctx.upstreamHost,
    upstreamCluster: ctx.upstreamCluster,
    downstreamRemoteAddress: address(c.remoteAddress ?? ctx.remoteAddress, c.remotePort),
    downstreamLocalAddress: address(c.localAddress, c.localPort),
    requestedServerName: c.serverName,
    routeName: ctx.decision.kind === 'forward' ? ctx.decision.route.name || undefined : undefined,
  };
  return {
    entry,
    ...(host ? { upstreamRemoteAddress: host.address.includes(':') ? `[${host.address}]:${host.port}` : `${host.address}:${host.port}` } : {}),
    upstreamMetadata: (filter) => (host as (UpstreamHost & WithMetadata) | undefined)?.metadata?.filter_metadata?.[filter],
  };
}
