// The ADS client's public vocabulary: decoded updates handed to per-type handlers, and their verdicts.
import type { WeftError } from '@weft/base';
import type { XdsProtocol } from './callbacks.js';

export interface DecodedResource<T = Record<string, unknown>> {
  readonly name: string;
  /** Delta: the resource's own version. SotW: the response's version_info. */
  readonly version: string;
  /** The decoded message (proto field names, longs and enums as strings, defaults filled). */
  readonly value: T;
}

export interface ResourceUpdate {
  readonly typeUrl: string;
  readonly protocol: XdsProtocol;
  /** SotW version_info, or Delta system_version_info. */
  readonly version: string;
  readonly nonce: string;
  /** SotW: every resource of the response. Delta: the added or changed ones. */
  readonly resources: readonly DecodedResource[];
  /**
   * Names the client should drop: Delta removed_resources; SotW full-state types (LDS/CDS or
   * wildcard): names held before that the response no longer lists.
   */
  readonly removed: readonly string[];
}

export type Verdict = { readonly accepted: true } | { readonly accepted: false; readonly message: string };

export function accept(): Verdict {
  return { accepted: true };
}

export function reject(message: string): Verdict {
  return { accepted: false, message };
}

/** Decides whether an update is applied (ACK) or rejected (NACK with the message as error_detail). */
export type ResourceHandler = (update: ResourceUpdate) => Verdict | Promise<Verdict>;

export interface ClientAckEvent {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
}

export interface ClientNackEvent {
  readonly typeUrl: string;
  /** The version that was rejected. */
  readonly version: string;
  readonly nonce: string;
  readonly error: WeftError;
}

export interface AdsClientEvents {
  /** The first response on a new stream arrived. */
  connected: [];
  /** The stream ended; a reconnect is scheduled unless the client was closed. */
  disconnected: [error: WeftError];
  /** A decoded update and what its handler decided. */
  update: [update: ResourceUpdate, verdict: Verdict];
  ack: [event: ClientAckEvent];
  nack: [event: ClientNackEvent];
}
