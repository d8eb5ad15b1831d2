// istio.metadata_exchange as a cluster's upstream network filter, through a real ProxyServer: a
// tcp_proxy listener to a cluster with the filter and istiod's UpstreamTlsContext (ALPN
// [istio-peer-exchange, istio]) in front of a real node:tls upstream. When the upstream negotiates
// istio-peer-exchange the proxy writes this node's frame first and takes the upstream's frame off
// the stream, so the downstream client sees only the application bytes; with another ALPN (or
// none) nothing is exchanged. A frame that is too large closes the connection; a missing one is
// counted and the bytes pass (cluster.<name>.metadata_exchange.*).
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { loadProtoRegistry } from '@weft/api';
import { hasOpenssl, TestPki } from '@weft/testing';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { metadataExchangeFrame } from '../src/extensions/filters/network/istio-network-filters.js';
import { MX_MAGIC, readMxFrame } from '../src/extensions/filters/network/metadata_exchange/metadata-exchange-filter.js';
import { startBootstrapProxy, type BootedProxy } from './fixtures/router-proxy.js';
import { staticBootstrap, staticCluster, staticListener, tcpProxyFilter } from './fixtures/static-proxy.js';

const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const MX_TYPE = 'type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange';
const NODE_ID = 'sidecar~10.0.0.1~a.default~default.svc.cluster.local';
const registry = loadProtoRegistry();

/** What the upstream answers after reading the proxy's frame. */
type Reply = 'frame' | 'oversized' | 'no-frame';

interface MxUpstream {
  readonly port: number;
  /** Per connection: the negotiated ALPN and every byte the proxy sent. */
  readonly connections: { alpn: string | false; raw: Buffer }[];
  /** The decoded frames the proxy sent (Struct as JSON). */
  readonly peers: Record<string, unknown>[];
}

const closers: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0).reverse()) await c();
});

