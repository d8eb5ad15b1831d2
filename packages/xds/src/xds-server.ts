// Server wiring: the ADS gRPC service (SotW + Delta) over a cache. The caller owns the grpc.Server
// and its ports; this only provides the service definition and implementation.
import * as grpc from '@grpc/grpc-js';
import {
  loadProtoRegistry,
  type DeltaDiscoveryRequest__Output,
  type DiscoveryRequest__Output,
  type Node__Output,
  type ProtoRegistry,
} from '@weft/api';
import { moduleLogger, silentLogger, type Logger, type WeftError } from '@weft/base';
import { StreamAdmission } from './admission.js';
import { adsMethod } from './ads-service.js';
import type { XdsCallbacks } from './callbacks.js';
import type { ConfigWatcher, DeltaConfigWatcher } from './config-watcher.js';
import { DeltaStream } from './delta-stream.js';
import {
  GrpcStatus,
  Http2AdsTransport,
  grpcJsCall,
  pipeGrpcJsCall,
  type AdsCall,
  type AdsHandler,
  type AdsMethod,
  type CallSink,
  type Http2TransportOptions,
} from './grpc-transport.js';
import { NamesInterner, internedRequestDecoder } from './request-decoder.js';
import { SharedResponses } from './shared-responses.js';
import { SotwStream } from './sotw-stream.js';
import type { StreamContext, StreamOutput, StreamStatus } from './stream-base.js';
import {
  encodeDeltaDiscoveryResponse,
  encodeDiscoveryResponse,
  type WireDeltaDiscoveryResponse,
  type WireDiscoveryResponse,
} from './wire-codec.js';
import { WriteThrottle } from './write-throttle.js';

export interface XdsServerOptions {
  /** Serves SotW, and Delta too when it has createDeltaWatch (SnapshotCache, LinearCache, MuxCache do). */
  cache: ConfigWatcher & Partial<DeltaConfigWatcher>;
  /** A separate cache for Delta streams; defaults to `cache`. */
  deltaCache?: DeltaConfigWatcher;
  registry?: ProtoRegistry;
  logger?: Logger;
  callbacks?: XdsCallbacks;
  /** Sent as control_plane.identifier in every response (Envoy logs it). */
  controlPlaneId?: string;
  /**
   * New streams admitted per second (Istio's PILOT_MAX_REQUESTS_PER_SECOND); 0 or unset: no limit.
   * A stream over the rate waits its turn (its first requests are held, at most
   * MAX_HELD_REQUESTS) rather than being refused.
   */
  maxNewStreamsPerSecond?: number;
  /**
   * Responses written and not yet flushed, across all streams (Istio's PILOT_PUSH_THROTTLE); the
   * rest wait in order. Default DEFAULT_CONCURRENT_WRITES; 0: no limit.
   */
  maxConcurrentWrites?: number;
  /**
   * A response not flushed to its stream this long after its write started ends that stream (Istio
   * 1.1–1.3's SendTimeout: a client that does not read would otherwise hold its buffered responses
   * forever); the client reconnects and is answered afresh. Default 5 s; applies with maxConcurrentWrites.
   */
  sendTimeoutMs?: number;
}

/** Responses in flight at once across streams (Istio's PILOT_PUSH_THROTTLE default). */
export const DEFAULT_CONCURRENT_WRITES = 100;

/** Istio 1.1–1.3's SendTimeout. */
export const DEFAULT_SEND_TIMEOUT_MS = 5_000;

/** Requests a stream waiting for admission may send before it is failed with RESOURCE_EXHAUSTED. */
export const MAX_HELD_REQUESTS = 32;

export interface XdsServer {
  /** The AggregatedDiscoveryService definition, with fast response serialisers. */
  readonly service: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
  /** server.addService(service, implementation). */
  addTo(server: grpc.Server): void;
  /**
   * The ADS methods on their own HTTP/2 server (h2c), writing each shared response to every stream
   * without a copy per stream; listen() it. Pilot serves ADS this way.
   */
  http2Transport(options?: Partial<Http2TransportOptions>): Http2AdsTransport;
  /** Every opened stream with its per-type sent/acked state (for /debug/syncz, proxy-status). */
  connections(): StreamStatus[];
  /** Ends every stream with UNAVAILABLE, so clients reconnect (shutdown, forced resync). */
  closeAll(reason?: string): void;
  /** Streams waiting for admission (maxNewStreamsPerSecond). */
  waitingStreams(): number;
}

