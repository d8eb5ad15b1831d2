// AdsClient: one ADS stream (SotW or Delta) to a management server over grpc-js. Per-type handlers
// accept or reject updates (→ ACK/NACK); the stream reconnects with backoff and resumes from the
// accepted state (last version in SotW, initial_resource_versions in Delta). Like Envoy's gRPC mux it
// can open another service's stream method instead, for a per-type config source (SDS StreamSecrets).
import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import {
  loadProtoRegistry,
  type DeltaDiscoveryResponse__Output,
  type DiscoveryResponse__Output,
  type Node,
  type ProtoRegistry,
} from '@weft/api';
import { moduleLogger, silentLogger, type Logger, type Result, type WeftError } from '@weft/base';
import { adsMethod } from './ads-service.js';
import { Backoff, type BackoffOptions } from './backoff.js';
import type { XdsProtocol } from './callbacks.js';
import { decodeDelta, decodeSotw } from './client-decode.js';
import { ClientSubscription, type SubscribedNames } from './client-subscription.js';
import type { AdsClientEvents, DecodedResource, ResourceHandler, ResourceUpdate, Verdict } from './client-types.js';
import { XdsErrors } from './errors.js';
import { inPushOrder } from './push-order.js';
import { WILDCARD } from './subscription.js';

export interface AdsClientOptions {
  /** `host:port` of the management server. */
  target: string;
  node: Node;
  /** Default 'sotw'. */
  protocol?: XdsProtocol;
  credentials?: grpc.ChannelCredentials;
  channelOptions?: grpc.ChannelOptions;
  registry?: ProtoRegistry;
  logger?: Logger;
  backoff?: BackoffOptions;
  /**
   * The stream method to open instead of ADS's (StreamAggregatedResources or DeltaAggregatedResources
   * by protocol): a per-type discovery service's, e.g. SDS's StreamSecrets; it must speak `protocol`.
   */
  method?: grpc.MethodDefinition<object, object>;
}

type Call = grpc.ClientDuplexStream<object, DiscoveryResponse__Output | DeltaDiscoveryResponse__Output>;

export class AdsClient extends EventEmitter<AdsClientEvents> {
  readonly protocol: XdsProtocol;
  private readonly options: AdsClientOptions;
  private readonly registry: ProtoRegistry;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private readonly method: grpc.MethodDefinition<object, object>;
  private readonly subs = new Map<string, ClientSubscription>();
  private client: grpc.Client | undefined;
  private call: Call | undefined;
  private nodeSent = false;
  private connected = false;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  /** Responses are handled one at a time, in arrival order. */
  private chain: Promise<void> = Promise.resolve();

  constructor(options: AdsClientOptions) {
    super();
    this.options = options;
    this.protocol = options.protocol ?? 'sotw';
    this.registry = options.registry ?? loadProtoRegistry();
    this.log = moduleLogger(options.logger ?? silentLogger(), 'xds.ads-client');
    this.backoff = new Backoff(options.backoff);
    this.method = options.method ?? adsMethod(this.registry, this.protocol === 'sotw' ? 'StreamAggregatedResources' : 'DeltaAggregatedResources');
  }

  get isConnected(): boolean {
    return this.connected;
  }

  /** Opens the stream (idempotent). */
  start(): void {
    if (this.closed) throw XdsErrors.CLIENT_CLOSED();
    if (this.client) return;
    this.client = new grpc.Client(this.options.target, this.options.credentials ?? grpc.credentials.createInsecure(), this.options.channelOptions);
    this.openStream();
  }

  /** Subscribes to a type: `*` for wildcard, or names. Replaces an earlier handler for the type. */
  subscribe(typeUrl: string, handler: ResourceHandler, names: SubscribedNames = WILDCARD): void {
    if (this.closed) throw XdsErrors.CLIENT_CLOSED();
    const sub = new ClientSubscription(typeUrl, handler, names);
    this.subs.set(typeUrl, sub);
    if (this.call) this.write(this.protocol === 'sotw' ? sub.sotwRequest(this.nodeOnce()) : sub.deltaInitialRequest(this.nodeOnce().node));
  }

  /** Changes the names of a subscription (SotW: a new full list; Delta: subscribe/unsubscribe). */
  setNames(typeUrl: string, names: SubscribedNames): void {
    const sub = this.subs.get(typeUrl);
    if (!sub) return;
    const change = sub.setNames(names);
    if (!this.call) return;
    if (this.protocol === 'sotw') this.write(sub.sotwRequest({ ...this.nodeOnce(), nonce: sub.lastNonce }));
    else this.write({ type_url: typeUrl, resource_names_subscribe: change.subscribe, resource_names_unsubscribe: change.unsubscribe, ...this.nodeOnce() });
  }

  /** The accepted resources of a type. */
  resources(typeUrl: string): ReadonlyMap<string, DecodedResource> {
    return this.subs.get(typeUrl)?.resources ?? new Map();
  }

