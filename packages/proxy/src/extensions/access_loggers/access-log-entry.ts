// What an access log line is made from: Envoy's StreamInfo (timing, bytes, flags, upstream,
// downstream addresses) with the request and response headers, for an HTTP stream or a TCP
// connection. Adapters build one per finished stream, and only when a logger is configured.

/** Headers by lower-case name; pseudo-headers (`:path`, `:method`, `:authority`) included. */
export interface HeaderLookup {
  get(lowerCaseName: string): string | undefined;
}

export interface SocketAddress {
  readonly ip: string;
  readonly port: number;
}

export interface AccessLogEntry {
  /** Epoch milliseconds: request start (HTTP) or downstream connection start (TCP). */
  readonly startTime: number;
  /** `HTTP/1.1`, `HTTP/2`; undefined for TCP. */
  readonly protocol?: string;
  readonly requestHeaders?: HeaderLookup;
  readonly responseHeaders?: HeaderLookup;
  /** 0 when no response started (the downstream went away first); undefined for TCP. */
  readonly responseCode?: number;
  readonly responseCodeDetails?: string;
  readonly responseFlags: ReadonlySet<string>;
  /** Body bytes received (HTTP), or bytes received on the downstream connection (TCP). */
  readonly bytesReceived: number;
  /** Body bytes sent (HTTP), or bytes sent on the downstream connection (TCP). */
  readonly bytesSent: number;
  /** From the start to the last byte out, in milliseconds. */
  readonly durationMs?: number;
  /** From the start to the first byte of the upstream response. */
  readonly responseDurationMs?: number;
  /** `10.0.0.1:8080`. */
  readonly upstreamHost?: string;
  readonly upstreamCluster?: string;
  readonly upstreamLocalAddress?: string;
  readonly upstreamTransportFailureReason?: string;
  readonly downstreamRemoteAddress?: SocketAddress;
  readonly downstreamLocalAddress?: SocketAddress;
  /** SNI of a downstream TLS connection. */
  readonly requestedServerName?: string;
  readonly routeName?: string;
}

/** `1.2.3.4:80`, `[::1]:80`; an IPv4-mapped IPv6 address prints as IPv4, as Envoy sees it. */
export function formatSocketAddress(a: SocketAddress): string {
  const ip = stripMapped(a.ip);
  return ip.includes(':') ? `[${ip}]:${a.port}` : `${ip}:${a.port}`;
}

export function stripMapped(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
