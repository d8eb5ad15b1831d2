// Pure decisions shared by the caches: does a watch need an answer now, and with what. A resources
// map given to them must never change afterwards: streams keep it as what the client holds, and the
// selections and differences computed from it are memoised per map (caches make a new map per change).
import { TypeUrl } from '@weft/api';
import type { DeltaResponse, DeltaWatchState, SotwResponse, SotwWatchState } from './config-watcher.js';
import type { Resource } from './resource.js';
import { isInterested, type Subscription } from './subscription.js';

/** Names the subscription asks for that the last response did not answer. */
export function hasNewNames(state: SotwWatchState): boolean {
  if (state.subscription.wildcard || state.sentNames === state.subscription.names) return false;
  for (const n of state.subscription.names) if (!state.sentNames.has(n)) return true;
  return false;
}

/** Wildcard selections by resources map: every stream answered from one map shares one array. */
const everything = new WeakMap<ReadonlyMap<string, Resource>, readonly Resource[]>();

/** The resources a subscription selects: all for wildcard (one shared array per map), the named ones otherwise. */
export function selectResources(sub: Subscription, resources: ReadonlyMap<string, Resource>): readonly Resource[] {
  if (sub.wildcard) {
    let all = everything.get(resources);
    if (!all) {
      all = Object.freeze([...resources.values()]);
      everything.set(resources, all);
    }
    return all;
  }
  const out: Resource[] = [];
  for (const name of sub.names) {
    const r = resources.get(name);
    if (r) out.push(r);
  }
  return out;
}

type ResourceMap = ReadonlyMap<string, Resource>;

/** A function of two resource maps, computed once per pair (weakly held: gone with either map). */
function perPair<T>(compute: (earlier: ResourceMap, later: ResourceMap) => T[]): (earlier: ResourceMap, later: ResourceMap) => readonly T[] {
  const memo = new WeakMap<ResourceMap, WeakMap<ResourceMap, readonly T[]>>();
  return (earlier, later) => {
    if (earlier === later) return [];
    let byLater = memo.get(earlier);
    let found = byLater?.get(later);
    if (found) return found;
    found = Object.freeze(compute(earlier, later));
    if (!byLater) memo.set(earlier, (byLater = new WeakMap()));
    byLater.set(later, found);
    return found;
  };
}

/** The resources of `later` that `earlier` lacks or holds at another version; computed once per pair of maps. */
export const changedBetween = perPair<Resource>((earlier, later) => {
  const out: Resource[] = [];
  for (const [name, r] of later) if (earlier.get(name)?.version !== r.version) out.push(r);
  return out;
});

/** The names `earlier` has and `later` does not; computed once per pair of maps. */
export const removedBetween = perPair<string>((earlier, later) => {
  const out: string[] = [];
  for (const name of earlier.keys()) if (!later.has(name)) out.push(name);
  return out;
});

/**
 * Types whose SotW responses may carry only some of the subscribed resources. xds_protocol ("Resource
 * updates"): LDS and CDS responses must hold every resource (a missing one is deleted), while for EDS
 * and RDS a resource absent from a response is simply not updated. So an endpoint change sends one
 * ClusterLoadAssignment, not all of them (Istio's incremental EDS push does the same).
 */
export const PARTIAL_SOTW_TYPES: ReadonlySet<string> = new Set([TypeUrl.ClusterLoadAssignment, TypeUrl.RouteConfiguration]);

/**
 * SotW: answer when the type's version differs from what the stream last sent, or when the request
 * names resources the last response did not cover. `version` '' means the type is not served yet.
 * With `state.held` (partial types, named subscriptions) the answer holds only the subscribed
 * resources the stream has not sent at their current version, and none is due when that is empty.
 */
export function sotwAnswer(
  typeUrl: string,
  state: SotwWatchState,
  version: string,
  resources: ReadonlyMap<string, Resource>,
): SotwResponse | undefined {
  if (version === '') return undefined;
  const newNames = hasNewNames(state);
  if (version === state.sentVersion && !newNames) return undefined;
  const held = state.held;
  if (held && !state.subscription.wildcard) {
    const changed: Resource[] = [];
    const exact = held.exactBasis?.();
    if (exact && exact.names === state.subscription.names) {
      // The client holds exactly an earlier map for these very names: what changed between the two
      // maps (found once, for every stream) is what it lacks, without a look at each name it holds.
      for (const r of changedBetween(exact.resources, resources)) if (state.subscription.names.has(r.name)) changed.push(r);
    } else {
      for (const name of state.subscription.names) {
        const r = resources.get(name);
        if (r && held.get(name) !== r.version) changed.push(r);
      }
    }
    // Whatever differed is sent: the client then holds every subscribed resource of this map.
    if (changed.length > 0) return { typeUrl, version, resources: changed, basis: { resources, names: state.subscription.names } };
    // Nothing the stream holds changed: no response, unless it asked for names not answered yet
    // (which do not exist here: the full selection tells it so, as before).
    if (!newNames) return undefined;
  }
  const names = state.subscription.wildcard ? undefined : state.subscription.names;
  return { typeUrl, version, resources: selectResources(state.subscription, resources), basis: { resources, names } };
}

/**
 * Delta: send what the client lacks or holds at another version, and remove what it holds that no
 * longer exists. Names it unsubscribed were already dropped from `state.versions` by the stream.
 * `answerEmptyFirst`: a first wildcard request is answered even when empty, or Envoy never finishes
 * initialising (go-control-plane does the same).
 */
export function deltaAnswer(
  typeUrl: string,
  state: DeltaWatchState,
  systemVersion: string,
  resources: ReadonlyMap<string, Resource>,
  answerEmptyFirst = false,
): DeltaResponse | undefined {
  const changed: Resource[] = [];
  const removed: string[] = [];
  const sub = state.subscription;
  const names = sub.wildcard ? undefined : sub.names;
  const exact = state.versions.exactBasis?.();
  if (exact && exact.names === names) {
    // The client holds exactly an earlier map for this subscription: the difference of the two maps
    // (found once for every stream) is the answer.
    for (const r of changedBetween(exact.resources, resources)) if (isInterested(sub, r.name)) changed.push(r);
    for (const name of removedBetween(exact.resources, resources)) if (isInterested(sub, name)) removed.push(name);
  } else {
    const candidates = sub.wildcard ? resources.values() : selectResources(sub, resources);
    for (const r of candidates) if (state.versions.get(r.name) !== r.version) changed.push(r);
    for (const name of state.versions.keys()) {
      if (!resources.has(name) && isInterested(sub, name)) removed.push(name);
    }
  }
  const answerEmpty = answerEmptyFirst && state.first && sub.wildcard;
  if (changed.length === 0 && removed.length === 0 && !answerEmpty) return undefined;
  // Once applied, the client holds every resource of this map the subscription covers, and nothing else of it.
  return { typeUrl, systemVersion, resources: changed, removed, basis: { resources, names } };
}

/**
 * What the client holds once it applied a Delta response: the versions it held, with the sent
 * resources at their new versions and the removed names gone. In place: a response that changes one
 * resource costs one entry, not a copy of everything the client holds.
 */
export function applyDelta(versions: { set(name: string, version: string): unknown; delete(name: string): unknown }, response: DeltaResponse): void {
  for (const r of response.resources) versions.set(r.name, r.version);
  for (const name of response.removed) versions.delete(name);
}
