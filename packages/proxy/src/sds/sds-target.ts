// The gRPC target of an SDS server named by a static cluster: Istio's `sds-grpc` cluster has one
// endpoint whose address is a pipe (pilot-agent's Unix socket, `./etc/istio/proxy/SDS` relative to
// the proxy's working directory, or `/var/run/sds`); a socket_address works too.
type Maybe<T> = T | null | undefined;

/** The fields of a static Cluster this reads (Cluster__Output fits). */
export interface ClusterAddressInput {
  readonly load_assignment?: Maybe<{
    readonly endpoints?: ReadonlyArray<{
      readonly lb_endpoints?: ReadonlyArray<{
        readonly endpoint?: Maybe<{ readonly address?: Maybe<{ readonly pipe?: Maybe<{ readonly path?: string }>; readonly socket_address?: Maybe<{ readonly address?: string; readonly port_value?: number | string }> }> }>;
      }>;
    }>;
  }>;
}

/** `unix:<path>` for a pipe (abstract `@name` → `unix-abstract:name`), `host:port` for a socket address. */
export function grpcTargetOf(cluster: ClusterAddressInput): string | undefined {
  for (const g of cluster.load_assignment?.endpoints ?? []) {
    for (const e of g.lb_endpoints ?? []) {
      const a = e.endpoint?.address;
      const path = a?.pipe?.path;
      if (path) return path.startsWith('@') ? `unix-abstract:${path.slice(1)}` : `unix:${path}`;
      const sa = a?.socket_address;
      if (sa?.address) return `${sa.address.includes(':') ? `[${sa.address}]` : sa.address}:${Number(sa.port_value ?? 0)}`;
    }
  }
  return undefined;
}

