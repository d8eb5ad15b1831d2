// Non-terminal network filters on a filter chain (those before http_connection_manager or
// tcp_proxy) and a cluster's upstream network filters (Cluster.filters). istiod sends exactly one
// of each kind: istio.metadata_exchange. Anything else is refused with its path, so the update is
// NACKed, as Envoy refuses an unknown filter.
import type { AnyMessage, ProtoRegistry } from '@weft/api';
import type { IssueCollector } from '@weft/base';
import type { NetworkFilter } from '../../../listener/listener-manager.js';
import type { StatScope } from '../../../stats/stat-store.js';
import { filterTypeUrl, unpackFilterConfig } from '../filter-type.js';
import { METADATA_EXCHANGE_TYPE, MetadataExchangeFilter, mxFrame, type MetadataExchangeConfig } from './metadata_exchange/metadata-exchange-filter.js';

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

/**
 * Checks a cluster's upstream network filters (Cluster.filters). istio.metadata_exchange is
 * accepted; it takes effect only on upstream mTLS connections that negotiate its ALPN, which the
 * upstream transport must run (see docs/components/proxy.md) — on plaintext clusters it is a no-op.
 */
export function checkClusterFilters(registry: ProtoRegistry, filters: readonly FilterInput[] | undefined, issues: IssueCollector): void {
  (filters ?? []).forEach((f, i) => {
    const at = issues.at('filters', i);
    const type = filterTypeUrl(registry, f.typed_config);
    if (type !== METADATA_EXCHANGE_TYPE || !f.typed_config) return at.error(`upstream network filter ${f.name} (${type ?? 'no typed_config'}) is not supported`);
    unpackFilterConfig(registry, f.typed_config, (m) => at.at('typed_config').error(m));
  });
}
