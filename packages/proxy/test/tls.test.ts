// TLS end to end through a real ProxyServer: downstream termination (HTTP/1.1 and HTTP/2 by ALPN),
// SNI chain selection with per-chain certificates, mTLS, TLS passthrough by SNI with tcp_proxy,
// upstream TLS (trusted CA, SAN, HTTP/2), SDS-named contexts, and garbage on a TLS listener.
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import tls from 'node:tls';
import { loadProtoRegistry } from '@weft/api';
import { silentLogger } from '@weft/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBootstrap, ProxyServer } from '../src/index.js';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const TCP_PROXY = 'type.googleapis.com/envoy.extensions.filters.network.tcp_proxy.v3.TcpProxy';
const DOWNSTREAM = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const HTTP_OPTIONS = 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const TLS_INSPECTOR = 'type.googleapis.com/envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector';

const registry = loadProtoRegistry();

function hcm(statPrefix: string, routes: object[]): object {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM,
      stat_prefix: statPrefix,
      route_config: { name: statPrefix, virtual_hosts: [{ name: 'all', domains: ['*'], routes }] },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
    },
  };
}

function route(prefix: string, cluster: string, chain?: string): object {
  return { match: { prefix }, route: { cluster }, ...(chain ? { request_headers_to_add: [{ header: { key: 'x-chain', value: chain } }] } : {}) };
}

/** The chain's server certificate: the chain from its file, the key inline (both DataSource forms). */
function downstreamTls(leaf: KeyPair, extra: object = {}, common: object = {}): object {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': DOWNSTREAM,
      common_tls_context: { tls_certificates: [{ certificate_chain: { filename: leaf.certPath }, private_key: { inline_string: leaf.key } }], alpn_protocols: ['h2', 'http/1.1'], ...common },
      ...extra,
    },
  };
}

function staticCluster(name: string, port: number, extra: object = {}): object {
  return {
    name,
    type: 'STATIC',
    connect_timeout: '1s',
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
    ...extra,
  };
}

