// The CDS generator (Istio 1.3 BuildClusters): outbound clusters for every proxy; sidecars also get
// BlackHole/Passthrough, their inbound clusters and the inbound passthrough; gateways BlackHole only.
import type { Cluster } from '@weft/api';
import { outboundShareKey, sharedValue, type Generator, type GeneratorContext, type GeneratedResource } from '../generator.js';
import { CLUSTER_TYPE } from './cluster-draft.js';
import { inboundClusters } from './inbound-clusters.js';
import { outboundClusters } from './outbound-clusters.js';
import { blackHoleCluster, inboundPassthroughClusters, passthroughCluster } from './special-clusters.js';

type NamedCluster = Cluster & { name: string };

/** Proxyless gRPC clients (node metadata GENERATOR=grpc) resolve EDS clusters only. */
export function isProxylessGrpc(ctx: GeneratorContext): boolean {
  return ctx.proxy.generator === 'grpc';
}

/**
 * The seam for proxyless gRPC: the outbound EDS clusters and nothing else (no DNS or original-dst
 * clusters, no specials, no inbound). Its LDS/RDS generators live in networking/grpc/.
 */
export function grpcClusters(ctx: GeneratorContext): NamedCluster[] {
  return outboundClusters(ctx).filter((c) => c.type === 'EDS');
}

/** The clusters of an Envoy proxy besides the outbound ones, in generation order. */
function ownClusters(ctx: GeneratorContext): NamedCluster[] {
  const mesh = ctx.snapshot.mesh;
  // Gateways have no original-destination listeners, so no passthrough cluster.
  if (ctx.proxy.type !== 'sidecar') return [blackHoleCluster(mesh)];
  return [blackHoleCluster(mesh), passthroughCluster(mesh), ...inboundClusters(ctx), ...inboundPassthroughClusters(mesh, ctx.proxy)];
}

/**
 * An Envoy proxy's clusters, normalized. The outbound part is normalized once per outbound scope
 * (shared within a push); the proxy's own few clusters are merged into it in name order, an outbound
 * cluster winning a name clash as it comes first in generation order.
 */
function envoyClusters(ctx: GeneratorContext): NamedCluster[] {
  const outbound = sharedValue(ctx, `cds.outbound.sorted|${outboundShareKey(ctx)}`, () => {
    const sorted = normalize(outboundClusters(ctx));
    return { sorted, names: new Set(sorted.map((c) => c.name)) };
  });
  const own = normalize(ownClusters(ctx).filter((c) => !outbound.names.has(c.name)));
  const out: NamedCluster[] = [];
  let i = 0;
  for (const c of outbound.sorted) {
    while (i < own.length && own[i]!.name < c.name) out.push(own[i++]!);
    out.push(c);
  }
  while (i < own.length) out.push(own[i++]!);
  return out;
}

/**
 * Keeps the first cluster of each name (Istio's normalizeClusters: conflicting service
 * definitions yield duplicates), then sorts by name so every push is byte-identical.
 */
function normalize(clusters: readonly NamedCluster[]): NamedCluster[] {
  const byName = new Map<string, NamedCluster>();
  for (const c of clusters) if (!byName.has(c.name)) byName.set(c.name, c);
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** The clusters of a proxy as the registry's object form, sorted by name. */
export function buildClusters(ctx: GeneratorContext): NamedCluster[] {
  return isProxylessGrpc(ctx) ? normalize(grpcClusters(ctx)) : envoyClusters(ctx);
}

/** CDS is always a full state of the world, so requested names are ignored. */
export const cdsGenerator: Generator = (ctx): GeneratedResource[] =>
  buildClusters(ctx).map((c) => ({ name: c.name, messageType: CLUSTER_TYPE, resource: c }));

/** Names of the EDS clusters the proxy gets from CDS: what EDS serves when no names are requested. */
export function edsClusterNames(ctx: GeneratorContext): string[] {
  // Only outbound clusters are EDS (inbound and special clusters are STATIC or ORIGINAL_DST).
  const eds = isProxylessGrpc(ctx) ? grpcClusters(ctx) : outboundClusters(ctx).filter((c) => c.type === 'EDS');
  return normalize(eds).map((c) => c.name);
}
