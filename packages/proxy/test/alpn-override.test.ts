// istio.alpn applied end to end: the ALPN list a real upstream TLS server sees offered in the
// ClientHello (recorded with ALPNCallback) is istiod's override for mesh clusters and the cluster's
// own alpn_protocols when its metadata says `istio.alpn_override: "false"`; and a host's pools are
// keyed by the list, so streams with different overrides never share a TLS connection.
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceManager } from '../src/upstream/circuit-breaker.js';
import { createHostPools, type PoolKey } from '../src/upstream/conn-pool.js';
import { routeConfig, startRouterProxy, type RouterProxy } from './fixtures/router-proxy.js';

const UPSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const ALPN_FILTER = {
  name: 'istio.alpn',
  typed_config: {
    '@type': 'type.googleapis.com/istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig',
    alpn_override: [
      { upstream_protocol: 'HTTP10', alpn_override: ['istio-http/1.0', 'istio', 'http/1.0'] },
      { upstream_protocol: 'HTTP11', alpn_override: ['istio-http/1.1', 'istio', 'http/1.1'] },
      { upstream_protocol: 'HTTP2', alpn_override: ['istio-h2', 'istio', 'h2'] },
    ],
  },
};

/** What a TLS upstream saw: each ClientHello's ALPN offer, and per request the protocol chosen on its connection. */
interface TlsUpstream {
  readonly port: number;
  readonly offers: string[][];
  close(): Promise<void>;
}

async function listen(server: tls.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

/**
 * An HTTP/1.1 upstream over TLS that picks the FIRST protocol offered, so a request's
 * `socket.alpnProtocol` (sent back in `x-alpn`) tells which offer its connection was made with.
 */
async function h1Upstream(leaf: KeyPair, onRequest?: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<TlsUpstream> {
  const offers: string[][] = [];
  const server = https.createServer(
    {
      cert: leaf.cert,
      key: leaf.key,
      ALPNCallback: ({ protocols }: { protocols: string[] }) => {
        offers.push(protocols);
        return protocols[0];
      },
    },
    (req, res) => {
      const alpn = (req.socket as tls.TLSSocket).alpnProtocol || 'none';
      res.setHeader('x-alpn', alpn);
      if (onRequest) onRequest(req, res);
      else res.end('ok');
    },
  );
  const port = await listen(server);
  return { port, offers, close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))) };
}

/** An HTTP/2 upstream over TLS: a TLS server that chooses h2 and hands each connection to an HTTP/2 server. */
async function h2Upstream(leaf: KeyPair): Promise<TlsUpstream> {
  const offers: string[][] = [];
  const h2 = http2.createServer((_req, res) => res.end('ok'));
  const sockets = new Set<tls.TLSSocket>();
  const server = tls.createServer({
    cert: leaf.cert,
    key: leaf.key,
    ALPNCallback: ({ protocols }: { protocols: string[] }) => {
      offers.push(protocols);
      return protocols.includes('h2') ? 'h2' : undefined;
    },
  });
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    h2.emit('connection', socket);
  });
  const port = await listen(server);
  return {
    port,
    offers,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      })
      .on('error', reject);
  });
}

describe.skipIf(!hasOpenssl())('istio.alpn on upstream TLS', () => {
  let pki: TestPki;
  let ca: KeyPair;
  let h1: TlsUpstream;
  let h2: TlsUpstream;
  let proxy: RouterProxy;

  const tlsCluster = (name: string, port: number, alpn: string[], extra: object = {}) => ({
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
    transport_socket: {
      name: 'envoy.transport_sockets.tls',
      typed_config: { '@type': UPSTREAM_TLS, sni: 'upstream.example.com', common_tls_context: { alpn_protocols: alpn, validation_context: { trusted_ca: { filename: ca.certPath } } } },
    },
    ...extra,
  });

  beforeAll(async () => {
    pki = new TestPki();
    ca = pki.ca('ALPN Test CA');
    const leaf = pki.leaf(ca, 'upstream.example.com');
    h1 = await h1Upstream(leaf);
    h2 = await h2Upstream(leaf);
    const h2Options = { typed_extension_protocol_options: { [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, explicit_http_config: { http2_protocol_options: {} } } } };
    const nonMesh = { metadata: { filter_metadata: { istio: { alpn_override: 'false' } } } };
    proxy = await startRouterProxy({
      clusters: {},
      rawClusters: [tlsCluster('mesh_h1', h1.port, ['own-h1', 'http/1.1']), tlsCluster('external_h1', h1.port, ['own-h1', 'http/1.1'], nonMesh), tlsCluster('mesh_h2', h2.port, ['h2'], h2Options)],
      routeConfig: routeConfig([
        { match: { prefix: '/mesh-h1' }, route: { cluster: 'mesh_h1' } },
        { match: { prefix: '/external-h1' }, route: { cluster: 'external_h1' } },
        { match: { prefix: '/mesh-h2' }, route: { cluster: 'mesh_h2' } },
      ]),
      filters: [ALPN_FILTER],
    });
  });

  afterAll(async () => {
    await proxy?.stop();
    await h1?.close();
    await h2?.close();
    pki?.dispose();
  });

  it("offers istiod's HTTP/1.1 list to a mesh cluster instead of its own alpn_protocols", async () => {
    const before = h1.offers.length;
    expect(await get(proxy.port, '/mesh-h1')).toMatchObject({ status: 200 });
    expect(h1.offers.slice(before)).toEqual([['istio-http/1.1', 'istio', 'http/1.1']]);
  });

  it('keeps the cluster\'s own alpn_protocols when its metadata says istio.alpn_override: "false"', async () => {
    const before = h1.offers.length;
    expect(await get(proxy.port, '/external-h1')).toMatchObject({ status: 200 });
    expect(h1.offers.slice(before)).toEqual([['own-h1', 'http/1.1']]);
  });

  it("offers istiod's HTTP/2 list to an HTTP/2 cluster, which still speaks HTTP/2", async () => {
    const before = h2.offers.length;
    expect(await get(proxy.port, '/mesh-h2')).toEqual({ status: 200, body: 'ok' });
    expect(h2.offers.slice(before)).toEqual([['istio-h2', 'istio', 'h2']]);
  });
});

