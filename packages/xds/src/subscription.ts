// What a stream asked for, per type: wildcard and/or explicit names (Envoy xds_protocol "How the client
// specifies what resources to return"). Pure; shared by the SotW and Delta streams and the caches.
import { TypeUrl } from '@weft/api';

export const WILDCARD = '*';

/** Types for which an initial request with no names means "everything" (legacy wildcard). */
export const WILDCARD_TYPES: ReadonlySet<string> = new Set([TypeUrl.Listener, TypeUrl.Cluster]);

export interface Subscription {
  readonly wildcard: boolean;
  /** Explicitly named resources, without `*`. May be non-empty in wildcard mode too. */
  readonly names: ReadonlySet<string>;
  /**
   * SotW: the request list this subscription was made from, when that list is frozen (an interned
   * list, request-decoder.ts): a later request carrying the same array is the same subscription.
   */
  readonly source?: readonly string[];
}

export function isInterested(sub: Subscription, name: string): boolean {
  return sub.wildcard || sub.names.has(name);
}

function withoutWildcard(names: readonly string[]): Set<string> {
  return new Set(names.filter((n) => n !== WILDCARD));
}

/** True when `resourceNames` (no `*`, no duplicates) asks for exactly what `previous` holds by name. */
function sameNames(previous: Subscription, resourceNames: readonly string[]): boolean {
  if (resourceNames.length === 0 || previous.names.size !== resourceNames.length) return false;
  if (previous.wildcard) return false;
  for (const n of resourceNames) if (!previous.names.has(n)) return false;
  return true;
}

/**
 * SotW: every request carries the full list. An empty first request for LDS/CDS is the legacy
 * wildcard, and later empty requests keep it; `*` asks for wildcard explicitly; a non-empty list
 * without `*` leaves wildcard mode. An empty list on a named subscription means "nothing".
 */
export function sotwSubscription(typeUrl: string, previous: Subscription | undefined, resourceNames: readonly string[]): Subscription {
  // An interned list (the request decoder's frozen arrays): the same array is the same subscription,
  // on this stream (an ACK repeating its list) or on any other that names the same resources.
  if (previous?.source === resourceNames) return previous;
  const interned = Object.isFrozen(resourceNames) && resourceNames.length > 0;
  if (interned) {
    const shared = fromInterned.get(resourceNames);
    if (shared) return shared;
  }
  // Most requests (ACKs) repeat the previous list: keep that subscription, without building a new set.
  if (previous && sameNames(previous, resourceNames)) return previous;
  const names = withoutWildcard(resourceNames);
  if (resourceNames.length === 0) return { wildcard: previous ? previous.wildcard : WILDCARD_TYPES.has(typeUrl), names };
  const wildcard = resourceNames.includes(WILDCARD);
  if (!interned) return { wildcard, names };
  // A non-empty list means the same whatever came before: one subscription for every stream sending it.
  const sub: Subscription = { wildcard, names, source: resourceNames };
  fromInterned.set(resourceNames, sub);
  return sub;
}

/** Subscriptions made from interned (frozen, non-empty) lists, shared across streams; weak: gone with their list. */
const fromInterned = new WeakMap<readonly string[], Subscription>();

/**
 * Delta: requests carry changes. The first request of a type with nothing to subscribe is the legacy
 * wildcard (LDS/CDS); `*` in subscribe/unsubscribe switches wildcard on/off explicitly.
 */
export function deltaSubscription(
  typeUrl: string,
  previous: Subscription | undefined,
  subscribe: readonly string[],
  unsubscribe: readonly string[],
): Subscription {
  // An ACK or NACK changes nothing: the same subscription (no copy of its names per request).
  if (previous && subscribe.length === 0 && unsubscribe.length === 0) return previous;
  let wildcard = previous ? previous.wildcard : subscribe.length === 0 && WILDCARD_TYPES.has(typeUrl);
  if (subscribe.includes(WILDCARD)) wildcard = true;
  if (unsubscribe.includes(WILDCARD)) wildcard = false;
  const names = new Set(previous?.names ?? []);
  for (const n of subscribe) if (n !== WILDCARD) names.add(n);
  for (const n of unsubscribe) names.delete(n);
  return { wildcard, names };
}
