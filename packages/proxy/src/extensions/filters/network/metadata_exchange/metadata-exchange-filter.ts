// istio.metadata_exchange, the network filter (istio/proxy metadata_exchange; config
// envoy.tcp.metadataexchange.config.MetadataExchange in a TypedStruct), on inbound chains before the
// terminal filter. On an mTLS connection whose ALPN is the configured protocol (istiod:
// `istio-peer-exchange`), both sidecars first send one frame — magic 0x3D230467, a 4-byte length,
// then a google.protobuf.Any holding a Struct { x-envoy-peer-metadata: <node metadata>,
// x-envoy-peer-metadata-id: <node id> } — and the bytes after it are the application's. Any other
// connection (plaintext, or TLS with another ALPN) passes through untouched: without mTLS this
// filter is a no-op, as in Envoy. The peer frame is read with a bound and removed from the stream.
import type net from 'node:net';
import type { NetworkFilter } from '../../../../listener/listener-manager.js';
import type { StatScope } from '../../../../stats/stat-store.js';

export const METADATA_EXCHANGE_FILTER = 'istio.metadata_exchange';
export const METADATA_EXCHANGE_TYPE = 'type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange';
export const MX_MAGIC = 0x3d230467;
/** The largest peer frame accepted; a bigger one ends the exchange (the connection is closed). */
export const MAX_MX_FRAME = 64 * 1024;
const HEADER = 8;

/** The decoded envoy.tcp.metadataexchange.config.MetadataExchange. */
export interface MetadataExchangeConfig {
  readonly protocol?: string;
  readonly enable_discovery?: boolean;
  readonly additional_labels?: readonly string[];
}

export type MxFrameRead =
  | { readonly state: 'need-more' }
  | { readonly state: 'not-mx' }
  | { readonly state: 'too-large' }
  | { readonly state: 'done'; readonly payload: Buffer; readonly rest: Buffer };

/** Parses the start of an exchanged stream. Pure; `need-more` means a valid prefix so far. */
export function readMxFrame(data: Buffer, maxBytes = MAX_MX_FRAME): MxFrameRead {
  if (data.length < 4) {
    const magic = Buffer.alloc(4);
    magic.writeUInt32BE(MX_MAGIC);
    return data.equals(magic.subarray(0, data.length)) ? { state: 'need-more' } : { state: 'not-mx' };
  }
  if (data.readUInt32BE(0) !== MX_MAGIC) return { state: 'not-mx' };
  if (data.length < HEADER) return { state: 'need-more' };
  const size = data.readUInt32BE(4);
  if (size > maxBytes) return { state: 'too-large' };
  if (data.length < HEADER + size) return { state: 'need-more' };
  return { state: 'done', payload: data.subarray(HEADER, HEADER + size), rest: data.subarray(HEADER + size) };
}

/** Frames a payload (the serialized Any) for the wire. */
export function mxFrame(payload: Uint8Array): Buffer {
  const header = Buffer.alloc(HEADER);
  header.writeUInt32BE(MX_MAGIC, 0);
  header.writeUInt32BE(payload.length, 4);
  return Buffer.concat([header, payload]);
}

export interface MetadataExchangeOptions {
  readonly protocol: string;
  readonly inner: NetworkFilter;
  /** This node's frame; undefined (no node) sends none but still reads the peer's. */
  readonly frame: Buffer | undefined;
  /** `<stat_prefix>.metadata_exchange.*` lives here. */
  readonly stats?: StatScope;
  /** What the peer sent (the serialized Any), for telemetry. */
  readonly onPeer?: (socket: net.Socket, payload: Buffer) => void;
}

export class MetadataExchangeFilter implements NetworkFilter {
  constructor(private readonly o: MetadataExchangeOptions) {}

  onConnection(socket: net.Socket): void {
    const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol;
    if (!this.o.protocol || alpn !== this.o.protocol) {
      this.count('alpn_protocol_not_found');
      return this.o.inner.onConnection(socket);
    }
    this.count('alpn_protocol_found');
    if (this.o.frame) socket.write(this.o.frame);
    let buffered: Buffer = Buffer.alloc(0);
    const finish = (rest: Buffer | undefined): void => {
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
      socket.pause();
      if (rest === undefined) {
        socket.destroy();
        return;
      }
      if (rest.length > 0) socket.unshift(rest);
      // Resumed before the hand-off, as after the listener filters: data flows from the next tick,
      // once the terminal filter has its listeners (or has paused again, as tcp_proxy does).
      socket.resume();
      this.o.inner.onConnection(socket);
    };
    const onData = (chunk: Buffer): void => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
      const r = readMxFrame(buffered);
      if (r.state === 'need-more') return;
      if (r.state === 'done') {
        this.count('metadata_added');
        this.o.onPeer?.(socket, Buffer.from(r.payload));
        return finish(r.rest);
      }
      // A peer that negotiated the exchange but sent no frame: Istio counts it and carries on.
      this.count(r.state === 'too-large' ? 'header_not_found' : 'initial_header_not_found');
      finish(r.state === 'not-mx' ? buffered : undefined);
    };
    const onEnd = (): void => finish(undefined);
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    // A reset while exchanging closes this connection, never the proxy.
    socket.once('error', onEnd);
    socket.resume();
  }

  drain(): void {
    this.o.inner.drain();
  }

  private count(stat: string): void {
    this.o.stats?.counter(`metadata_exchange.${stat}`).inc();
  }
}
