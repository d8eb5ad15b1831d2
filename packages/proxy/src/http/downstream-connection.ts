// What the access log needs to know about a downstream connection (its addresses and SNI), read
// once when the connection arrives and kept on the socket, so that a request reads one property —
// also through the HTTP/2 compatibility layer, whose `req.socket` proxies the session's socket.
import type net from 'node:net';

export interface DownstreamConnection {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
  readonly localAddress: string | undefined;
  readonly localPort: number | undefined;
  /** SNI of a TLS connection. */
  readonly serverName: string | undefined;
}

const CONNECTION = Symbol('weft.downstreamConnection');

type Tagged = { [CONNECTION]?: DownstreamConnection };

const UNKNOWN: DownstreamConnection = { remoteAddress: undefined, remotePort: undefined, localAddress: undefined, localPort: undefined, serverName: undefined };

export function tagDownstreamConnection(socket: net.Socket): void {
  const servername = (socket as { servername?: string | false | null }).servername;
  (socket as Tagged)[CONNECTION] = {
    remoteAddress: socket.remoteAddress,
    remotePort: socket.remotePort,
    localAddress: socket.localAddress,
    localPort: socket.localPort,
    serverName: servername || undefined,
  };
}

/** The connection a request arrived on; fields unknown when the socket is already gone. */
export function downstreamConnectionOf(socket: net.Socket | undefined | null): DownstreamConnection {
  try {
    return (socket as Tagged | undefined)?.[CONNECTION] ?? UNKNOWN;
  } catch {
    // The HTTP/2 socket proxy throws once its session has been destroyed.
    return UNKNOWN;
  }
}