function upstreamTls(context: object): object {
  return { transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': UPSTREAM, ...context } } };
}

const h2Options = { typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': HTTP_OPTIONS, explicit_http_config: { http2_protocol_options: {} } } } };

function listener(name: string, extra: object): object {
  return { name, address: { socket_address: { address: '127.0.0.1', port_value: 0 } }, ...extra };
}

function bootstrapOf(resources: object): ReturnType<typeof parseBootstrap> {
  return parseBootstrap(registry, JSON.stringify({ node: { id: 'tls-test', cluster: 'test' }, static_resources: resources }), 'tls-test.json');
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

interface Reply {
  status: number;
  body: string;
  peerCn?: string;
  alpn?: string | false | null;
}

type RequestOptions = https.RequestOptions & Pick<tls.ConnectionOptions, 'ALPNProtocols'> & { secure?: boolean };

function request(port: number, path: string, options: RequestOptions = {}): Promise<Reply> {
  const { secure, ...rest } = options;
  return new Promise((resolve, reject) => {
    const req = (secure ? https : http).request({ host: '127.0.0.1', port, path, agent: false, ...rest }, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const peerCn = secure ? String(socket.getPeerCertificate().subject?.CN ?? '') : undefined;
      const alpn = secure ? socket.alpnProtocol : undefined;
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ...(peerCn !== undefined ? { peerCn } : {}), ...(alpn !== undefined ? { alpn } : {}) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function h2Request(port: number, servername: string, ca: string, path = '/'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${port}`, { ca, servername });
    session.on('error', reject);
    const stream = session.request({ ':path': path, ':authority': servername });
    let status = 0;
    let body = '';
    stream.on('response', (h) => (status = Number(h[':status'])));
    stream.setEncoding('utf8').on('data', (d: string) => (body += d));
    stream.on('end', () => {
      const alpn = (session.socket as tls.TLSSocket).alpnProtocol;
      session.close();
      resolve({ status, body, alpn });
    });
    stream.on('error', reject);
  });
}

/** Sends raw bytes and resolves with what came back once the proxy closed the connection. */
function closedAfter(port: number, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(bytes));
    const got: Buffer[] = [];
    const timer = setTimeout(() => reject(new Error('the proxy kept the connection open')), 3000);
    s.on('data', (d: Buffer) => got.push(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got));
    });
  });
}

describe.skipIf(!hasOpenssl())('TLS through weft-proxy', () => {
  let pki: TestPki | undefined;
  let ca: KeyPair, otherCa: KeyPair, certA: KeyPair, certB: KeyPair, upstreamCert: KeyPair, client: KeyPair, strangerClient: KeyPair;
  let plain: http.Server, secureUpstream: http2.Http2SecureServer;
  let proxy: ProxyServer;
  const port = { plain: 0, secure: 0, https: 0, mtls: 0, outbound: 0 };

  beforeAll(async () => {
    const p = (pki = new TestPki());
    ca = p.ca('Weft Test CA');
    otherCa = p.ca('Some Other CA');
    certA = p.leaf(ca, 'a.example.com');
    certB = p.leaf(ca, 'b.example.com');
    upstreamCert = p.leaf(ca, 'upstream.example.com', ['upstream.example.com', 'pass.example.com']);
    client = p.leaf(ca, 'client.example.com', ['spiffe://cluster.local/ns/default/sa/client']);
    strangerClient = p.leaf(otherCa, 'stranger.example.com');

    plain = http.createServer((req, res) => res.end(JSON.stringify({ upstream: 'plain', chain: req.headers['x-chain'] ?? null })));
    port.plain = await listen(plain);
    secureUpstream = http2.createSecureServer({ cert: upstreamCert.cert, key: upstreamCert.key, allowHTTP1: true }, (req, res) => {
      const socket = req.socket as tls.TLSSocket;
      res.end(JSON.stringify({ upstream: 'secure', version: req.httpVersion, sni: socket.servername || null }));
    });
    port.secure = await listen(secureUpstream);

    // No ADS here: the secret never arrives, so the cluster's warming ends at its initial fetch timeout.
    const sdsSecret = { name: 'default', sds_config: { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: '0.05s' } };
    const trusted = (c: KeyPair, sans: string[] = ['upstream.example.com']) => ({ trusted_ca: { filename: c.certPath }, match_subject_alt_names: sans.map((exact) => ({ exact })) });
    const bootstrap = bootstrapOf({
      clusters: [
        staticCluster('plain', port.plain),
        staticCluster('pass_upstream', port.secure),
        staticCluster('tls_good', port.secure, upstreamTls({ sni: 'upstream.example.com', common_tls_context: { validation_context: trusted(ca) } })),
        staticCluster('tls_good_h2', port.secure, { ...h2Options, ...upstreamTls({ sni: 'upstream.example.com', common_tls_context: { alpn_protocols: ['h2'], validation_context: trusted(ca) } }) }),
        staticCluster('tls_wrong_ca', port.secure, upstreamTls({ sni: 'upstream.example.com', common_tls_context: { validation_context: trusted(otherCa) } })),
        staticCluster('tls_wrong_san', port.secure, upstreamTls({ common_tls_context: { validation_context: trusted(ca, ['elsewhere.example.com']) } })),
        // Pilot's ISTIO_MUTUAL shape: accepted (no NACK); without its secret every handshake fails, 503 UF.
        staticCluster('tls_sds', port.secure, upstreamTls({ common_tls_context: { tls_certificate_sds_secret_configs: [sdsSecret] } })),
      ],
      listeners: [
        listener('https', {
          listener_filters: [{ name: 'envoy.filters.listener.tls_inspector', typed_config: { '@type': TLS_INSPECTOR } }],
          listener_filters_timeout: '1s',
          filter_chains: [
            { filter_chain_match: { server_names: ['a.example.com'] }, filters: [hcm('https_a', [route('/', 'plain', 'a')])], transport_socket: downstreamTls(certA) },
            { filter_chain_match: { server_names: ['b.example.com'] }, filters: [hcm('https_b', [route('/', 'plain', 'b')])], transport_socket: downstreamTls(certB) },
            { filter_chain_match: { server_names: ['pass.example.com'] }, filters: [{ name: 'envoy.filters.network.tcp_proxy', typed_config: { '@type': TCP_PROXY, stat_prefix: 'pass', cluster: 'pass_upstream' } }] },
          ],
        }),
        listener('mtls', {
          filter_chains: [
            {
              filters: [hcm('mtls', [route('/', 'plain', 'mtls')])],
              transport_socket: downstreamTls(certA, { require_client_certificate: true }, { validation_context: { trusted_ca: { filename: ca.certPath }, match_typed_subject_alt_names: [{ san_type: 'URI', matcher: { prefix: 'spiffe://cluster.local/' } }] } }),
            },
          ],
        }),
        listener('outbound', {
          filter_chains: [
            {
              filters: [
                hcm('outbound', [
                  route('/good', 'tls_good'),
                  route('/h2', 'tls_good_h2'),
                  route('/wrongca', 'tls_wrong_ca'),
                  route('/wrongsan', 'tls_wrong_san'),
                  route('/sds', 'tls_sds'),
                ]),
              ],
            },
          ],
        }),
      ],
    });
    if (!bootstrap.ok) throw bootstrap.error;
    proxy = new ProxyServer({ bootstrap: bootstrap.value, registry, logger: silentLogger(), drainTimeS: 1, onQuit: () => undefined });
    await proxy.start();
    for (const name of ['https', 'mtls', 'outbound'] as const) port[name] = Number(proxy.listeners.boundAddress(name)?.split(':').pop());
    // tls_sds warms until its secret's initial fetch timeout (no ADS here).
    while (proxy.clusters.warming().length > 0) await new Promise((r) => setTimeout(r, 10));
  });

  afterAll(async () => {
    await proxy?.stop();
    plain?.close();
    secureUpstream?.close();
    pki?.dispose();
  });

  const counter = (name: string) => proxy.stats.counter(name).value;

  it('terminates HTTPS with the chain certificate and forwards to a plain HTTP upstream', async () => {
    const r = await request(port.https, '/hello', { secure: true, servername: 'a.example.com', ca: ca.cert, ALPNProtocols: ['http/1.1'] });
    expect(r).toMatchObject({ status: 200, peerCn: 'a.example.com', alpn: 'http/1.1' });
    expect(JSON.parse(r.body)).toEqual({ upstream: 'plain', chain: 'a' });
  });

  it.each<[string, string[] | undefined]>([
    ['offers no ALPN', undefined],
    ['offers only protocols the chain does not speak', ['istio']],
  ])('serves HTTP/1.1 without ALPN to a client that %s (as BoringSSL does)', async (_name, alpn) => {
    const r = await request(port.https, '/', { secure: true, servername: 'a.example.com', ca: ca.cert, ...(alpn ? { ALPNProtocols: alpn } : {}) });
    expect(r).toMatchObject({ status: 200, alpn: false });
  });

  it('speaks HTTP/2 when ALPN chooses h2', async () => {
    const r = await h2Request(port.https, 'a.example.com', ca.cert);
    expect(r).toMatchObject({ status: 200, alpn: 'h2' });
    expect(JSON.parse(r.body)).toEqual({ upstream: 'plain', chain: 'a' });
  });

  it.each([
    ['a.example.com', 'a'],
    ['b.example.com', 'b'],
  ])('selects the chain by SNI %s: its certificate and its routes', async (sni, chain) => {
    const r = await request(port.https, '/', { secure: true, servername: sni, ca: ca.cert });
    expect(r.peerCn).toBe(sni);
    expect(JSON.parse(r.body)).toEqual({ upstream: 'plain', chain });
  });

  it('passes TLS through untouched to the upstream chosen by SNI (tcp_proxy)', async () => {
    const r = await request(port.https, '/through', { secure: true, servername: 'pass.example.com', ca: ca.cert });
    // The certificate is the upstream's own: the proxy never terminated this connection.
    expect(r.peerCn).toBe('upstream.example.com');
    expect(JSON.parse(r.body)).toEqual({ upstream: 'secure', version: '1.1', sni: 'pass.example.com' });
  });

  it('closes a connection whose SNI matches no chain, and counts the failed handshakes of the others', async () => {
    await expect(request(port.https, '/', { secure: true, servername: 'c.example.com', ca: ca.cert })).rejects.toThrow();
    expect(counter('listener.https.no_filter_chain_match')).toBeGreaterThan(0);
    const before = counter('listener.https.ssl.connection_error');
    // This client trusts another CA, so it aborts the handshake: only that connection is lost.
    await expect(request(port.https, '/', { secure: true, servername: 'a.example.com', ca: otherCa.cert })).rejects.toThrow();
    await new Promise((r) => setTimeout(r, 50));
    expect(counter('listener.https.ssl.connection_error')).toBe(before + 1);
    expect((await request(port.https, '/', { secure: true, servername: 'a.example.com', ca: ca.cert })).status).toBe(200);
  });

  it.each<[string, Buffer]>([
    ['plain HTTP', Buffer.from('GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n')],
    ['a malformed ClientHello', Buffer.from([0x16, 3, 1, 0, 6, 1, 0, 0, 2, 3, 3])],
    ['a ClientHello over the 64 KiB limit', Buffer.from([0x16, 3, 1, 0, 4, 1, 0xff, 0xff, 0xff])],
    ['random bytes', Buffer.from('8f3a0c1e77d2b4a9e60f1c2d3b4a5968778695a4b3c2d1e0', 'hex')],
  ])('closes only the connection that sends %s to the TLS listener', async (_name, bytes) => {
    expect((await closedAfter(port.https, bytes)).length).toBe(0);
    expect((await request(port.https, '/', { secure: true, servername: 'b.example.com', ca: ca.cert })).status).toBe(200);
  });

  it('survives clients that reset before, during and after the handshake, on every listener', async () => {
    const resetAfter = (p: number, first?: Buffer) =>
      new Promise<void>((r) => {
        const s = net.connect({ host: '127.0.0.1', port: p }, () => {
          if (first) s.write(first);
          setTimeout(() => r(void s.resetAndDestroy()), 20);
        });
        s.on('error', () => undefined);
      });
    const resetAfterHandshake = (p: number) =>
      new Promise<void>((r) => {
        const raw = net.connect({ host: '127.0.0.1', port: p });
        raw.on('error', () => undefined);
        const s = tls.connect({ socket: raw, servername: 'a.example.com', ca: ca.cert, cert: client.cert, key: client.key }, () => {
          setTimeout(() => r(void raw.resetAndDestroy()), 20);
        });
        s.on('error', () => r());
      });
    for (const p of [port.https, port.mtls, port.outbound]) {
      await resetAfter(p);
      await resetAfter(p, Buffer.from([0x16, 3, 1]));
      await resetAfter(p, Buffer.from('GET / HTTP/1.1\r\n'));
    }
    await resetAfterHandshake(port.https);
    await resetAfterHandshake(port.mtls);
    await new Promise((r) => setTimeout(r, 100));
    expect((await request(port.https, '/', { secure: true, servername: 'a.example.com', ca: ca.cert })).status).toBe(200);
    expect((await request(port.outbound, '/good')).status).toBe(200);
  });

  it('counts what the TLS inspector saw', () => {
    expect(counter('tls_inspector.tls_found')).toBeGreaterThan(0);
    expect(counter('tls_inspector.sni_found')).toBeGreaterThan(0);
    expect(counter('tls_inspector.alpn_found')).toBeGreaterThan(0);
    expect(counter('tls_inspector.tls_not_found')).toBeGreaterThan(0);
    expect(counter('tls_inspector.client_hello_too_large')).toBeGreaterThan(0);
  });

  describe('mutual TLS (require_client_certificate)', () => {
    it('serves a client with a certificate from the trusted CA and a matching SAN', async () => {
      const r = await request(port.mtls, '/', { secure: true, servername: 'a.example.com', ca: ca.cert, cert: client.cert, key: client.key });
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ upstream: 'plain', chain: 'mtls' });
    });

    it.each<[string, () => https.RequestOptions]>([
      ['no certificate', () => ({})],
      ['a certificate from another CA', () => ({ cert: strangerClient.cert, key: strangerClient.key })],
      ['a trusted certificate without the required URI SAN', () => ({ cert: certB.cert, key: certB.key })],
    ])('refuses a client with %s', async (_name, creds) => {
      const before = counter('listener.mtls.ssl.connection_error');
      await expect(request(port.mtls, '/', { secure: true, servername: 'a.example.com', ca: ca.cert, ...creds() })).rejects.toThrow();
      await new Promise((r) => setTimeout(r, 50));
      expect(counter('listener.mtls.ssl.connection_error')).toBe(before + 1);
    });
  });

  describe('upstream TLS (UpstreamTlsContext)', () => {
    it('connects with SNI, verifying the CA and the SAN', async () => {
      const r = await request(port.outbound, '/good');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ upstream: 'secure', version: '1.1', sni: 'upstream.example.com' });
    });

    it('speaks HTTP/2 over TLS to an HTTP/2 cluster', async () => {
      const r = await request(port.outbound, '/h2');
      expect(r.status).toBe(200);
      expect(JSON.parse(r.body)).toEqual({ upstream: 'secure', version: '2.0', sni: 'upstream.example.com' });
    });

    it.each([
      ['/wrongca', 'tls_wrong_ca', 'the server certificate is from an untrusted CA'],
      ['/wrongsan', 'tls_wrong_san', 'no SAN matches'],
      ['/sds', 'tls_sds', 'its SDS secret never arrived'],
    ])('answers 503 UF for %s (%s: %s)', async (path, cluster) => {
      const r = await request(port.outbound, path);
      expect(r.status).toBe(503);
      expect(r.body).toContain('reset reason: connection failure');
      expect(counter(`cluster.${cluster}.upstream_cx_connect_fail`)).toBeGreaterThan(0);
    });
  });
});

describe.skipIf(!hasOpenssl())('TLS configuration the proxy refuses', () => {
  it('binds a listener whose SDS certificate never arrives at its initial fetch timeout, closing and counting that chain\'s connections', async () => {
    const bootstrap = bootstrapOf({
      listeners: [
        listener('gateway', {
          filter_chains: [
            {
              filters: [hcm('gw', [{ match: { prefix: '/' }, direct_response: { status: 200 } }])],
              transport_socket: {
                name: 'envoy.transport_sockets.tls',
                typed_config: { '@type': DOWNSTREAM, common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'weather-credential', sds_config: { ads: {}, resource_api_version: 'V3', initial_fetch_timeout: '0.05s' } }] } },
              },
            },
          ],
        }),
      ],
    });
    if (!bootstrap.ok) throw bootstrap.error;
    const proxy = new ProxyServer({ bootstrap: bootstrap.value, registry, logger: silentLogger(), drainTimeS: 1, onQuit: () => undefined });
    await proxy.start();
    try {
      await expect.poll(() => proxy.listeners.boundAddress('gateway')).toBeDefined();
      const [host, port] = proxy.listeners.boundAddress('gateway')!.split(':');
      const closed = await new Promise<boolean>((resolve) => {
        const s = net.connect(Number(port), host, () => s.write('hello'));
        s.on('error', () => undefined);
        s.on('close', () => resolve(true));
      });
      expect(closed).toBe(true);
      await expect.poll(() => proxy.stats.counter('listener.gateway.ssl.connection_error').value).toBe(1);
    } finally {
      await proxy.stop();
    }
  });

  it('NACKs a listener whose certificate file cannot be read', async () => {
    const bootstrap = bootstrapOf({
      listeners: [
        listener('broken', {
          filter_chains: [
            {
              filters: [hcm('broken', [{ match: { prefix: '/' }, direct_response: { status: 200 } }])],
              transport_socket: {
                name: 'envoy.transport_sockets.tls',
                typed_config: { '@type': DOWNSTREAM, common_tls_context: { tls_certificates: [{ certificate_chain: { filename: '/nonexistent/cert.pem' }, private_key: { filename: '/nonexistent/key.pem' } }] } },
              },
            },
          ],
        }),
      ],
    });
    if (!bootstrap.ok) throw bootstrap.error;
    const proxy = new ProxyServer({ bootstrap: bootstrap.value, registry, logger: silentLogger(), drainTimeS: 1, onQuit: () => undefined });
    await expect(proxy.start()).rejects.toThrow(/tls_certificates\[0\]\.certificate_chain\.filename: cannot read \/nonexistent\/cert\.pem: ENOENT/);
  });
});
