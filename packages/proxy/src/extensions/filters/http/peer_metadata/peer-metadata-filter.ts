// istio.metadata_exchange, the HTTP filter (istio/proxy peer_metadata, config
// io.istio.http.peer_metadata.Config in a TypedStruct): sidecars tell each other who they are in
// two headers, x-envoy-peer-metadata-id (the node id) and x-envoy-peer-metadata (base64 of the node
// metadata as a serialized google.protobuf.Struct).
//
// - upstream_propagation istio_headers (outbound): this node's headers go on every upstream request,
//   except to clusters marked external (skip_external_clusters) or with `istio.disable_mx`.
// - downstream_discovery istio_headers (inbound): the peer's headers are read off the request and
//   removed before it goes on to the app.
// - downstream_propagation istio_headers (inbound): the response carries this node's headers back,
//   each only if the request carried the peer's (so non-mesh clients never see them).
// - upstream_discovery istio_headers (outbound): the peer's headers are read off the response and
//   removed before the app sees it.
// workload_discovery needs Istio's workload metadata xDS, which Pilot does not serve: it finds
// nothing, as in an Envoy without the bootstrap extension. baggage is deprecated and unused.
import type { IssueCollector } from '@weft/base';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import type { FilterStatus, HttpFilter } from '../../../../http/http-filter.js';
import type { ClusterLookup } from '../../../../upstream/upstream-cluster.js';
import { beforeResponseHeaders } from '../response-hook.js';

export const PEER_METADATA_FILTER = 'istio.metadata_exchange';
export const PEER_METADATA_TYPE = 'type.googleapis.com/io.istio.http.peer_metadata.Config';
export const PEER_METADATA_ID_HEADER = 'x-envoy-peer-metadata-id';
export const PEER_METADATA_HEADER = 'x-envoy-peer-metadata';

type Method = { readonly method_specifier?: string; readonly istio_headers?: { readonly skip_external_clusters?: boolean } | null };

/** The decoded io.istio.http.peer_metadata.Config fields this filter reads. */
export interface PeerMetadataConfig {
  readonly downstream_discovery?: readonly Method[];
  readonly upstream_discovery?: readonly Method[];
  readonly downstream_propagation?: readonly Method[];
  readonly upstream_propagation?: readonly Method[];
}

/** This proxy's identity as the headers carry it, computed once from the bootstrap node. */
export interface LocalPeer {
  readonly id: string;
  /** base64 of the serialized node metadata Struct. */
  readonly metadata: string;
}

/** A peer as its headers named it (the metadata stays encoded until someone asks). */
export interface PeerHeaders {
  readonly id: string | undefined;
  readonly metadata: string | undefined;
}

const peers = new WeakMap<object, { downstream?: PeerHeaders; upstream?: PeerHeaders }>();

/** The peer learnt on this stream: `downstream` (inbound) or `upstream` (outbound). */
export function peerOf(ctx: object, side: 'downstream' | 'upstream'): PeerHeaders | undefined {
  return peers.get(ctx)?.[side];
}

function first(v: unknown): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' && s !== '' ? s : undefined;
}

const hasIstioHeaders = (list: readonly Method[] | undefined): boolean => (list ?? []).some((m) => m.istio_headers);

export function checkPeerMetadataConfig(config: PeerMetadataConfig, issues: IssueCollector): void {
  for (const field of ['downstream_discovery', 'upstream_discovery', 'downstream_propagation', 'upstream_propagation'] as const) {
    (config[field] ?? []).forEach((m, i) => {
      if (!m.method_specifier) issues.at(field, i).error('a method (istio_headers, workload_discovery or baggage) is required');
    });
  }
}

interface ClusterFacts {
  readonly config?: { readonly metadata?: { readonly filter_metadata?: Record<string, unknown> } | null };
}

