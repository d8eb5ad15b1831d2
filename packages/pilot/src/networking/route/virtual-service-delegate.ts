// VirtualService delegation (Istio 1.8+, networking/v1alpha3 `HTTPRoute.delegate`): a root
// VirtualService's route that names a delegate is replaced, in place, by the delegate's routes with
// their match conditions ANDed with the root route's. Semantics follow Istio's
// mergeVirtualServicesIfNeeded / mergeHTTPRoute / mergeHTTPMatchRequests (pilot/pkg/model/virtualservice.go).
import type { HTTPMatchRequest, HTTPRoute, StringMatch, VirtualService } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';

/** A delegate has no `hosts`: it is only ever used through a root, never on its own. */
export function isDelegateVirtualService(vs: Config<VirtualService>): boolean {
  return (vs.spec.hosts ?? []).length === 0;
}

/** A root has hosts and at least one HTTP route with `delegate`. */
export function hasDelegateRoutes(vs: Config<VirtualService>): boolean {
  return !isDelegateVirtualService(vs) && (vs.spec.http ?? []).some((r) => r.delegate !== undefined);
}

const isSet = (s: string | undefined): s is string => s !== undefined && s !== '';

/**
 * Istio's delegate visibility: the delegate's `exportTo` (or the mesh default when it has none), with
 * `.` meaning the delegate's own namespace, must contain `*` or the root's namespace.
 */
function visibleTo(delegate: Config<VirtualService>, rootNamespace: string, defaultExportTo: readonly string[]): boolean {
  const exportTo = delegate.spec.exportTo && delegate.spec.exportTo.length > 0 ? delegate.spec.exportTo : defaultExportTo;
  return exportTo.some((e) => e === '*' || (e === '.' ? delegate.metadata.namespace : e) === rootNamespace);
}

/**
 * The root with each delegating HTTP route replaced by the merged routes of its delegate, in order.
 * A route whose delegate is missing, has hosts, or is not exported to the root's namespace is dropped,
 * as is a delegate route that itself delegates (one level only). `all` is searched for delegates by
 * `namespace/name`; the delegate namespace defaults to the root's. Names (hosts, gateways) should
 * already be resolved in each VirtualService's own namespace, as Istio resolves them before merging.
 */
export function resolveDelegates(
  root: Config<VirtualService>,
  all: readonly Config<VirtualService>[],
  defaultExportTo: readonly string[] = ['*'],
): Config<VirtualService> {
  if (!hasDelegateRoutes(root)) return root;
  const delegates = new Map(all.filter(isDelegateVirtualService).map((d) => [`${d.metadata.namespace}/${d.metadata.name}`, d]));
  const http: HTTPRoute[] = [];
  for (const route of root.spec.http ?? []) {
    if (!route.delegate) {
      http.push(route);
      continue;
    }
    const namespace = isSet(route.delegate.namespace) ? route.delegate.namespace : root.metadata.namespace;
    const delegate = delegates.get(`${namespace}/${route.delegate.name ?? ''}`);
    if (!delegate || !visibleTo(delegate, root.metadata.namespace, defaultExportTo)) continue;
    http.push(...mergeHttpRoutes(route, delegate.spec.http ?? []));
  }
  return { ...root, spec: { ...root.spec, http } };
}

/** Each delegate route merged with the root route; conflicting and nested-delegate routes are dropped. */
export function mergeHttpRoutes(root: HTTPRoute, delegateRoutes: readonly HTTPRoute[]): HTTPRoute[] {
  const out: HTTPRoute[] = [];
  for (const sub of delegateRoutes) {
    if (sub.delegate !== undefined) continue;
    const merged = mergeHttpRoute(root, sub);
    if (merged) out.push(merged);
  }
  return out;
}