describe.skipIf(!hasOpenssl())('a host\'s pools keyed by ALPN list', () => {
  let pki: TestPki;
  let ca: KeyPair;

  beforeAll(() => {
    pki = new TestPki();
    ca = pki.ca('Pool Key CA');
  });

  afterAll(() => pki?.dispose());

  it('never lets streams with different ALPN lists share a TLS connection, and reuses one per list', async () => {
    const held: http.ServerResponse[] = [];
    const sockets = new Map<http.ServerResponse, tls.TLSSocket>();
    const up = await h1Upstream(pki.leaf(ca, 'pool.example.com'), (req, res) => {
      sockets.set(res, req.socket as tls.TLSSocket);
      held.push(res);
    });
    const limits = { connectTimeoutMs: 1000, resources: new ResourceManager({ maxConnections: 100, maxPendingRequests: 100, maxRequests: 100, maxRetries: 3 }) };
    const transport = { kind: 'tls' as const, options: { ca: ca.cert, servername: 'pool.example.com', ALPNProtocols: ['own', 'http/1.1'] } };
    const pools = createHostPools('http1', '127.0.0.1', up.port, limits, transport);
    const send = (key: PoolKey) =>
      pools.for(key).request({ method: 'GET', path: '/', authority: 'pool.example.com', headers: {} }, undefined, new AbortController().signal).then((r) => {
        r.body.resume();
        return r.headers['x-alpn'];
      });
    try {
      // Three streams in flight at once: the cluster's own list and two overrides.
      const answers = [send({ priority: 'DEFAULT' }), send({ priority: 'DEFAULT', alpn: ['list-a', 'http/1.1'] }), send({ priority: 'DEFAULT', alpn: ['list-b', 'http/1.1'] })];
      await expect.poll(() => held.length, { timeout: 5000 }).toBe(3);
      expect(new Set(held.map((r) => sockets.get(r))).size).toBe(3);
      expect(held.map((r) => sockets.get(r)!.alpnProtocol).sort()).toEqual(['list-a', 'list-b', 'own']);
      expect([...up.offers].sort()).toEqual([
        ['list-a', 'http/1.1'],
        ['list-b', 'http/1.1'],
        ['own', 'http/1.1'],
      ]);
      for (const r of held.splice(0)) r.end('ok');
      expect((await Promise.all(answers)).sort()).toEqual(['list-a', 'list-b', 'own']);
      // The same list again goes to that list's pool (its own connection, or a new one with the same offer).
      const again = send({ priority: 'DEFAULT', alpn: ['list-a', 'http/1.1'] });
      await expect.poll(() => held.length, { timeout: 5000 }).toBe(1);
      held.splice(0)[0]!.end('ok');
      expect(await again).toBe('list-a');
      expect(pools.for({ priority: 'DEFAULT', alpn: ['list-a', 'http/1.1'] })).toBe(pools.for({ priority: 'DEFAULT', alpn: ['list-a', 'http/1.1'] }));
    } finally {
      pools.close();
      await up.close();
    }
  });

  it('shares one pool per priority when the transport is plaintext (nothing negotiates ALPN)', () => {
    const limits = { connectTimeoutMs: 1000, resources: new ResourceManager({ maxConnections: 1, maxPendingRequests: 1, maxRequests: 1, maxRetries: 1 }) };
    const pools = createHostPools('http1', '127.0.0.1', 1, limits);
    expect(pools.for({ priority: 'DEFAULT', alpn: ['x'] })).toBe(pools.for({ priority: 'DEFAULT' }));
    expect(pools.for({ priority: 'HIGH' })).not.toBe(pools.for({ priority: 'DEFAULT' }));
    pools.close();
  });
});
