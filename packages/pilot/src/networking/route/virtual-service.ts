// VirtualServices as Pilot 1.3 reads them: short host names made fully qualified relative to the
// VirtualService's namespace, and gateway references resolved to `namespace/name` (or `mesh`).
import type { Destination, VirtualService } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import { hasDelegateRoutes, isDelegateVirtualService, resolveDelegates } from './virtual-service-delegate.js';

/** The reserved gateway name meaning every sidecar. */
export const MESH_GATEWAY = 'mesh';

/**
 * Istio's ResolveShortnameToFQDN: a name without dots gets `.<namespace>.svc.<suffix>`
 * (`reviews` in `default` → `reviews.default.svc.cluster.local`); `*` and dotted names are kept.
 */
export function resolveHostname(host: string, namespace: string, domainSuffix: string): string {
  if (host === '*' || host.includes('.')) return host;
  return `${host}.${namespace}.svc.${domainSuffix}`;
}

/**
 * Istio's resolveGatewayName: `name` is in the VirtualService's namespace, `./name` too, `ns/name`
 * is kept, and the legacy `name.ns.svc.cluster.local` form becomes `ns/name`.
 */
export function resolveGatewayName(ref: string, namespace: string): string {
  if (ref === MESH_GATEWAY) return ref;
  const slash = ref.indexOf('/');
  if (slash >= 0) return ref.slice(0, slash) === '.' ? `${namespace}/${ref.slice(slash + 1)}` : ref;
  if (!ref.includes('.')) return `${namespace}/${ref}`;
  const [name = '', ns = ''] = ref.split('.');
  return `${ns}/${name}`;
}

/** The gateways a VirtualService binds to, resolved; none listed means `mesh`. */
export function boundGateways(vs: Config<VirtualService>): string[] {
  const refs = vs.spec.gateways ?? [];
  if (refs.length === 0) return [MESH_GATEWAY];
  return refs.map((g) => resolveGatewayName(g, vs.metadata.namespace));
}

/** True when the VirtualService applies to one of `gateways` (`mesh` for sidecars). */
export function bindsTo(vs: Config<VirtualService>, gateways: ReadonlySet<string>): boolean {
  return boundGateways(vs).some((g) => gateways.has(g));
}

function resolveDestination<T extends { destination?: Destination }>(d: T, ns: string, suffix: string): T {
  if (!d.destination?.host) return d;
  return { ...d, destination: { ...d.destination, host: resolveHostname(d.destination.host, ns, suffix) } };
}

/**
 * A copy with `hosts`, every destination host and the mirror host fully qualified, and HTTP match
 * gateways as `namespace/name`, as Istio's PushContext does once per push (initVirtualServices).
 * Resolving match gateways here (translation resolves them again, harmlessly) keeps a delegate's
 * gateway names relative to the delegate's namespace once its routes are merged into a root.
 */
export function resolveVirtualService(vs: Config<VirtualService>, domainSuffix: string): Config<VirtualService> {
  const ns = vs.metadata.namespace;
  const spec = vs.spec;
  const resolved: VirtualService = {
    ...spec,
    hosts: (spec.hosts ?? []).map((h) => resolveHostname(h, ns, domainSuffix)),
    ...(spec.http
      ? {
          http: spec.http.map((r) => ({
            ...r,
            ...(r.match ? { match: r.match.map((m) => (m.gateways ? { ...m, gateways: m.gateways.map((g) => resolveGatewayName(g, ns)) } : m)) } : {}),
            ...(r.route ? { route: r.route.map((d) => resolveDestination(d, ns, domainSuffix)) } : {}),
            ...(r.mirror?.host ? { mirror: { ...r.mirror, host: resolveHostname(r.mirror.host, ns, domainSuffix) } } : {}),
          })),
        }
      : {}),
    ...(spec.tcp ? { tcp: spec.tcp.map((r) => ({ ...r, ...(r.route ? { route: r.route.map((d) => resolveDestination(d, ns, domainSuffix)) } : {}) })) } : {}),
    ...(spec.tls ? { tls: spec.tls.map((r) => ({ ...r, ...(r.route ? { route: r.route.map((d) => resolveDestination(d, ns, domainSuffix)) } : {}) })) } : {}),
  };
  return { ...vs, spec: resolved };
}

/** Where the delegates of root VirtualServices are looked up (all of the snapshot, not the proxy's scope). */
export interface DelegateSource {
  /** Every VirtualService; the ones without hosts are delegates. */
  readonly all: readonly Config<VirtualService>[];
  /** MeshConfig.defaultVirtualServiceExportTo, for delegates without `exportTo` (`*` when unset). */
  readonly defaultExportTo?: readonly string[] | undefined;
}

/**
 * The resolved VirtualServices of `list` bound to any of `gateways`, in config order, with delegating
 * routes replaced by their delegates' merged routes. Delegates (no hosts) are never returned: they
 * produce no virtual host of their own. Delegates come from `delegates.all`, else from `list`.
 */
export function virtualServicesFor(
  list: readonly Config<VirtualService>[],
  gateways: ReadonlySet<string>,
  domainSuffix: string,
  delegates?: DelegateSource,
): Config<VirtualService>[] {
  const roots = list.filter((vs) => !isDelegateVirtualService(vs) && bindsTo(vs, gateways)).map((vs) => resolveVirtualService(vs, domainSuffix));
  if (!roots.some(hasDelegateRoutes)) return roots;
  // Each delegate is resolved in its own namespace before merging, as Istio does.
  const resolved = (delegates?.all ?? list).filter(isDelegateVirtualService).map((vs) => resolveVirtualService(vs, domainSuffix));
  return roots.map((vs) => resolveDelegates(vs, resolved, delegates?.defaultExportTo));
}

/** `/apis/networking.istio.io/v1alpha3/namespaces/<ns>/virtual-service/<name>`, put in route metadata. */
export function virtualServiceConfigPath(vs: Config<VirtualService>): string {
  return `/apis/networking.istio.io/v1alpha3/namespaces/${vs.metadata.namespace}/virtual-service/${vs.metadata.name}`;
}
