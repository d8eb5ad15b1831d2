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
}

/** Responses in flight at once across streams (Istio's PILOT_PUSH_THROTTLE default). */
export const DEFAULT_CONCURRENT_WRITES = 100;

/** Requests a stream waiting for admission may send before it is failed with RESOURCE_EXHAUSTED. */
export const MAX_HELD_REQUESTS = 32;

export interface XdsServer {
  /** The AggregatedDiscoveryService definition, with fast response serialisers. */
  readonly service: grpc.ServiceDefinition;
  readonly implementation: grpc.UntypedServiceImplementation;
  /** server.addService(service, implementation). */
  addTo(server: grpc.Server): void;
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

function failCall(call: AnyCall, code: grpc.status, details: string): void {
  // grpc-js turns an 'error' on a server call into the call's final status.
  call.emit('error', { code, details });
}

export function createXdsServer(options: XdsServerOptions): XdsServer {
  const registry = options.registry ?? loadProtoRegistry();
  const log = moduleLogger(options.logger ?? silentLogger(), 'xds.server');
  const callbacks = options.callbacks ?? {};
  const deltaCache = options.deltaCache ?? (options.cache.createDeltaWatch ? (options.cache as DeltaConfigWatcher) : undefined);
  const emptyNode = registry.decode<Node__Output>('envoy.config.core.v3.Node', new Uint8Array());
  const sotwMethod = adsMethod(registry, 'StreamAggregatedResources');
  // SotW requests repeat their whole resource_names list (every ACK): long lists are decoded once per
  // distinct list and shared, frozen, by every request and subscription that names the same (request-decoder.ts).
  const interner = new NamesInterner();
  const responses = new SharedResponses();
  const service: grpc.ServiceDefinition = {
    StreamAggregatedResources: {
      ...sotwMethod,
      requestDeserialize: internedRequestDecoder(sotwMethod.requestDeserialize as (b: Buffer) => DiscoveryRequest__Output, interner),
      // A response other streams share is encoded by the first write and reused by the rest.
      responseSerialize: (r: WireDiscoveryResponse) => (r.shared ? responses.encoded(r.shared, () => encodeDiscoveryResponse(r)) : encodeDiscoveryResponse(r)),
    },
    DeltaAggregatedResources: {
      ...adsMethod(registry, 'DeltaAggregatedResources'),
      responseSerialize: (r: WireDeltaDiscoveryResponse) =>
        r.shared ? responses.encoded(r.shared, () => encodeDeltaDiscoveryResponse(r)) : encodeDeltaDiscoveryResponse(r),
    },
  };
  const open = new Map<number, { stream: ServedStream<never>; call: AnyCall }>();
  let nextId = 0;
  const admission = new StreamAdmission(options.maxNewStreamsPerSecond ?? 0);
  const throttle = new WriteThrottle(options.maxConcurrentWrites ?? DEFAULT_CONCURRENT_WRITES);

  function context(call: AnyCall): StreamContext {
    return { id: ++nextId, peer: call.getPeer(), callbacks, log, emptyNode, responses };
  }

  function output<R>(call: AnyCall): StreamOutput<R> {
    return {
      write: (r) =>
        throttle.run((done) => {
          // A stream that ended while its response waited gets nothing (and frees its slot).
          if (call.destroyed || call.writableEnded) return done();
          call.write(r, () => done());
        }),
      fail: (e: WeftError) => failCall(call, grpc.status.INVALID_ARGUMENT, `${e.code}: ${e.message}`),
    };
  }

  function serve<Req>(call: AnyCall, ctx: StreamContext, stream: ServedStream<Req>): void {
    open.set(ctx.id, { stream, call });
    let cancelWait = (): void => undefined;
    const end = (error?: Error): void => {
      cancelWait();
      if (!open.delete(ctx.id)) return;
      stream.close(error);
    };
    const handle = (req: Req): void => {
      if (!open.has(ctx.id)) return;
      try {
        stream.handleRequest(req);
      } catch (e) {
        // A bug in a stream or cache must fail this stream only, not the server.
        log.error({ err: e, stream: ctx.id }, 'xDS request handling failed');
        failCall(call, grpc.status.INTERNAL, `xDS request handling failed: ${(e as Error).message}`);
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
    call.on('data', (req: Req) => {
      if (held === undefined) return handle(req);
      if (held.length >= MAX_HELD_REQUESTS) {
        failCall(call, grpc.status.RESOURCE_EXHAUSTED, `more than ${MAX_HELD_REQUESTS} requests before the stream was admitted`);
        end();
        return;
      }
      held.push(req);
    });
    call.on('end', () => {
      end();
      call.end();
    });
    call.on('error', (e: Error) => end(e));
    call.on('cancelled', () => end());
    call.on('close', () => end());
  }

  const implementation: grpc.UntypedServiceImplementation = {
    StreamAggregatedResources: (call: AnyCall) => {
      const ctx = context(call);
      serve<DiscoveryRequest__Output>(call, ctx, new SotwStream(ctx, options.cache, output(call), options.controlPlaneId));
    },
    DeltaAggregatedResources: (call: AnyCall) => {
      if (!deltaCache) {
        failCall(call, grpc.status.UNIMPLEMENTED, 'Delta xDS is not served by this cache');
        return;
      }
      const ctx = context(call);
      serve<DeltaDiscoveryRequest__Output>(call, ctx, new DeltaStream(ctx, deltaCache, output(call), options.controlPlaneId));
    },
  };

  return {
    service,
    implementation,
    addTo: (server) => server.addService(service, implementation),
    waitingStreams: () => admission.pending,
    connections: () => [...open.values()].map((o) => o.stream.status()).filter((s): s is StreamStatus => s !== undefined),
    closeAll: (reason = 'server closing xDS streams') => {
      for (const [id, { stream, call }] of [...open]) {
        open.delete(id);
        stream.close();
        failCall(call, grpc.status.UNAVAILABLE, reason);
      }
    },
  };
}
