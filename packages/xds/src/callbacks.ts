// Hooks the server calls as streams progress: Pilot builds metrics, /debug/syncz and proxy-status on them.
import type { Node__Output } from '@weft/api';
import type { Logger } from '@weft/base';
import type { ErrorDetail, RequestKind } from './sync-status.js';

export type XdsProtocol = 'sotw' | 'delta';

export interface StreamInfo {
  /** Unique per server, increasing. */
  readonly id: number;
  readonly protocol: XdsProtocol;
  /** The node of the stream's first request. */
  readonly node: Node__Output;
  readonly peer: string;
}

export interface RequestEvent {
  readonly typeUrl: string;
  readonly kind: RequestKind;
  readonly versionInfo: string;
  readonly responseNonce: string;
  /** SotW: resource_names. Delta: resource_names_subscribe. */
  readonly resourceNames: readonly string[];
  /** Delta only: resource_names_unsubscribe. */
  readonly unsubscribe: readonly string[];
}

export interface ResponseEvent {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
  readonly resourceNames: readonly string[];
  /** Delta only. */
  readonly removed: readonly string[];
}

/** A ResponseEvent whose names are listed only when a callback reads them (most count responses only). */
export class SentResponseEvent implements ResponseEvent {
  private names: readonly string[] | undefined;

  constructor(
    readonly typeUrl: string,
    readonly version: string,
    readonly nonce: string,
    private readonly resources: readonly { readonly name: string }[],
    readonly removed: readonly string[] = [],
  ) {}

  get resourceNames(): readonly string[] {
    return (this.names ??= this.resources.map((r) => r.name));
  }
}

export interface AckEvent {
  readonly typeUrl: string;
  readonly version: string;
  readonly nonce: string;
}

export interface NackEvent {
  readonly typeUrl: string;
  readonly rejectedVersion: string;
  readonly lastGoodVersion: string;
  readonly nonce: string;
  readonly errorDetail: ErrorDetail;
}

/** All optional; a callback that throws is logged and otherwise ignored. */
export interface XdsCallbacks {
  /** After the first request of a stream (the node is known only then). */
  onStreamOpen?(stream: StreamInfo): void;
  /** When an opened stream ends, with the error if it failed. */
  onStreamClose?(stream: StreamInfo, error?: Error): void;
  onRequest?(stream: StreamInfo, request: RequestEvent): void;
  /** Just after a response was written. */
  onResponse?(stream: StreamInfo, response: ResponseEvent): void;
  onAck?(stream: StreamInfo, ack: AckEvent): void;
  onNack?(stream: StreamInfo, nack: NackEvent): void;
}

type Hook = keyof XdsCallbacks;

/** Calls one hook, logging (not propagating) its failure: observers must not break streams. */
export function invokeCallback<K extends Hook>(
  callbacks: XdsCallbacks,
  log: Logger,
  hook: K,
  ...args: Parameters<NonNullable<XdsCallbacks[K]>>
): void {
  const fn = callbacks[hook] as ((...a: unknown[]) => void) | undefined;
  if (!fn) return;
  try {
    fn.apply(callbacks, args);
  } catch (e) {
    log.error({ err: e, hook }, 'xDS callback failed');
  }
}
