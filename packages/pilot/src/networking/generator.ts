// The shape every xDS generator has: pure (snapshot, proxy) → named Envoy resources in the registry's
// object form (proto field names). One generator per type URL, chosen from a map (STYLE habit 4).
import type { MeshSnapshot } from '../model/mesh-snapshot.js';
import type { Proxy } from '../model/proxy.js';
import { sidecarKey, type SidecarScope } from './sidecar-scope.js';

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
  /**
   * Work shared by the proxies of one push (absent outside a push): generators keep here what does
   * not depend on the proxy beyond `outboundShareKey(ctx)`, under keys that include it.
   */
  readonly shared?: Map<string, unknown>;
}

/**
 * What outbound generation reads of a proxy, besides the snapshot: its type, generator, namespace
 * and Sidecar (the scope). Proxies with the same key get the same outbound clusters and endpoints.
 */
export function outboundShareKey(ctx: GeneratorContext): string {
  return `${ctx.proxy.type}|${ctx.proxy.generator ?? ''}|${ctx.proxy.namespace}|${sidecarKey(ctx.scope.sidecar)}`;
}

/** `compute()` once per push for `key` (and every time outside a push). */
export function sharedValue<T>(ctx: GeneratorContext, key: string, compute: () => T): T {
  const shared = ctx.shared;
  if (!shared) return compute();
  if (shared.has(key)) return shared.get(key) as T;
  const value = compute();
  shared.set(key, value);
  return value;
}

/** Generates the full set of one type for a proxy; `names` narrows it for RDS/EDS requests. */
export type Generator = (ctx: GeneratorContext, names?: readonly string[]) => GeneratedResource[];
