// Real gRPC sockets on 127.0.0.1:0 for the integration tests: an xDS server, and a raw ADS stream
// that sends hand-written requests and reads decoded responses.
import * as grpc from '@grpc/grpc-js';
import {
  type DeltaDiscoveryRequest,
  type DeltaDiscoveryResponse__Output,
  type DiscoveryRequest,
  type DiscoveryResponse__Output,
} from '@weft/api';
import { adsMethod } from '../src/ads-service.js';
import { createXdsServer, type XdsServer, type XdsServerOptions } from '../src/xds-server.js';
import { registry } from './resources.js';

export interface RunningServer {
  readonly port: number;
  readonly target: string;
  readonly xds: XdsServer;
  close(): Promise<void>;
}

/** How the server carries ADS: its own HTTP/2 transport (what Pilot serves), or a grpc-js server (addTo). */
export type Transport = 'http2' | 'grpc-js';
export const TRANSPORTS: readonly Transport[] = ['http2', 'grpc-js'];

export async function startXdsServer(options: XdsServerOptions, transport: Transport = 'http2'): Promise<RunningServer> {
  const xds = createXdsServer({ registry, ...options });
  let port: number;
  let stop: () => void;
  if (transport === 'http2') {
    const ads = xds.http2Transport();
    port = await ads.listen('127.0.0.1', 0);
    stop = () => ads.forceClose();
  } else {
    const server = new grpc.Server();
    xds.addTo(server);
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
    stop = () => server.forceShutdown();
  }
  return {
    port,
    target: `127.0.0.1:${port}`,
    xds,
    close: () => {
      xds.closeAll();
      stop();
      return Promise.resolve();
    },
  };
}

/** Messages arriving on a stream, awaited one by one with a timeout; the stream's end rejects waiters. */
class Inbox<T> {
  private readonly items: T[] = [];
  private waiter: { resolve: (item: T) => void; reject: (e: Error) => void } | undefined;
  private ended: string | undefined;

  push(item: T): void {
    const w = this.waiter;
    this.waiter = undefined;
    if (w) w.resolve(item);
    else this.items.push(item);
  }

  end(reason: string): void {
    this.ended ??= reason;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(new Error(`stream ended: ${this.ended}`));
  }

  next(timeoutMs = 5000): Promise<T> {
    const item = this.items.shift();
    if (item !== undefined) return Promise.resolve(item);
    if (this.ended !== undefined) return Promise.reject(new Error(`stream ended: ${this.ended}`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new Error(`no message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiter = {
        resolve: (x) => {
          clearTimeout(timer);
          resolve(x);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      };
    });
  }

  get pending(): number {
    return this.items.length;
  }
}

export interface RawStream<Req, Res> {
  send(request: Req): void;
  next(timeoutMs?: number): Promise<Res>;
  /** Messages received and not yet read. */
  readonly pending: number;
  close(): void;
}

function rawStream<Req extends object, Res>(target: string, method: 'StreamAggregatedResources' | 'DeltaAggregatedResources'): RawStream<Req, Res> {
  const def = adsMethod(registry, method);
  const client = new grpc.Client(target, grpc.credentials.createInsecure());
  const call = client.makeBidiStreamRequest(def.path, def.requestSerialize, def.responseDeserialize);
  const inbox = new Inbox<Res>();
  call.on('data', (m: Res) => inbox.push(m));
  call.on('error', (e: grpc.ServiceError) => inbox.end(e.details));
  call.on('end', () => inbox.end('end'));
  return {
    send: (r) => call.write(r),
    next: (t) => inbox.next(t),
    get pending() {
      return inbox.pending;
    },
    close: () => {
      call.cancel();
      client.close();
    },
  };
}

export const sotwStream = (target: string): RawStream<DiscoveryRequest, DiscoveryResponse__Output> => rawStream(target, 'StreamAggregatedResources');

export const deltaStream = (target: string): RawStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse__Output> =>
  rawStream(target, 'DeltaAggregatedResources');

/** Names of the resources in a SotW response. */
export function names(response: DiscoveryResponse__Output): string[] {
  return response.resources.map((any) => {
    const v = registry.unpack<{ name?: string; cluster_name?: string }>(any);
    return (v.cluster_name || v.name) ?? '';
  });
}
