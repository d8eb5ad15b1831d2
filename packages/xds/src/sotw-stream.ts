// One StreamAggregatedResources call: per type, nonces, ACK/NACK, stale-nonce filtering and one open
// watch at a time (opened on each request, consumed by its answer), as go-control-plane's sotw server.
import type { DiscoveryRequest__Output } from '@weft/api';
import { SentResponseEvent, invokeCallback, type StreamInfo } from './callbacks.js';
import { PARTIAL_SOTW_TYPES } from './answer.js';
import type { ConfigWatcher, SotwResponse } from './config-watcher.js';
import { StreamBase, errorDetailOf, type Pending, type StreamContext, type StreamOutput, type StreamStatus, type WatchSlot } from './stream-base.js';
import { HeldVersions } from './held-versions.js';
import { contentKey } from './shared-responses.js';
import { sotwSubscription, type Subscription } from './subscription.js';
import { ResourceAcks, TypeSync, type TypeResourceStatus } from './sync-status.js';
import type { WireDiscoveryResponse } from './wire-codec.js';

interface SotwTypeState extends WatchSlot {
  readonly sync: TypeSync;
  /** Per-resource ACK/NACK (complete for LDS/CDS, per name over `held` for EDS/RDS). */
  readonly acks: ResourceAcks;
  subscription: Subscription | undefined;
  /** Names covered by the last response (see SotwWatchState.sentNames). */
  sentNames: ReadonlySet<string>;
  /** The subscription the last response answered. */
  sentSubscription?: Subscription | undefined;
  /** Partial types only: name → version of each subscribed resource sent on this stream (SotwWatchState.held). */
  readonly held: HeldVersions | undefined;
}

export class SotwStream extends StreamBase<SotwResponse> {
  private readonly types = new Map<string, SotwTypeState>();

  constructor(
    ctx: StreamContext,
    private readonly watcher: ConfigWatcher,
    private readonly output: StreamOutput<WireDiscoveryResponse>,
    private readonly controlPlane?: string,
  ) {
    super(ctx, 'sotw');
  }

  handleRequest(req: DiscoveryRequest__Output): void {
    const typeUrl = req.type_url;
    const info = this.admit(typeUrl, req.node, this.output);
    if (!info) return;
    let t = this.types.get(typeUrl);
    if (!t) {
      const partial = PARTIAL_SOTW_TYPES.has(typeUrl);
      t = { sync: new TypeSync(typeUrl), acks: new ResourceAcks(!partial), subscription: undefined, sentNames: new Set(), generation: 0, held: partial ? new HeldVersions() : undefined };
      this.types.set(typeUrl, t);
    }
    const detail = errorDetailOf(req.error_detail);
    const nonce = req.response_nonce;
    const kind = t.sync.classify(nonce, detail !== undefined);
    // Before the stale check: a stale nonce still tells which responses the client ACKed or NACKed.
    t.acks.resolve(nonce, detail);
    invokeCallback(this.ctx.callbacks, this.ctx.log, 'onRequest', info, {
      typeUrl,
      kind,
      versionInfo: req.version_info,
      responseNonce: nonce,
      resourceNames: req.resource_names,
      unsubscribe: [],
    });
    if (kind === 'stale') {
      // xds_protocol "Resource updates": a request answering an older response is superseded; the
      // client will send another request for the latest nonce.
      this.ctx.log.debug({ stream: this.ctx.id, typeUrl, nonce }, 'stale nonce ignored');
      return;
    }
    if (kind === 'ack') {
      t.sync.recordAck(req.version_info, nonce);
      invokeCallback(this.ctx.callbacks, this.ctx.log, 'onAck', info, { typeUrl, version: req.version_info, nonce });
    } else if (kind === 'nack' && detail) {
      const nack = { rejectedVersion: t.sync.version, nonce, errorDetail: detail, lastGoodVersion: req.version_info };
      t.sync.recordNack(nack);
      this.ctx.log.warn({ stream: this.ctx.id, node: info.node.id, typeUrl, ...nack }, 'NACK');
      invokeCallback(this.ctx.callbacks, this.ctx.log, 'onNack', info, { typeUrl, ...nack });
    }
    t.subscription = sotwSubscription(typeUrl, t.subscription, req.resource_names);
    this.watch(info, typeUrl, t, t.subscription);
  }

  private watch(info: StreamInfo, typeUrl: string, t: SotwTypeState, subscription: Subscription): void {
    t.cancel?.();
    t.generation++;
    // A name the client unsubscribed is forgotten by it: if asked for again, it is sent again.
    // (Nothing to forget when the subscription is the one the last response answered.)
    if (!subscription.wildcard && subscription !== t.sentSubscription) {
      if ([...t.sentNames].some((n) => !subscription.names.has(n))) t.sentNames = new Set([...t.sentNames].filter((n) => subscription.names.has(n)));
      t.held?.keepOnly(subscription.names, (name) => t.acks.forget(name));
    }
    const state = { subscription, sentVersion: t.sync.version, sentNames: t.sentNames, ...(t.held ? { held: t.held } : {}) };
    t.cancel = this.watcher.createWatch({ node: info.node, typeUrl }, state, this.queue(t, typeUrl));
  }

  protected send(pending: Pending<SotwResponse>): void {
    const t = this.types.get(pending.typeUrl);
    const info = this.info;
    if (!t || !info || this.closed || t.generation !== pending.generation) return;
    const { response } = pending;
    const shared = this.responseFor(contentKey('sotw', response.typeUrl, response.version, response.resources));
    const nonce = shared.nonce;
    t.sync.recordSent(response.version, nonce);
    // The subscription's own set: sent names and subscription are then one object until it changes.
    t.sentNames = t.subscription?.names ?? new Set();
    t.sentSubscription = t.subscription;
    if (t.held) {
      if (response.basis) t.held.rebase(response.basis);
      else t.held.sent(response.resources);
    }
    t.acks.recordSent(nonce, response.resources);
    t.cancel = undefined;
    t.generation++;
    this.output.write({
      version_info: response.version,
      resources: response.resources,
      type_url: response.typeUrl,
      nonce,
      ...(this.controlPlane ? { control_plane: { identifier: this.controlPlane } } : {}),
      shared,
    });
    if (this.ctx.callbacks.onResponse) invokeCallback(this.ctx.callbacks, this.ctx.log, 'onResponse', info, new SentResponseEvent(response.typeUrl, response.version, nonce, response.resources));
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
      const sub = t.subscription && !t.subscription.wildcard ? t.subscription : undefined;
      out.push({ typeUrl: t.sync.typeUrl, resources: t.acks.statuses(t.held, sub) });
    }
    return out;
  }
}