/** istio/proxy skipMXHeaders: PassthroughCluster and `istio.external` when skipping external clusters; `istio.disable_mx` always. */
function skipUpstream(clusterName: string, cluster: ClusterFacts | undefined, skipExternal: boolean): boolean {
  if (skipExternal && clusterName === 'PassthroughCluster') return true;
  const istio = cluster?.config?.metadata?.filter_metadata?.['istio'] as { fields?: Record<string, { bool_value?: boolean; kind?: string }> } | undefined;
  const flag = (k: string) => {
    const v = istio?.fields?.[k];
    return v?.kind === 'bool_value' && v.bool_value === true;
  };
  return (skipExternal && flag('external')) || flag('disable_mx');
}

export function createPeerMetadataFilter(config: PeerMetadataConfig, local: LocalPeer | undefined, clusters: ClusterLookup): HttpFilter {
  const discoverDownstream = hasIstioHeaders(config.downstream_discovery);
  const discoverUpstream = hasIstioHeaders(config.upstream_discovery);
  // Without a node there is nothing to propagate; discovery (and header removal) still happens.
  const downstreamPeer = hasIstioHeaders(config.downstream_propagation) ? local : undefined;
  const upstreamMethod = (config.upstream_propagation ?? []).find((m) => m.istio_headers);
  const upstreamPeer = upstreamMethod ? local : undefined;
  const skipExternal = upstreamMethod?.istio_headers?.skip_external_clusters ?? false;
  return {
    name: PEER_METADATA_FILTER,
    decode(raw): FilterStatus {
      const ctx = raw as RoutedStream;
      let idReceived = false;
      let metadataReceived = false;
      if (discoverDownstream) {
        const id = first(ctx.downstreamHeaders[PEER_METADATA_ID_HEADER]);
        const metadata = first(ctx.downstreamHeaders[PEER_METADATA_HEADER]);
        idReceived = id !== undefined;
        metadataReceived = metadata !== undefined;
        if (metadata !== undefined) peers.set(ctx, { downstream: { id, metadata } });
        delete ctx.upstreamHeaders[PEER_METADATA_ID_HEADER];
        delete ctx.upstreamHeaders[PEER_METADATA_HEADER];
      }
      if (upstreamPeer && ctx.decision.kind === 'forward') {
        const name = ctx.decision.cluster;
        if (!skipUpstream(name, clusters.get(name) as ClusterFacts | undefined, skipExternal)) {
          ctx.upstreamHeaders[PEER_METADATA_ID_HEADER] = upstreamPeer.id;
          ctx.upstreamHeaders[PEER_METADATA_HEADER] = upstreamPeer.metadata;
        }
      }
      const answerPeer = idReceived || metadataReceived ? downstreamPeer : undefined;
      if (discoverUpstream || answerPeer) {
        beforeResponseHeaders(ctx, (h) => {
          if (discoverUpstream) {
            const id = first(h[PEER_METADATA_ID_HEADER]);
            const metadata = first(h[PEER_METADATA_HEADER]);
            if (metadata !== undefined) peers.set(ctx, { ...peers.get(ctx), upstream: { id, metadata } });
            delete h[PEER_METADATA_ID_HEADER];
            delete h[PEER_METADATA_HEADER];
          }
          if (answerPeer) {
            if (idReceived) h[PEER_METADATA_ID_HEADER] = answerPeer.id;
            if (metadataReceived) h[PEER_METADATA_HEADER] = answerPeer.metadata;
          }
        });
      }
      return 'continue';
    },
  };
}

/** The bootstrap node as the exchange headers carry it: its id and base64 of its metadata Struct. */
export function localPeerFrom(encodeStruct: (struct: object) => Uint8Array, node: { readonly id?: string; readonly metadata?: object | null } | null | undefined): LocalPeer | undefined {
  if (!node) return undefined;
  return { id: node.id ?? '', metadata: Buffer.from(encodeStruct(node.metadata ?? { fields: {} })).toString('base64') };
}
