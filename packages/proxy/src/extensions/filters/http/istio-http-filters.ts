// The HTTP filters istiod adds to every sidecar's connection managers besides Envoy's router, fault
// and cors: istio.metadata_exchange (peer metadata headers), envoy.filters.http.grpc_stats and
// istio.alpn. Each is chosen by its config's type URL (TypedStruct unwrapped), as Envoy does.
import type { AnyMessage, ProtoRegistry } from '@weft/api';
import type { IssueCollector } from '@weft/base';
import type { HttpFilter } from '../../../http/http-filter.js';
import type { StatScope } from '../../../stats/stat-store.js';
import type { ClusterLookup } from '../../../upstream/upstream-cluster.js';
import { unpackFilterConfig } from '../filter-type.js';
import { ALPN_TYPE, checkAlpnConfig, createAlpnFilter, type AlpnFilterConfig } from './alpn/alpn-filter.js';
import { checkGrpcStatsConfig, createGrpcStatsFilter, GRPC_STATS_TYPE, type GrpcStatsConfig } from './grpc_stats/grpc-stats-filter.js';
import { checkPeerMetadataConfig, createPeerMetadataFilter, PEER_METADATA_TYPE, type LocalPeer, type PeerMetadataConfig } from './peer_metadata/peer-metadata-filter.js';

export interface IstioHttpFilterDeps {
  readonly registry: ProtoRegistry;
  readonly clusters: ClusterLookup;
  readonly stats?: StatScope;
  /** This proxy's node for istio.metadata_exchange; without it nothing is propagated. */
  readonly localPeer?: LocalPeer;
}

export const ISTIO_HTTP_FILTER_TYPES: ReadonlySet<string> = new Set([PEER_METADATA_TYPE, GRPC_STATS_TYPE, ALPN_TYPE]);

/**
 * Builds one of these filters from its typed_config (`type` is the unwrapped type URL). Problems go
 * to `issues` (…typed_config) and give undefined.
 */
export function createIstioHttpFilter(type: string, any: AnyMessage, deps: IstioHttpFilterDeps, issues: IssueCollector): HttpFilter | undefined {
  const at = issues.at('typed_config');
  const before = at.errors.length;
  const config = unpackFilterConfig<Record<string, unknown>>(deps.registry, any, (m) => at.error(m));
  if (!config) return undefined;
  switch (type) {
    case PEER_METADATA_TYPE: {
      checkPeerMetadataConfig(config as PeerMetadataConfig, at);
      return at.errors.length === before ? createPeerMetadataFilter(config as PeerMetadataConfig, deps.localPeer, deps.clusters) : undefined;
    }
    case GRPC_STATS_TYPE: {
      checkGrpcStatsConfig(config as GrpcStatsConfig, at);
      if (at.errors.length !== before) return undefined;
      // Without a stat store there is nothing to count into: the filter passes requests through.
      return deps.stats ? createGrpcStatsFilter(config as GrpcStatsConfig, { stats: deps.stats }) : { name: 'envoy.filters.http.grpc_stats', decode: () => 'continue' };
    }
    case ALPN_TYPE: {
      const byProtocol = checkAlpnConfig(config as AlpnFilterConfig, at);
      return at.errors.length === before ? createAlpnFilter(byProtocol, deps.clusters) : undefined;
    }
    default:
      return undefined;
  }
}
