// istio.alpn (istio/proxy's ALPN override filter): picks the ALPN list that upstream TLS connections
// of this request offer, by the protocol the upstream cluster speaks — istiod maps HTTP/1.0,
// HTTP/1.1 and HTTP/2 to `istio-http/1.0`, `istio-http/1.1`, `istio-h2` (each followed by `istio`
// and the plain protocol), so the server-side sidecar can tell mesh mTLS from other TLS. A cluster
// whose `istio` filter metadata says `alpn_override: "false"` (non-mesh TLS) keeps its own ALPN.
//
// The choice is recorded per stream. Envoy hands it to the upstream TLS transport socket as filter
// state (envoy.network.application_protocols) and keys connection pools by it; weft-proxy keeps that
// filter state in upstream/application-protocols.ts, the router (and the upgrade tunnel) put it in
// the pool key, and the host's pool for that key offers this list instead of the TLS context's
// alpn_protocols (HostPools in upstream/conn-pool.ts; docs/components/proxy.md, "istio.alpn").
import type { IssueCollector } from '@weft/base';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import type { FilterStatus, HttpFilter } from '../../../../http/http-filter.js';
import { setUpstreamApplicationProtocols, upstreamApplicationProtocols } from '../../../../upstream/application-protocols.js';
import type { ClusterLookup } from '../../../../upstream/upstream-cluster.js';

export const ALPN_FILTER = 'istio.alpn';
export const ALPN_TYPE = 'type.googleapis.com/istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig';

export type AlpnUpstreamProtocol = 'HTTP10' | 'HTTP11' | 'HTTP2';

/** The decoded istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig. */
export interface AlpnFilterConfig {
  readonly alpn_override?: readonly { readonly upstream_protocol?: AlpnUpstreamProtocol | number; readonly alpn_override?: readonly string[] }[];
}

/** What the filter reads of a cluster beyond the router's seam (ManagedCluster has both). */
interface ClusterFacts {
  readonly protocol?: 'http1' | 'http2';
  /** 'downstream' for use_downstream_protocol_config: the upstream speaks the downstream's protocol. */
  readonly poolProtocol?: 'http1' | 'http2' | 'downstream';
  readonly config?: { readonly metadata?: { readonly filter_metadata?: Record<string, unknown> } | null };
}

/** The ALPN list istio.alpn chose for this stream's upstream TLS connections; undefined = the cluster's own. */
export const upstreamAlpnOverride: (ctx: object) => readonly string[] | undefined = upstreamApplicationProtocols;

const PROTOCOLS: readonly AlpnUpstreamProtocol[] = ['HTTP10', 'HTTP11', 'HTTP2'];

export function checkAlpnConfig(config: AlpnFilterConfig, issues: IssueCollector): Map<AlpnUpstreamProtocol, readonly string[]> {
  const byProtocol = new Map<AlpnUpstreamProtocol, readonly string[]>();
  (config.alpn_override ?? []).forEach((o, i) => {
    const p = typeof o.upstream_protocol === 'number' ? PROTOCOLS[o.upstream_protocol] : (o.upstream_protocol ?? 'HTTP10');
    if (!p) return issues.at('alpn_override', i, 'upstream_protocol').error(`unknown protocol ${String(o.upstream_protocol)}`);
    const list = o.alpn_override ?? [];
    list.forEach((name, j) => {
      if (name.length === 0 || name.length > 255) issues.at('alpn_override', i, 'alpn_override', j).error('an ALPN protocol name is 1 to 255 bytes');
    });
    // Later entries for the same protocol win, as Envoy's map insertion does.
    byProtocol.set(p, list);
  });
  return byProtocol;
}

/** `istio: { alpn_override: "false" }` in the cluster's filter metadata turns the override off. */
function overrideDisabled(facts: ClusterFacts): boolean {
  const istio = facts.config?.metadata?.filter_metadata?.['istio'] as { fields?: Record<string, { kind?: string; string_value?: string }> } | undefined;
  const v = istio?.fields?.['alpn_override'];
  return v?.kind === 'string_value' && v.string_value === 'false';
}

export function createAlpnFilter(byProtocol: ReadonlyMap<AlpnUpstreamProtocol, readonly string[]>, clusters: ClusterLookup): HttpFilter {
  return {
    name: ALPN_FILTER,
    decode(raw): FilterStatus {
      const ctx = raw as RoutedStream;
      if (byProtocol.size === 0 || ctx.decision.kind !== 'forward') return 'continue';
      const cluster = clusters.get(ctx.decision.cluster) as ClusterFacts | undefined;
      if (!cluster || overrideDisabled(cluster)) return 'continue';
      // Envoy's upstreamHttpProtocol: the downstream's protocol under use_downstream_protocol_config,
      // else HTTP/2 when the cluster configures it, else HTTP/1.1. (An HTTP/1.0 downstream request
      // counts as HTTP/1.1 here: weft's streams do not carry the minor version.)
      const h2 = cluster.poolProtocol === 'downstream' ? ctx.protocol === 'HTTP/2' : cluster.protocol === 'http2';
      const protocol: AlpnUpstreamProtocol = h2 ? 'HTTP2' : 'HTTP11';
      const list = byProtocol.get(protocol);
      if (list) setUpstreamApplicationProtocols(ctx, list);
      return 'continue';
    },
  };
}