/** Route settings a delegate route inherits from its root route when it has none of its own. */
const INHERITED = ['rewrite', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercent', 'mirrorPercentage', 'corsPolicy', 'headers'] as const;

/**
 * One delegate route under its root route, or undefined when their matches conflict. The delegate
 * keeps its own action (route/redirect); the names join as `root-delegate`; the settings in INHERITED
 * come from the root only where the delegate leaves them unset.
 */
export function mergeHttpRoute(root: HTTPRoute, delegate: HTTPRoute): HTTPRoute | undefined {
  const match = mergeMatchRequests(root.match ?? [], delegate.match ?? []);
  if (!match) return undefined;
  const out: HTTPRoute = { ...delegate };
  if (match.length > 0) out.match = match;
  else delete out.match;
  const name = joinNames(root.name, delegate.name);
  if (name !== undefined) out.name = name;
  for (const field of INHERITED) {
    if (out[field] === undefined && root[field] !== undefined) Object.assign(out, { [field]: root[field] });
  }
  return out;
}

function joinNames(root: string | undefined, delegate: string | undefined): string | undefined {
  if (!isSet(delegate)) return isSet(root) ? root : delegate;
  return isSet(root) ? `${root}-${delegate}` : delegate;
}

/**
 * Istio's mergeHTTPMatchRequests: every delegate match is combined with every root match it does not
 * conflict with (delegate-major order). Undefined (conflict) when some delegate match fits no root
 * match at all; either side empty means the other side's matches unchanged.
 */
export function mergeMatchRequests(root: readonly HTTPMatchRequest[], delegate: readonly HTTPMatchRequest[]): HTTPMatchRequest[] | undefined {
  if (root.length === 0) return [...delegate];
  if (delegate.length === 0) return [...root];
  const out: HTTPMatchRequest[] = [];
  for (const leaf of delegate) {
    const fits = root.filter((r) => !matchConflict(r, leaf));
    if (fits.length === 0) return undefined;
    out.push(...fits.map((r) => mergeMatchRequest(r, leaf)));
  }
  return out;
}

const union = <V>(a: Record<string, V> | undefined, b: Record<string, V> | undefined): Record<string, V> | undefined => {
  const merged = { ...a, ...b };
  return Object.keys(merged).length > 0 ? merged : undefined;
};

/** The delegate match ANDed with the root match: the delegate's conditions win, the root fills the gaps. */
export function mergeMatchRequest(root: HTTPMatchRequest, delegate: HTTPMatchRequest): HTTPMatchRequest {
  const out: HTTPMatchRequest = { ...delegate };
  const fill = <K extends keyof HTTPMatchRequest>(key: K, value: HTTPMatchRequest[K] | undefined): void => {
    if (value === undefined) delete out[key];
    else out[key] = value;
  };
  fill('name', joinNames(root.name, delegate.name));
  for (const key of ['uri', 'scheme', 'method', 'authority'] as const) fill(key, delegate[key] ?? root[key]);
  fill('headers', union(root.headers, delegate.headers));
  fill('withoutHeaders', union(root.withoutHeaders, delegate.withoutHeaders));
  fill('queryParams', union(root.queryParams, delegate.queryParams));
  fill('sourceLabels', union(root.sourceLabels, delegate.sourceLabels));
  fill('port', delegate.port || root.port || undefined);
  fill('sourceNamespace', isSet(delegate.sourceNamespace) ? delegate.sourceNamespace : root.sourceNamespace);
  fill('gateways', (delegate.gateways ?? []).length > 0 ? delegate.gateways : root.gateways);
  return out;
}

/** Istio's hasConflict: true when no request could satisfy both the root and the delegate match. */
export function matchConflict(root: HTTPMatchRequest, leaf: HTTPMatchRequest): boolean {
  for (const key of ['uri', 'scheme', 'method', 'authority'] as const) {
    if (stringMatchConflict(root[key], leaf[key])) return true;
  }
  const mapConflict = (r: Record<string, StringMatch> | undefined, l: Record<string, StringMatch> | undefined): boolean =>
    Object.entries(l ?? {}).some(([k, v]) => stringMatchConflict(r?.[k], v));
  if (mapConflict(root.headers, leaf.headers)) return true;
  if (mapConflict(root.withoutHeaders, leaf.withoutHeaders)) return true;
  if (mapConflict(root.queryParams, leaf.queryParams)) return true;
  if ((root.ignoreUriCase ?? false) !== (leaf.ignoreUriCase ?? false)) return true;
  if (root.port && leaf.port && root.port !== leaf.port) return true;
  // A root sourceNamespace must be repeated by the delegate (Istio compares them verbatim).
  if (isSet(root.sourceNamespace) && leaf.sourceNamespace !== root.sourceNamespace) return true;
  if (Object.entries(leaf.sourceLabels ?? {}).some(([k, v]) => root.sourceLabels?.[k] !== undefined && root.sourceLabels[k] !== v)) return true;
  // The delegate's gateways must be a subset of the root's when both list some.
  const rootGateways = root.gateways ?? [];
  const leafGateways = leaf.gateways ?? [];
  return rootGateways.length > 0 && leafGateways.length > 0 && leafGateways.some((g) => !rootGateways.includes(g));
}

/**
 * Istio's stringMatchConflict. Unset on either side never conflicts. Regex only combines with an
 * unset side. An exact root needs the same exact; a prefix root needs a prefix or exact that starts
 * with it (`/a/b` under `/a`). Anything else, e.g. a presence-only `{}` root, is a conflict.
 */
export function stringMatchConflict(root: StringMatch | undefined, leaf: StringMatch | undefined): boolean {
  if (!root || !leaf) return false;
  const specified = (m: StringMatch) => isSet(m.regex) || isSet(m.prefix) || isSet(m.exact);
  if (isSet(root.regex) && specified(leaf)) return true;
  if (isSet(leaf.regex) && specified(root)) return true;
  if (isSet(root.exact)) return isSet(leaf.prefix) || leaf.exact !== root.exact;
  if (isSet(root.prefix)) {
    if (isSet(leaf.prefix)) return !leaf.prefix.startsWith(root.prefix);
    if (isSet(leaf.exact)) return !leaf.exact.startsWith(root.prefix);
  }
  return true;
}
