// The seam between streams and caches (go-control-plane's ConfigWatcher): streams know only this.
import type { Node__Output } from '@weft/api';
import type { AnswerBasis, HeldLookup, HeldState } from './held-versions.js';
import type { Resource } from './resource.js';
import type { Subscription } from './subscription.js';

export interface WatchRequest {
  /** The node from the stream's first request (later requests may omit it). */
  readonly node: Node__Output;
  readonly typeUrl: string;
}

/** What one SotW stream has for one type. */
export interface SotwWatchState {
  readonly subscription: Subscription;
  /**
   * The version this stream last sent for the type, '' before the first response. The stream's own
   * record is used rather than the request's version_info: after a NACK the client reports its last
   * good version, and answering that would resend the rejected config at once.
   */
  readonly sentVersion: string;
  /** The names the last response answered; a request naming more must be answered even at the same version. */
  readonly sentNames: ReadonlySet<string>;
  /**
   * For the types whose SotW responses may be partial (EDS, RDS): name → version of every subscribed
   * resource this stream has sent. When present, an answer carries only what the client lacks or
   * holds at another version (see PARTIAL_SOTW_TYPES).
   */
  readonly held?: HeldLookup;
}

export interface SotwResponse {
  readonly typeUrl: string;
  readonly version: string;
  readonly resources: readonly Resource[];
  /**
   * The resources the answer was computed against, when it leaves the client holding every covered
   * one at its version (the stream then keeps a reference instead of a name → version map).
   */
  readonly basis?: AnswerBasis;
}

/** What one Delta stream has for one type. */
export interface DeltaWatchState {
  readonly subscription: Subscription;
  /** name → version the client holds: initial_resource_versions, then what this stream sent. */
  readonly versions: HeldState;
  /** True until the first response of the type on this stream. */
  readonly first: boolean;
}

export interface DeltaResponse {
  readonly typeUrl: string;
  /** system_version_info: for debugging only in Delta. */
  readonly systemVersion: string;
  readonly resources: readonly Resource[];
  readonly removed: readonly string[];
  /** As SotwResponse.basis: once applied, the client holds exactly the covered resources of this map. */
  readonly basis?: AnswerBasis;
}

export type CancelWatch = () => void;

/** The cancel of a watch that was answered at once or never registered: nothing to cancel. */
export const NO_WATCH: CancelWatch = () => undefined;

/**
 * A watch answers at most once, through `respond` (possibly synchronously, inside createWatch), and is
 * then forgotten by the cache; the stream opens a new one on the client's next request.
 */
export interface ConfigWatcher {
  createWatch(request: WatchRequest, state: SotwWatchState, respond: (response: SotwResponse) => void): CancelWatch;
}

export interface DeltaConfigWatcher {
  createDeltaWatch(request: WatchRequest, state: DeltaWatchState, respond: (response: DeltaResponse) => void): CancelWatch;
}