  acceptedVersion(typeUrl: string): string {
    return this.subs.get(typeUrl)?.acceptedVersion ?? '';
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.timer);
    const call = this.call;
    this.call = undefined;
    call?.cancel();
    this.client?.close();
    this.connected = false;
  }

  private nodeOnce(): { node?: Node } {
    if (this.nodeSent) return {};
    this.nodeSent = true;
    return { node: this.options.node };
  }

  private write(request: object): void {
    this.call?.write(request);
  }

  private openStream(): void {
    if (this.closed || !this.client) return;
    const { path, requestSerialize, responseDeserialize } = this.method;
    const call = this.client.makeBidiStreamRequest(path, requestSerialize, responseDeserialize) as Call;
    this.call = call;
    this.nodeSent = false;
    let ended = false;
    const end = (reason: string): void => {
      if (ended) return;
      ended = true;
      this.streamEnded(call, reason);
    };
    call.on('data', (response) => {
      this.chain = this.chain.then(() => this.process(call, response)).catch((e: unknown) => this.log.error({ err: e }, 'response handling failed'));
    });
    call.on('error', (e: grpc.ServiceError) => end(e.details || e.message));
    call.on('status', (s: grpc.StatusObject) => end(s.details || grpc.status[s.code] || 'ended'));
    call.on('end', () => end('server ended the stream'));
    for (const sub of inPushOrder([...this.subs.values()], (s) => s.typeUrl)) {
      sub.resetStream();
      this.write(this.protocol === 'sotw' ? sub.sotwRequest(this.nodeOnce()) : sub.deltaInitialRequest(this.nodeOnce().node));
    }
  }

  private streamEnded(call: Call, reason: string): void {
    if (this.call !== call) return;
    this.call = undefined;
    this.connected = false;
    if (this.closed) return;
    const error = XdsErrors.STREAM_FAILED([this.options.target, reason]);
    const delay = this.backoff.next();
    this.log.info({ code: error.code, reason, delayMs: delay }, 'ADS stream ended; reconnecting');
    this.emit('disconnected', error);
    this.timer = setTimeout(() => this.openStream(), delay);
  }

  private async process(call: Call, response: DiscoveryResponse__Output | DeltaDiscoveryResponse__Output): Promise<void> {
    if (this.call !== call) return;
    this.backoff.reset();
    if (!this.connected) {
      this.connected = true;
      this.emit('connected');
    }
    const sub = this.subs.get(response.type_url);
    if (!sub) {
      this.log.debug({ typeUrl: response.type_url }, 'response for a type not subscribed; ignored');
      return;
    }
    const decoded: Result<ResourceUpdate, WeftError> =
      this.protocol === 'sotw'
        ? decodeSotw(this.registry, sub, response as DiscoveryResponse__Output)
        : decodeDelta(this.registry, response as DeltaDiscoveryResponse__Output);
    const verdict = decoded.ok ? await this.judge(sub, decoded.value) : { accepted: false as const, message: decoded.error.message };
    if (decoded.ok) {
      if (verdict.accepted) sub.commit(decoded.value);
      this.emit('update', decoded.value, verdict);
    }
    // A stream that ended while the handler ran gets no ACK: the next stream re-requests from the
    // accepted state anyway.
    if (this.call !== call) return;
    this.reply(sub, response.nonce, decoded.ok ? decoded.value.version : '', verdict, decoded.ok ? undefined : decoded.error);
  }

  private async judge(sub: ClientSubscription, update: ResourceUpdate): Promise<Verdict> {
    try {
      return await sub.handler(update);
    } catch (e) {
      // A throwing handler is a bug in the caller; the update is still answered, as a NACK.
      this.log.error({ err: e, typeUrl: update.typeUrl }, 'resource handler threw');
      return { accepted: false, message: `handler failed: ${(e as Error).message}` };
    }
  }

  private reply(sub: ClientSubscription, nonce: string, version: string, verdict: Verdict, decodeError?: WeftError): void {
    sub.lastNonce = nonce;
    if (verdict.accepted) {
      this.write(this.protocol === 'sotw' ? sub.sotwRequest({ nonce }) : sub.deltaAckRequest(nonce));
      this.emit('ack', { typeUrl: sub.typeUrl, version, nonce });
      return;
    }
    const error = decodeError ?? XdsErrors.UPDATE_REJECTED([sub.typeUrl, version, verdict.message]);
    this.log.warn({ code: error.code, typeUrl: sub.typeUrl, version }, error.message);
    this.write(this.protocol === 'sotw' ? sub.sotwRequest({ nonce, error: verdict.message }) : sub.deltaAckRequest(nonce, verdict.message));
    this.emit('nack', { typeUrl: sub.typeUrl, version, nonce, error });
  }
}
