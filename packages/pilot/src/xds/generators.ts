// The generator chosen for each type URL (STYLE habit 4), and for proxyless gRPC clients their own set.
import { TypeUrl } from '@weft/api';
import type { Generator } from '../networking/generator.js';

export type GeneratorMap = ReadonlyMap<string, Generator>;

/** Types Pilot serves, in push order. */
export const SERVED_TYPES: readonly string[] = [TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment, TypeUrl.Listener, TypeUrl.RouteConfiguration];

export interface GeneratorSets {
  /** Sidecars and gateways. */
  readonly envoy: GeneratorMap;
  /** Proxyless gRPC clients (node metadata GENERATOR: grpc). */
  readonly grpc: GeneratorMap;
}
