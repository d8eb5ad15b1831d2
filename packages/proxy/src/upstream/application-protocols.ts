// Envoy's `envoy.network.application_protocols` filter state: the ALPN list a stream asks its
// upstream TLS connections to offer instead of the TLS context's alpn_protocols (istio.alpn sets
// it). It lives here, below the filters that set it and the router and upgrade code that read it
// into the pool key (conn-pool.ts PoolKey), so neither side imports the other.

const byStream = new WeakMap<object, readonly string[]>();

/** Records the stream's upstream ALPN list (an empty list is no override). */
export function setUpstreamApplicationProtocols(stream: object, protocols: readonly string[]): void {
  if (protocols.length > 0) byStream.set(stream, protocols);
}

/** The stream's upstream ALPN list; undefined = the cluster's own. */
export function upstreamApplicationProtocols(stream: object): readonly string[] | undefined {
  return byStream.get(stream);
}