describe.skipIf(!hasOpenssl())('istio.metadata_exchange in Cluster.filters (tcp_proxy upstream)', () => {
  const pki = new TestPki();
  const ca = pki.ca('mx-upstream-ca');
  const leaf = pki.leaf(ca, 'b.default.svc.cluster.local');
  afterAll(() => pki.dispose());

  /** This upstream's own frame, as a peer sidecar sends it. */
  const upstreamFrame = metadataExchangeFrame(registry, { id: 'sidecar~10.0.0.2~b.default~default.svc.cluster.local', metadata: { fields: { NAME: { string_value: 'b' } } } })!;

  /** A TLS upstream offering `alpn`; on istio-peer-exchange it reads the proxy's frame, answers per `reply`, then echoes. */
  async function mxUpstream(alpn: readonly string[], reply: Reply): Promise<MxUpstream> {
    const connections: MxUpstream['connections'] = [];
    const peers: MxUpstream['peers'] = [];
    const sockets = new Set<net.Socket>();
    const server = tls.createServer({ cert: leaf.cert, key: leaf.key, ...(alpn.length > 0 ? { ALPNProtocols: [...alpn] } : {}) }, (s) => {
      sockets.add(s);
      const conn = { alpn: s.alpnProtocol ?? false, raw: Buffer.alloc(0) };
      connections.push(conn);
      let exchanged = s.alpnProtocol !== 'istio-peer-exchange';
      s.on('error', () => undefined);
      s.on('data', (d: Buffer) => {
        conn.raw = Buffer.concat([conn.raw, d]);
        if (exchanged) return void s.write(d);
        const r = readMxFrame(conn.raw);
        if (r.state === 'need-more') return;
        if (r.state !== 'done') return void s.destroy();
        exchanged = true;
        const any = registry.decode<{ type_url: string; value: Uint8Array }>('google.protobuf.Any', r.payload);
        peers.push(registry.toJson('google.protobuf.Struct', registry.decode('google.protobuf.Struct', any.value)) as Record<string, unknown>);
        if (reply === 'frame') s.write(upstreamFrame);
        if (reply === 'oversized') {
          const header = Buffer.alloc(8);
          header.writeUInt32BE(MX_MAGIC, 0);
          header.writeUInt32BE(1 << 20, 4);
          return void s.write(header);
        }
        if (r.rest.length > 0) s.write(r.rest);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    closers.push(() => {
      for (const s of sockets) s.destroy();
      return new Promise<void>((r) => server.close(() => r()));
    });
    return { port: (server.address() as AddressInfo).port, connections, peers };
  }

  /** A weft-proxy with a tcp_proxy listener to cluster `mx`: istiod's cluster filter and mTLS-style UpstreamTlsContext. */
  async function proxyTo(port: number): Promise<BootedProxy> {
    const filter = { name: 'istio.metadata_exchange', typed_config: { '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct', type_url: MX_TYPE, value: { protocol: 'istio-peer-exchange' } } };
    const transport = {
      name: 'envoy.transport_sockets.tls',
      typed_config: {
        '@type': UPSTREAM_TLS,
        sni: 'b.default.svc.cluster.local',
        common_tls_context: { alpn_protocols: ['istio-peer-exchange', 'istio'], validation_context: { trusted_ca: { filename: ca.certPath } } },
      },
    };
    const cluster = staticCluster('mx', [port], { filters: [filter], transport_socket: transport });
    const bootstrap = { ...staticBootstrap([cluster], [staticListener('tcp', tcpProxyFilter('mx'))]), node: { id: NODE_ID, cluster: 'a', metadata: { NAME: 'a', NAMESPACE: 'default' } } };
    const proxy = await startBootstrapProxy(bootstrap, 'tcp');
    closers.push(() => proxy.stop());
    return proxy;
  }

  /** Writes `send` and collects what comes back until it contains `until` (or the proxy closes). */
  function roundTrip(socket: net.Socket, send: string, until: string): Promise<{ data: string; closed: boolean }> {
    return new Promise((resolve) => {
      let data = '';
      const onData = (d: Buffer) => {
        data += d.toString('latin1');
        if (!data.includes(until)) return;
        socket.off('data', onData).off('close', onClose);
        resolve({ data, closed: false });
      };
      const onClose = () => resolve({ data, closed: true });
      socket.on('data', onData).once('close', onClose);
      socket.write(send);
    });
  }

  async function connect(port: number): Promise<net.Socket> {
    const client = net.connect({ host: '127.0.0.1', port });
    client.on('error', () => undefined);
    closers.push(() => void client.destroy());
    await new Promise<void>((r) => client.once('connect', () => r()));
    return client;
  }

  it('on istio-peer-exchange: sends the node frame, strips the upstream frame, the client gets exactly its echo', async () => {
    const upstream = await mxUpstream(['istio-peer-exchange'], 'frame');
    const proxy = await proxyTo(upstream.port);
    const client = await connect(proxy.port);
    expect(await roundTrip(client, 'ping-1', 'ping-1')).toEqual({ data: 'ping-1', closed: false });
    expect(await roundTrip(client, 'ping-2', 'ping-2')).toEqual({ data: 'ping-2', closed: false });
    expect(upstream.connections.map((c) => c.alpn)).toEqual(['istio-peer-exchange']);
    expect(upstream.peers).toEqual([{ 'x-envoy-peer-metadata': { NAME: 'a', NAMESPACE: 'default' }, 'x-envoy-peer-metadata-id': NODE_ID }]);
    // The proxy's frame came first, then only the application's bytes.
    const sent = readMxFrame(upstream.connections[0]!.raw);
    expect(sent.state === 'done' ? sent.rest.toString() : sent.state).toBe('ping-1ping-2');
    expect(await proxy.stat('cluster.mx.metadata_exchange.alpn_protocol_found')).toBe(1);
    expect(await proxy.stat('cluster.mx.metadata_exchange.metadata_added')).toBe(1);
  });

  it.each([
    ['another ALPN (istio)', ['istio']],
    ['no ALPN', []],
  ])('with %s: no frame either way, the bytes pass untouched', async (_name, alpn) => {
    const upstream = await mxUpstream(alpn, 'frame');
    const proxy = await proxyTo(upstream.port);
    const client = await connect(proxy.port);
    expect(await roundTrip(client, 'ping', 'ping')).toEqual({ data: 'ping', closed: false });
    expect(upstream.connections.map((c) => c.alpn)).toEqual([alpn[0] ?? false]);
    expect(upstream.connections[0]!.raw.toString()).toBe('ping');
    expect(upstream.peers).toEqual([]);
    expect(await proxy.stat('cluster.mx.metadata_exchange.alpn_protocol_not_found')).toBe(1);
  });

  it.each([
    ['sends no frame: counted, its bytes pass', 'no-frame', { data: 'ping', closed: false }, 'initial_header_not_found'],
    ['sends a frame above the bound: the connection is closed', 'oversized', { data: '', closed: true }, 'header_not_found'],
  ] as const)('an upstream that negotiated the exchange and %s', async (_name, reply, answer, stat) => {
    const upstream = await mxUpstream(['istio-peer-exchange'], reply);
    const proxy = await proxyTo(upstream.port);
    const client = await connect(proxy.port);
    expect(await roundTrip(client, 'ping', 'ping')).toEqual(answer);
    expect(upstream.peers).toHaveLength(1);
    expect(await proxy.stat(`cluster.mx.metadata_exchange.${stat}`)).toBe(1);
  });
});
