// The shape every xDS generator has: pure (snapshot, proxy) → named Envoy resources in the registry's
// object form (proto field names). One generator per type URL, chosen from a map (STYLE habit 4).
import type { MeshSnapshot } from '../model/mesh-snapshot.js';
import type { Proxy } from '../model/proxy.js';
import type { SidecarScope } from './sidecar-scope.js';

export interface GeneratedResource {
  readonly name: string;
  /** Full protobuf message name, e.g. `envoy.config.cluster.v3.Cluster`. */
  readonly messageType: string;
  /** The resource in object form, ready for `ProtoRegistry.pack`. */
  readonly resource: object;
}

export interface GeneratorContext {
  readonly snapshot: MeshSnapshot;
  readonly proxy: Proxy;
  readonly scope: SidecarScope;
}

/** Generates the full set of one type for a proxy; `names` narrows it for RDS/EDS requests. */
export type Generator = (ctx: GeneratorContext, names?: readonly string[]) => GeneratedResource[];