type AnyCall = grpc.ServerDuplexStream<unknown, unknown>;

/** What the wiring needs of a SotW or Delta stream. */
interface ServedStream<Req> {
  readonly isClosed: boolean;
  handleRequest(request: Req): void;
  close(error?: Error): void;
  status(): StreamStatus | undefined;
}

/** A gRPC message frame: flag 0 (not compressed), 4-byte big-endian length, the message. */
function frameMessage(message: Buffer): Buffer {
  const out = Buffer.allocUnsafe(message.length + 5);
  out[0] = 0;
  out.writeUInt32BE(message.length, 1);
  message.copy(out, 5);
  return out;
}

export function createXdsServer(options: XdsServerOptions): XdsServer {
  const registry = options.registry ?? loadProtoRegistry();
  const log = moduleLogger(options.logger ?? silentLogger(), 'xds.server');
  const callbacks = options.callbacks ?? {};
  const deltaCache = options.deltaCache ?? (options.cache.createDeltaWatch ? (options.cache as DeltaConfigWatcher) : undefined);
  const emptyNode = registry.decode<Node__Output>('envoy.config.core.v3.Node', new Uint8Array());
  const sotwMethod = adsMethod(registry, 'StreamAggregatedResources');
  const deltaMethod = adsMethod(registry, 'DeltaAggregatedResources');
  // SotW requests repeat their whole resource_names list (every ACK): long lists are decoded once per
  // distinct list and shared, frozen, by every request and subscription that names the same (request-decoder.ts).
  const interner = new NamesInterner();
  const decodeSotw = internedRequestDecoder(sotwMethod.requestDeserialize as (b: Buffer) => DiscoveryRequest__Output, interner);
  const decodeDelta = deltaMethod.requestDeserialize as (b: Buffer) => DeltaDiscoveryRequest__Output;
  const responses = new SharedResponses();
  /** A response gRPC-framed; one that other streams share is encoded and framed by the first write only. */
  const framed = (method: AdsMethod, r: WireDiscoveryResponse | WireDeltaDiscoveryResponse): Buffer => {
    // Every later write of a shared response: its bytes, with nothing built per stream.
    const known = r.shared?.bytes;
    if (known) return known;
    const bytes = frameMessage(
      method === 'StreamAggregatedResources' ? encodeDiscoveryResponse(r as WireDiscoveryResponse) : encodeDeltaDiscoveryResponse(r as WireDeltaDiscoveryResponse),
    );
    return r.shared ? responses.encoded(r.shared, () => bytes) : bytes;
  };
  const service: grpc.ServiceDefinition = {
    StreamAggregatedResources: {
      ...sotwMethod,
      requestDeserialize: decodeSotw,
      // grpc-js frames (and copies) the message itself: it gets the shared frame's message part.
      responseSerialize: (r: WireDiscoveryResponse) => framed('StreamAggregatedResources', r).subarray(5),
    },
    DeltaAggregatedResources: {
      ...deltaMethod,
      requestDeserialize: decodeDelta,
      responseSerialize: (r: WireDeltaDiscoveryResponse) => framed('DeltaAggregatedResources', r).subarray(5),
    },
  };
  const open = new Map<number, { stream: ServedStream<never>; call: AdsCall<object> }>();
  let nextId = 0;
  const admission = new StreamAdmission(options.maxNewStreamsPerSecond ?? 0);
  const throttle = new WriteThrottle(options.maxConcurrentWrites ?? DEFAULT_CONCURRENT_WRITES, options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS);

  function context(call: AdsCall<object>): StreamContext {
    return { id: ++nextId, peer: call.peer, callbacks, log, emptyNode, responses };
  }

  /** Where a stream writes; `stuck.at` is set by serve() to end the stream when a write times out. */
  function output<R extends object>(call: AdsCall<object>, stuck: { at?: () => void }): StreamOutput<R> {
    return {
      write: (r) =>
        throttle.run(
          (done) => {
            // A stream that ended while its response waited gets nothing (and frees its slot).
            if (call.done) return done();
            call.write(r, done);
          },
          () => stuck.at?.(),
        ),
      fail: (e: WeftError) => call.fail(GrpcStatus.INVALID_ARGUMENT, `${e.code}: ${e.message}`),
    };
  }

  function serve<Req>(call: AdsCall<object>, ctx: StreamContext, stream: ServedStream<Req>, stuck: { at?: () => void }): CallSink<object> {
    open.set(ctx.id, { stream, call });
    let cancelWait = (): void => undefined;
    const end = (error?: Error): void => {
      cancelWait();
      if (!open.delete(ctx.id)) return;
      stream.close(error);
    };
    stuck.at = () => {
      if (!open.has(ctx.id)) return;
      const ms = options.sendTimeoutMs ?? DEFAULT_SEND_TIMEOUT_MS;
      log.warn({ stream: ctx.id, node: stream.status()?.stream.node.id, timeoutMs: ms }, 'timeout sending an xDS response: the client is not reading; its stream is closed');
      call.abort(`timeout sending: the response was not read within ${ms} ms`);
      end(new Error('timeout sending'));
    };
    const handle = (req: Req): void => {
      if (!open.has(ctx.id)) return;
      try {
        stream.handleRequest(req);
      } catch (e) {
        // A bug in a stream or cache must fail this stream only, not the server.
        log.error({ err: e, stream: ctx.id }, 'xDS request handling failed');
        call.fail(GrpcStatus.INTERNAL, `xDS request handling failed: ${(e as Error).message}`);
        end(e as Error);
        return;
      }
      if (stream.isClosed) end();
    };
    // Until the stream is admitted its requests are held, in order and bounded.
    let held: Req[] | undefined = [];
    cancelWait = admission.admit(() => {
      const queued = held ?? [];
      held = undefined;
      for (const req of queued) handle(req);
    });
    if (held !== undefined) log.debug({ stream: ctx.id, waiting: admission.pending }, 'xDS stream waiting for admission');
    return {
      request: (message) => {
        const req = message as Req;
        if (held === undefined) return handle(req);
        if (held.length >= MAX_HELD_REQUESTS) {
          call.fail(GrpcStatus.RESOURCE_EXHAUSTED, `more than ${MAX_HELD_REQUESTS} requests before the stream was admitted`);
          end();
          return;
        }
        held.push(req);
      },
      end,
    };
  }

  /** Opens the stream of a call, or undefined when the method is not served (Delta without a Delta cache). */
  function openCall(method: AdsMethod, call: AdsCall<object>): CallSink<object> | undefined {
    const stuck: { at?: () => void } = {};
    if (method === 'StreamAggregatedResources') {
      const ctx = context(call);
      return serve<DiscoveryRequest__Output>(call, ctx, new SotwStream(ctx, options.cache, output(call, stuck), options.controlPlaneId), stuck);
    }
    if (!deltaCache) return undefined;
    const ctx = context(call);
    return serve<DeltaDiscoveryRequest__Output>(call, ctx, new DeltaStream(ctx, deltaCache, output(call, stuck), options.controlPlaneId), stuck);
  }

  const handler: AdsHandler = {
    open: openCall,
    decode: (method, bytes) => (method === 'StreamAggregatedResources' ? decodeSotw(bytes) : decodeDelta(bytes)),
    frame: (method, response) => framed(method, response as WireDiscoveryResponse | WireDeltaDiscoveryResponse),
  };

  const viaGrpcJs = (method: AdsMethod) => (raw: AnyCall) => {
    const call = grpcJsCall(raw);
    const sink = openCall(method, call);
    if (!sink) return call.fail(GrpcStatus.UNIMPLEMENTED, 'Delta xDS is not served by this cache');
    pipeGrpcJsCall(raw, sink);
  };
  const implementation: grpc.UntypedServiceImplementation = {
    StreamAggregatedResources: viaGrpcJs('StreamAggregatedResources'),
    DeltaAggregatedResources: viaGrpcJs('DeltaAggregatedResources'),
  };

  return {
    service,
    implementation,
    addTo: (server) => server.addService(service, implementation),
    http2Transport: (transport) => new Http2AdsTransport(handler, { logger: transport?.logger ?? log, ...transport }),
    waitingStreams: () => admission.pending,
    connections: () => [...open.values()].map((o) => o.stream.status()).filter((s): s is StreamStatus => s !== undefined),
    closeAll: (reason = 'server closing xDS streams') => {
      for (const [id, { stream, call }] of [...open]) {
        open.delete(id);
        stream.close();
        call.fail(GrpcStatus.UNAVAILABLE, reason);
      }
    },
  };
}
