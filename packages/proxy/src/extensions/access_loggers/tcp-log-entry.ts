// The access log entry of a finished tcp_proxy connection: connection-level values only (no
// protocol, response code or headers), bytes counted on the downstream socket.
import type { TcpProxyConnection } from '../../network/tcp-proxy.js';
import { formatSocketAddress, type AccessLogEntry, type SocketAddress } from './access-log-entry.js';

function address(ip: string | undefined, port: number | undefined): SocketAddress | undefined {
  return ip === undefined || port === undefined ? undefined : { ip, port };
}

export function tcpLogEntry(c: TcpProxyConnection): AccessLogEntry {
  const d = c.downstreamEndpoints;
  const u = c.upstreamEndpoints;
  const upstreamLocal = u ? address(u.localAddress, u.localPort) : undefined;
  const servername = (c.downstream as { servername?: string | false | null }).servername;
  return {
    startTime: c.startedAt,
    responseFlags: c.responseFlags,
    bytesReceived: c.downstream.bytesRead,
    bytesSent: c.downstream.bytesWritten,
    durationMs: Date.now() - c.startedAt,
    upstreamHost: c.upstreamHost,
    upstreamCluster: c.cluster,
    upstreamLocalAddress: upstreamLocal ? formatSocketAddress(upstreamLocal) : undefined,
    downstreamRemoteAddress: address(d.remoteAddress, d.remotePort),
    downstreamLocalAddress: address(d.localAddress, d.localPort),
    requestedServerName: servername || undefined,
  };
}
