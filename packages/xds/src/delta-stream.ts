// One DeltaAggregatedResources call: subscribe/unsubscribe, initial_resource_versions, per-resource
// versions and removals, nonce ACK/NACK per type (Envoy xds_protocol "Incremental xDS").
import type { DeltaDiscoveryRequest__Output } from '@weft/api';
import { applyDelta } from './answer.js';
import { SentResponseEvent, invokeCallback, type StreamInfo } from './callbacks.js';
import type { DeltaConfigWatcher, DeltaResponse } from './config-watcher.js';
import { HeldVersions } from './held-versions.js';
import { contentKey } from './shared-responses.js';
import { StreamBase, errorDetailOf, type Pending, type StreamContext, type StreamOutput, type StreamStatus, type WatchSlot } from './stream-base.js';
import { WILDCARD, deltaSubscription, type Subscription } from './subscription.js';
import { ResourceAcks, TypeSync, type TypeResourceStatus } from './sync-status.js';
import type { WireDeltaDiscoveryResponse } from './wire-codec.js';

interface DeltaTypeState extends WatchSlot {
  readonly sync: TypeSync;
  /** Per-resource ACK/NACK over `versions`. */
  readonly acks: ResourceAcks;
  subscription: Subscription | undefined;
  /** name → version the client holds (a reference to the map it was last answered from, plus differences). */
  readonly versions: HeldVersions;
  first: boolean;
}

export class DeltaStream extends StreamBase<DeltaResponse> {
  private readonly types = new Map<string, DeltaTypeState>();

  constructor(
    ctx: StreamContext,
    private readonly watcher: DeltaConfigWatcher,
    private readonly output: StreamOutput<WireDeltaDiscoveryResponse>,
    private readonly controlPlane?: string,
  ) {
    super(ctx, 'delta');
  }

  handleRequest(req: DeltaDiscoveryRequest__Output): void {
    const typeUrl = req.type_url;
    const info = this.admit(typeUrl, req.node, this.output);
    if (!info) return;
    let t = this.types.get(typeUrl);
    const firstOfType = !t;
    if (!t) {
      // initial_resource_versions is honoured on the first request of a type only: the client tells a
      // fresh stream what it kept from the previous one, so unchanged resources are not resent.
      const initial = new HeldVersions();
      for (const [name, version] of Object.entries(req.initial_resource_versions ?? {})) initial.set(name, version);
      t = { sync: new TypeSync(typeUrl), acks: new ResourceAcks(false), subscription: undefined, versions: initial, first: true, generation: 0 };
      this.types.set(typeUrl, t);
    }
    const detail = errorDetailOf(req.error_detail);
    const nonce = req.response_nonce;
    const kind = t.sync.classify(nonce, detail !== undefined);
    // Stale nonces included: the client still answered those responses, in order.
    t.acks.resolve(nonce, detail);
    invokeCallback(this.ctx.callbacks, this.ctx.log, 'onRequest', info, {
      typeUrl,
      kind,
      versionInfo: '',
      responseNonce: nonce,
      resourceNames: req.resource_names_subscribe,
      unsubscribe: req.resource_names_unsubscribe,
    });
    if (kind === 'ack') {
      t.sync.recordAck(t.sync.version, nonce);
      invokeCallback(this.ctx.callbacks, this.ctx.log, 'onAck', info, { typeUrl, version: t.sync.version, nonce });
    } else if (kind === 'nack' && detail) {
      // The versions recorded as sent stay: resending the rejected resources would only be rejected
      // again. The next change of those resources is sent as usual.
      const nack = { rejectedVersion: t.sync.version, nonce, errorDetail: detail, lastGoodVersion: '' };
      t.sync.recordNack(nack);
      this.ctx.log.warn({ stream: this.ctx.id, node: info.node.id, typeUrl, ...nack }, 'NACK');
      invokeCallback(this.ctx.callbacks, this.ctx.log, 'onNack', info, { typeUrl, ...nack });
    } else if (kind === 'stale') {
      // Unlike SotW, a stale Delta request still carries subscription changes, which must not be lost.
      this.ctx.log.debug({ stream: this.ctx.id, typeUrl, nonce }, 'stale nonce: ACK/NACK ignored');
    }
    const subscription = this.applySubscription(typeUrl, t, req, firstOfType);
    this.watch(info, typeUrl, t, subscription);
  }

  private applySubscription(typeUrl: string, t: DeltaTypeState, req: DeltaDiscoveryRequest__Output, firstOfType: boolean): Subscription {
    const subscribe = req.resource_names_subscribe;
    const unsubscribe = req.resource_names_unsubscribe;
    const subscription = deltaSubscription(typeUrl, t.subscription, subscribe, unsubscribe);
    t.subscription = subscription;
    for (const name of unsubscribe) {
      t.versions.delete(name);
      t.acks.forget(name);
    }
    if (firstOfType) return subscription;
    // xds_protocol "Subscribing to Resources": a name subscribed again must be sent again, even if the
    // server believes the client has it (the client may have forgotten it).
    for (const name of subscribe) if (name !== WILDCARD) t.versions.delete(name);
    return subscription;
  }

  private watch(info: StreamInfo, typeUrl: string, t: DeltaTypeState, subscription: Subscription): void {
    t.cancel?.();
    t.generation++;
    // The map itself, not a copy (this runs on every ACK): the stream changes it only while handling
    // a request, before this replaces the watch (whose stale answer the generation check drops),
    // and replaces it whole when a response is sent.
    const state = { subscription, versions: t.versions, first: t.first };
    t.cancel = this.watcher.createDeltaWatch({ node: info.node, typeUrl }, state, this.queue(t, typeUrl));
  }

  protected send(pending: Pending<DeltaResponse>): void {
    const t = this.types.get(pending.typeUrl);
    const info = this.info;
    if (!t || !info || this.closed || t.generation !== pending.generation) return;
    const { response } = pending;
    // Keyed apart from SotW: the same content and version is another message (DeltaDiscoveryResponse).
    const shared = this.responseFor(contentKey('delta', response.typeUrl, response.systemVersion, response.resources, response.removed));
    const nonce = shared.nonce;
    t.sync.recordSent(response.systemVersion, nonce);
    if (response.basis) t.versions.rebase(response.basis);
    else applyDelta(t.versions, response);
    t.acks.recordSent(nonce, response.resources, response.removed);
    t.first = false;
    t.cancel = undefined;
    t.generation++;
    this.output.write({
      system_version_info: response.systemVersion,
      resources: response.resources,
      type_url: response.typeUrl,
      removed_resources: response.removed,
      nonce,
      ...(this.controlPlane ? { control_plane: { identifier: this.controlPlane } } : {}),
      shared,
    });
    if (this.ctx.callbacks.onResponse) {
      invokeCallback(this.ctx.callbacks, this.ctx.log, 'onResponse', info, new SentResponseEvent(response.typeUrl, response.systemVersion, nonce, response.resources, response.removed));
    }
  }

  protected watchSlots(): Iterable<WatchSlot> {
    return this.types.values();
  }

  status(): StreamStatus | undefined {
    if (!this.info) return undefined;
    return { stream: this.info, types: [...this.types.values()].map((t) => t.sync.status()), resourceStatus: this.resourceStatusFn };
  }

  resourceStatus(typeUrl?: string): TypeResourceStatus[] {
    const out: TypeResourceStatus[] = [];
    for (const t of this.types.values()) {
      if (typeUrl !== undefined && t.sync.typeUrl !== typeUrl) continue;
      out.push({ typeUrl: t.sync.typeUrl, resources: t.acks.statuses(t.versions, t.subscription) });
    }
    return out;
  }
}
