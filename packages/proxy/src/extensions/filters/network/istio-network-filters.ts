// Non-terminal network filters on a filter chain (those before http_connection_manager or
// tcp_proxy) and a cluster's upstream network filters (Cluster.filters, run by tcp_proxy on its
// upstream connections). istiod sends exactly one of each kind: istio.metadata_exchange. Anything
// else is refused with its path, so the update is NACKed, as Envoy refuses an unknown filter.
import type { AnyMessage, ProtoRegistry } from '@weft/api';
import type { IssueCollector } from '@weft/base';
import type { NetworkFilter } from '../../../listener/listener-manager.js';
import type { StatScope } from '../../../stats/stat-store.js';
import { filterTypeUrl, unpackFilterConfig } from '../filter-type.js';
import type { UpstreamConnectionHook } from '../../../upstream/upstream-cluster.js';
import { exchangeMetadata, METADATA_EXCHANGE_TYPE, MetadataExchangeFilter, mxFrame, type MetadataExchangeConfig, type MetadataExchangeSide } from './metadata_exchange/metadata-exchange-filter.js';

interface FilterInput {
  readonly name: string;
  readonly typed_config?: AnyMessage | null;
}

export interface IstioNetworkFilterDeps {
  readonly registry: ProtoRegistry;
  readonly stats?: StatScope;
  readonly node?: { readonly id?: string; readonly metadata?: object | null } | null;
}

/** This node's metadata exchange frame: an Any of Struct { x-envoy-peer-metadata, x-envoy-peer-metadata-id }. */
export function metadataExchangeFrame(registry: ProtoRegistry, node: IstioNetworkFilterDeps['node']): Buffer | undefined {
  if (!node) return undefined;
  const struct = {
    fields: {
      'x-envoy-peer-metadata': { struct_value: node.metadata ?? { fields: {} } },
      'x-envoy-peer-metadata-id': { string_value: node.id ?? '' },
    },
  };
  const any = { type_url: 'type.googleapis.com/google.protobuf.Struct', value: registry.encode('google.protobuf.Struct', struct) };
  return mxFrame(registry.encode('google.protobuf.Any', any));
}

/**
 * Wraps `terminal` in the chain's earlier filters (the first one outermost, so it sees the
 * connection first). `filters` are those before the terminal one; problems go to `issues` at their
 * index. Undefined when any is refused or there is no terminal filter (every filter is still checked).
 */
export function wrapNetworkFilters(filters: readonly FilterInput[], terminal: NetworkFilter | undefined, deps: IstioNetworkFilterDeps, issues: IssueCollector): NetworkFilter | undefined {
  let frame: Buffer | undefined;
  let wrapped = terminal;
  let ok = terminal !== undefined;
  for (const [i, f] of [...filters.entries()].reverse()) {
    const at = issues.at(i);
    const type = filterTypeUrl(deps.registry, f.typed_config);
    if (type !== METADATA_EXCHANGE_TYPE || !f.typed_config) {
      at.error(`network filter ${f.name} (${type ?? 'no typed_config'}) is not supported`);
      ok = false;
      continue;
    }
    const config = unpackFilterConfig<MetadataExchangeConfig>(deps.registry, f.typed_config, (m) => at.at('typed_config').error(m));
    if (!config) {
      ok = false;
      continue;
    }
    frame ??= metadataExchangeFrame(deps.registry, deps.node);
    if (wrapped) wrapped = new MetadataExchangeFilter({ protocol: config.protocol ?? '', inner: wrapped, frame, ...(deps.stats ? { stats: deps.stats } : {}) });
  }
  return ok ? wrapped : undefined;
}

/** What a cluster's upstream filters need: this node's frame and the cluster's stats (`cluster.<name>`). */
export interface ClusterFilterDeps {
  readonly frame?: Buffer | undefined;
  readonly stats?: StatScope | undefined;
}

/**
 * A cluster's upstream network filters (Cluster.filters) as the hook tcp_proxy runs on each new
 * upstream connection; problems go to `issues` under `filters[i]`. istio.metadata_exchange runs the
 * client side of the exchange (istio/proxy's upstream filter): on an upstream TLS connection that
 * negotiated its `protocol` it writes this node's frame and takes the peer's off the stream before
 * the application bytes; otherwise (plaintext, another ALPN) it does nothing. Undefined when the
 * cluster has no filters or one is refused.
 */
export function clusterFilters(registry: ProtoRegistry, filters: readonly FilterInput[] | undefined, deps: ClusterFilterDeps, issues: IssueCollector): UpstreamConnectionHook | undefined {
  const sides: MetadataExchangeSide[] = [];
  let ok = true;
  (filters ?? []).forEach((f, i) => {
    const at = issues.at('filters', i);
    const type = filterTypeUrl(registry, f.typed_config);
    if (type !== METADATA_EXCHANGE_TYPE || !f.typed_config) {
      ok = false;
      return at.error(`upstream network filter ${f.name} (${type ?? 'no typed_config'}) is not supported`);
    }
    const config = unpackFilterConfig<MetadataExchangeConfig>(registry, f.typed_config, (m) => at.at('typed_config').error(m));
    if (!config) ok = false;
    else sides.push({ protocol: config.protocol ?? '', frame: deps.frame, stats: deps.stats });
  });
  if (!ok || sides.length === 0) return undefined;
  // In their order, each once the one before has finished with the connection.
  return (socket, ready) => {
    const next = (i: number): void => {
      const side = sides[i];
      if (!side) return ready(true);
      exchangeMetadata(socket, side, (outcome) => (outcome === 'closed' ? ready(false) : next(i + 1)));
    };
    next(0);
  };
}

/** Checks a cluster's upstream network filters (Cluster.filters): unknown ones are refused with their path. */
export function checkClusterFilters(registry: ProtoRegistry, filters: readonly FilterInput[] | undefined, issues: IssueCollector): void {
  clusterFilters(registry, filters, {}, issues);
}
