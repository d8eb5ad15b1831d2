// The proxy's own workload: the service instances at its IPs and the label sets that `sourceLabels`
// and Gateway selectors are matched against (Istio 1.3's proxyInstances / labels.Collection).
import type { MeshSnapshot } from '../../model/mesh-snapshot.js';
import type { ServiceInstance } from '../../model/service.js';
import type { GeneratorContext } from '../generator.js';

export type Labels = Readonly<Record<string, string>>;

/** Instances whose endpoint address is one of the proxy's IPs, in registry order. */
export function proxyInstances(ctx: GeneratorContext): ServiceInstance[] {
  const ips = ctx.proxy.ipAddresses;
  if (ips.length === 1) return [...ctx.snapshot.instancesAt(ips[0]!)];
  const set = new Set(ips);
  return ctx.snapshot.allInstances().filter((i) => set.has(i.endpoint.address));
}

/** The node's LABELS plus the labels of each of its instances. */
export function workloadLabels(ctx: GeneratorContext): Labels[] {
  const out: Labels[] = [];
  if (Object.keys(ctx.proxy.labels).length > 0) out.push(ctx.proxy.labels);
  for (const i of proxyInstances(ctx)) if (Object.keys(i.endpoint.labels).length > 0) out.push(i.endpoint.labels);
  return out;
}

/**
 * Istio's labels.Collection.IsSupersetOf: an empty selector always matches; otherwise one of the
 * workload's label sets must contain every key/value of the selector (no labels match nothing).
 */
export function labelsSelect(collection: readonly Labels[], selector: Labels | undefined): boolean {
  const entries = Object.entries(selector ?? {});
  if (entries.length === 0) return true;
  return collection.some((labels) => entries.every(([k, v]) => labels[k] === v));
}

const sourceLabelsUse = new WeakMap<MeshSnapshot, boolean>();

/** True when any VirtualService of the snapshot has a match with sourceLabels. */
function usesSourceLabels(snapshot: MeshSnapshot): boolean {
  let uses = sourceLabelsUse.get(snapshot);
  if (uses === undefined) {
    uses = snapshot.configs.virtualServices.some((vs) =>
      [...(vs.spec.http ?? []), ...(vs.spec.tls ?? []), ...(vs.spec.tcp ?? [])].some((r) => (r.match ?? []).some((m) => Object.keys(m.sourceLabels ?? {}).length > 0)),
    );
    sourceLabelsUse.set(snapshot, uses);
  }
  return uses;
}

/**
 * What route and outbound listener generation read of the workload's labels, as a sharing key: the
 * label sets when some VirtualService matches on sourceLabels, else nothing (they cannot matter).
 */
export function workloadLabelsKey(ctx: GeneratorContext): string {
  return usesSourceLabels(ctx.snapshot) ? JSON.stringify(workloadLabels(ctx)) : '';
}
