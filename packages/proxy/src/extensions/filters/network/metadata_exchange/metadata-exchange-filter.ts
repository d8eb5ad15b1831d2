// istio.metadata_exchange, the network filter (istio/proxy metadata_exchange; config
// envoy.tcp.metadataexchange.config.MetadataExchange in a TypedStruct), on inbound chains before the
// terminal filter and in a cluster's upstream `filters` (tcp_proxy's upstream connections); both
// run `exchangeMetadata`. On an mTLS connection whose ALPN is the configured protocol (istiod:
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

/** One side of the exchange: the protocol, this node's frame, and where it is counted. */
export interface MetadataExchangeSide {
  readonly protocol: string;
  /** This node's frame; undefined (no node) sends none but still reads the peer's. */
  readonly frame: Buffer | undefined;
  /** `metadata_exchange.*` lives here (the listener's stats, or `cluster.<name>` upstream). */
  readonly stats?: StatScope | undefined;
  /** What the peer sent (the serialized Any), for telemetry. */
  readonly onPeer?: (socket: net.Socket, payload: Buffer) => void;
}

/**
 * How an exchange ended: `skipped` (the ALPN is not the protocol; nothing was read or written),
 * `exchanged` (the peer's frame, or the absence of one, is handled: the socket is paused with the
 * bytes after the frame put back), `closed` (the connection ended or the frame was too large; the
 * socket is destroyed).
 */
export type MxOutcome = 'skipped' | 'exchanged' | 'closed';

/**
 * The exchange on a connected TLS socket, for both directions (istio/proxy runs one filter as
 * downstream and upstream): when the negotiated ALPN is the protocol, writes this node's frame and
 * takes the peer's off the read side. `done` is called once — at once when skipped. The write side
 * is the caller's as soon as this returns (this node's frame is already queued ahead of it).
 */
export function exchangeMetadata(socket: net.Socket, side: MetadataExchangeSide, done: (outcome: MxOutcome) => void): void {
  const count = (stat: string): void => side.stats?.counter(`metadata_exchange.${stat}`).inc();
  const alpn = (socket as { alpnProtocol?: string | false }).alpnProtocol;
  if (!side.protocol || alpn !== side.protocol) {
    count('alpn_protocol_not_found');
    return done('skipped');
  }
  count('alpn_protocol_found');
  if (side.frame) socket.write(side.frame);
  let buffered: Buffer = Buffer.alloc(0);
  const finish = (rest: Buffer | undefined): void => {
    socket.off('data', onData);
    socket.off('end', onEnd);
    socket.off('close', onEnd);
    socket.off('error', onEnd);
    socket.pause();
    if (rest === undefined) {
      socket.destroy();
      return done('closed');
    }
    if (rest.length > 0) socket.unshift(rest);
    done('exchanged');
  };
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const r = readMxFrame(buffered);
    if (r.state === 'need-more') return;
    if (r.state === 'done') {
      count('metadata_added');
      side.onPeer?.(socket, Buffer.from(r.payload));
      return finish(r.rest);
    }
    // A peer that negotiated the exchange but sent no frame: Istio counts it and carries on.
    count(r.state === 'too-large' ? 'header_not_found' : 'initial_header_not_found');
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

export interface MetadataExchangeOptions extends MetadataExchangeSide {
  readonly inner: NetworkFilter;
}

export class MetadataExchangeFilter implements NetworkFilter {
  constructor(private readonly o: MetadataExchangeOptions) {}

  onConnection(socket: net.Socket): void {
    exchangeMetadata(socket, this.o, (outcome) => {
      if (outcome === 'closed') return;
      // Resumed before the hand-off, as after the listener filters: data flows from the next tick,
      // once the terminal filter has its listeners (or has paused again, as tcp_proxy does).
      if (outcome === 'exchanged') socket.resume();
      this.o.inner.onConnection(socket);
    });
  }

  drain(): void {
    this.o.inner.drain();
  }
}
