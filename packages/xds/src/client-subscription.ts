// One type's subscription inside the ADS client: what it asks for, what it accepted, and the request
// messages of both protocols. No I/O.
import { TypeUrl, type DeltaDiscoveryRequest, type DiscoveryRequest, type Node } from '@weft/api';
import type { DecodedResource, ResourceHandler, ResourceUpdate } from './client-types.js';
import { WILDCARD } from './subscription.js';

/** google.rpc.Code INVALID_ARGUMENT, the code a NACK carries. */
const INVALID_ARGUMENT = 3;

/** SotW types whose responses carry the complete state (xds_protocol "Grouping Resources into Responses"). */
const FULL_STATE_TYPES: ReadonlySet<string> = new Set([TypeUrl.Listener, TypeUrl.Cluster]);

export type SubscribedNames = readonly string[] | typeof WILDCARD;

export class ClientSubscription {
  readonly typeUrl: string;
  readonly handler: ResourceHandler;
  wildcard: boolean;
  names: Set<string>;
  /** Last accepted version_info (SotW) or system_version_info (Delta). */
  acceptedVersion = '';
  /** Nonce of the last response processed on the current stream. */
  lastNonce = '';
  /** The accepted state. */
  readonly resources = new Map<string, DecodedResource>();

  constructor(typeUrl: string, handler: ResourceHandler, names: SubscribedNames) {
    this.typeUrl = typeUrl;
    this.handler = handler;
    this.wildcard = names === WILDCARD;
    this.names = new Set(names === WILDCARD ? [] : names);
  }

  /** Replaces the names; returns what was added and removed (for a Delta request). */
  setNames(names: SubscribedNames): { subscribe: string[]; unsubscribe: string[] } {
    const wasWildcard = this.wildcard;
    const next = new Set(names === WILDCARD ? [] : names);
    const subscribe = [...next].filter((n) => !this.names.has(n));
    const unsubscribe = [...this.names].filter((n) => !next.has(n));
    this.wildcard = names === WILDCARD;
    if (this.wildcard && !wasWildcard) subscribe.push(WILDCARD);
    if (!this.wildcard && wasWildcard) unsubscribe.push(WILDCARD);
    this.names = next;
    if (!this.wildcard) for (const n of [...this.resources.keys()]) if (!next.has(n)) this.resources.delete(n);
    return { subscribe, unsubscribe };
  }

  /** A new stream forgets the previous stream's nonces. */
  resetStream(): void {
    this.lastNonce = '';
  }

  private fullState(): boolean {
    return this.wildcard || FULL_STATE_TYPES.has(this.typeUrl);
  }

  /** Names the SotW update drops. */
  sotwRemoved(resources: readonly DecodedResource[]): string[] {
    if (!this.fullState()) return [];
    const present = new Set(resources.map((r) => r.name));
    return [...this.resources.keys()].filter((n) => !present.has(n));
  }

  /** Applies an accepted update to the held state. */
  commit(update: ResourceUpdate): void {
    this.acceptedVersion = update.version;
    if (update.protocol === 'sotw' && this.fullState()) this.resources.clear();
    for (const name of update.removed) this.resources.delete(name);
    for (const r of update.resources) {
      if (this.wildcard || this.names.has(r.name)) this.resources.set(r.name, r);
    }
  }

  /** A SotW request: initial (no nonce), ACK, or NACK (with error). */
  sotwRequest(options: { node?: Node; nonce?: string; error?: string } = {}): DiscoveryRequest {
    return {
      version_info: this.acceptedVersion,
      resource_names: this.wildcard ? (this.names.size > 0 ? [WILDCARD, ...this.names] : []) : [...this.names],
      type_url: this.typeUrl,
      response_nonce: options.nonce ?? '',
      ...(options.node ? { node: options.node } : {}),
      ...(options.error !== undefined ? { error_detail: { code: INVALID_ARGUMENT, message: options.error } } : {}),
    };
  }

  /** The first Delta request of a stream: everything subscribed, and the versions already held. */
  deltaInitialRequest(node?: Node): DeltaDiscoveryRequest {
    const initial: Record<string, string> = {};
    for (const r of this.resources.values()) initial[r.name] = r.version;
    return {
      type_url: this.typeUrl,
      resource_names_subscribe: this.wildcard ? [WILDCARD, ...this.names] : [...this.names],
      initial_resource_versions: initial,
      ...(node ? { node } : {}),
    };
  }

  /** A Delta ACK, or NACK with error. */
  deltaAckRequest(nonce: string, error?: string): DeltaDiscoveryRequest {
    return {
      type_url: this.typeUrl,
      response_nonce: nonce,
      ...(error !== undefined ? { error_detail: { code: INVALID_ARGUMENT, message: error } } : {}),
    };
  }
}
