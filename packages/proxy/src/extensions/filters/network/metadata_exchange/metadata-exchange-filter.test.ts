import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { loadProtoRegistry } from '@weft/api';
import { hasOpenssl, TestPki } from '@weft/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { NetworkFilter } from '../../../../listener/listener-manager.js';
import { StatStore } from '../../../../stats/stat-store.js';
import { metadataExchangeFrame } from '../istio-network-filters.js';
import { MetadataExchangeFilter, mxFrame, readMxFrame, MX_MAGIC } from './metadata-exchange-filter.js';

const registry = loadProtoRegistry();
const node = { id: 'sidecar~10.0.0.1~b.default~default.svc.cluster.local', metadata: registry.readJson('google.protobuf.Struct', { NAME: 'b', NAMESPACE: 'default' }).value ?? null };

describe('readMxFrame', () => {
  const frame = mxFrame(Buffer.from('payload'));
  it('reads a whole frame and leaves what follows', () => {
    const r = readMxFrame(Buffer.concat([frame, Buffer.from('GET /')]));
    expect(r.state).toBe('done');
    if (r.state === 'done') {
      expect(r.payload.toString()).toBe('payload');
      expect(r.rest.toString()).toBe('GET /');
    }
  });
  it.each([1, 3, 4, 7, 8, 10])('waits for more with %i bytes', (n) => {
    expect(readMxFrame(frame.subarray(0, n)).state).toBe('need-more');
  });
  it('tells a stream without the magic apart at once', () => {
    expect(readMxFrame(Buffer.from('G')).state).toBe('not-mx');
    expect(readMxFrame(Buffer.from('GET / HTTP/1.1\r\n')).state).toBe('not-mx');
  });
  it('refuses a frame above its bound', () => {
    const header = Buffer.alloc(8);
    header.writeUInt32BE(MX_MAGIC, 0);
    header.writeUInt32BE(1 << 20, 4);
    expect(readMxFrame(header).state).toBe('too-large');
  });
  it('frames the node as an Any of Struct {x-envoy-peer-metadata, x-envoy-peer-metadata-id}', () => {
    const r = readMxFrame(metadataExchangeFrame(registry, node) ?? Buffer.alloc(0));
    if (r.state !== 'done') throw new Error(r.state);
    const any = registry.decode<{ type_url: string; value: Uint8Array }>('google.protobuf.Any', r.payload);
    expect(any.type_url).toBe('type.googleapis.com/google.protobuf.Struct');
    expect(registry.toJson('google.protobuf.Struct', registry.decode('google.protobuf.Struct', any.value))).toEqual({
      'x-envoy-peer-metadata': { NAME: 'b', NAMESPACE: 'default' },
      'x-envoy-peer-metadata-id': node.id,
    });
  });
});

/** The terminal filter stand-in: echoes what it reads, so the test sees what reached it. */
const echo: NetworkFilter = { onConnection: (s) => s.pipe(s), drain: () => undefined };

describe.skipIf(!hasOpenssl())('MetadataExchangeFilter on real connections', () => {
  const pki = new TestPki();
  const ca = pki.ca('mx-ca');
  const leaf = pki.leaf(ca, 'b.default');
  const closers: (() => void)[] = [];
  afterAll(() => {
    for (const c of closers) c();
    pki.dispose();
  });

  async function serve(filter: NetworkFilter, secure: boolean): Promise<number> {
    const server = secure
      ? tls.createServer({ cert: leaf.cert, key: leaf.key, ALPNProtocols: ['istio-peer-exchange', 'h2', 'http/1.1'] }).on('secureConnection', (s) => filter.onConnection(s))
      : net.createServer((s) => filter.onConnection(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => server.close());
    return (server.address() as AddressInfo).port;
  }

  /** Connects, sends `send`, and collects everything until the server has echoed `until`. */
  function exchange(socket: net.Socket, send: Buffer, until: string): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      let got = Buffer.alloc(0);
      socket.on('data', (d: Buffer) => {
        got = Buffer.concat([got, d]);
        if (got.includes(until)) {
          socket.destroy();
          resolve(got);
        }
      });
      socket.on('error', reject);
      socket.write(send);
    });
  }

  it('on istio-peer-exchange: sends its frame, takes the peer frame off the stream, passes the rest on', async () => {
    const stats = new StatStore();
    const peers: Buffer[] = [];
    const filter = new MetadataExchangeFilter({ protocol: 'istio-peer-exchange', inner: echo, frame: metadataExchangeFrame(registry, node), stats, onPeer: (_s, p) => peers.push(p) });
    const port = await serve(filter, true);
    const client = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, servername: 'b.default', ALPNProtocols: ['istio-peer-exchange'] });
    await new Promise<void>((r) => client.once('secureConnect', () => r()));
    expect(client.alpnProtocol).toBe('istio-peer-exchange');
    const peerFrame = mxFrame(Buffer.from('peer-any'));
    const got = await exchange(client, Buffer.concat([peerFrame, Buffer.from('app bytes')]), 'app bytes');
    const theirs = readMxFrame(got);
    expect(theirs.state).toBe('done');
    // The app saw only its own bytes: the peer's frame was removed before the echo.
    if (theirs.state === 'done') expect(theirs.rest.toString()).toBe('app bytes');
    expect(peers.map((p) => p.toString())).toEqual(['peer-any']);
    expect(stats.counter('metadata_exchange.alpn_protocol_found').value).toBe(1);
    expect(stats.counter('metadata_exchange.metadata_added').value).toBe(1);
  });

  it('is a no-op on plaintext and on TLS with another ALPN', async () => {
    const stats = new StatStore();
    const filter = new MetadataExchangeFilter({ protocol: 'istio-peer-exchange', inner: echo, frame: metadataExchangeFrame(registry, node), stats });
    const plain = net.connect(await serve(filter, false), '127.0.0.1');
    expect((await exchange(plain, Buffer.from('hello'), 'hello')).toString()).toBe('hello');
    const h2 = tls.connect({ host: '127.0.0.1', port: await serve(filter, true), ca: ca.cert, servername: 'b.default', ALPNProtocols: ['h2'] });
    await new Promise<void>((r) => h2.once('secureConnect', () => r()));
    expect((await exchange(h2, Buffer.from('hello'), 'hello')).toString()).toBe('hello');
    expect(stats.counter('metadata_exchange.alpn_protocol_not_found').value).toBe(2);
  });
});
