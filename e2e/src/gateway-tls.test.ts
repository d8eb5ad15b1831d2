// Story: TLS termination at the ingress gateway, configured only by Istio YAML — an HTTPS server
// (mode SIMPLE, certificate files) serving HTTP/1.1 and HTTP/2 (ALPN) for web.example.com, an HTTP
// server on the same hosts redirecting to https (httpsRedirect), and what a wrong SNI or Host meets.
import http2 from 'node:http2';
import https from 'node:https';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gatewayClient, type GatewayClient } from './gateway-client.js';
import { freePort, startGateway, type Gateway } from './gateway-fixture.js';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';
import { httpUpstream, type HttpUpstream } from './upstreams.js';

function config(ports: { https: number; http: number }, upstream: number, cert: KeyPair): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: web, namespace: default}
spec:
  hosts: [web.default.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
  - {address: 127.0.0.1, ports: {http: ${upstream}}}
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: tls-gateway, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${ports.https}, name: https, protocol: HTTPS}
    bind: 127.0.0.1
    hosts: [web.example.com]
    tls: {mode: SIMPLE, serverCertificate: ${cert.certPath}, privateKey: ${cert.keyPath}}
  - port: {number: ${ports.http}, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: [web.example.com]
    tls: {httpsRedirect: true}
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web, namespace: default}
spec:
  hosts: [web.example.com]
  gateways: [tls-gateway]
  http:
  - route: [{destination: {host: web.default.svc.cluster.local}}]
`;
}

interface TlsReply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly alpn: string | false | null;
}

const pki = hasOpenssl() ? new TestPki() : undefined;
let ca: KeyPair;
let gateway: Gateway | undefined;
let upstream: HttpUpstream;
let plain: GatewayClient;
let ports = { https: 0, http: 0 };

/** One HTTPS/1.1 request on a fresh connection, trusting only the test CA. */
function httpsGet(path: string, options: { servername?: string; host?: string } = {}): Promise<TlsReply> {
  // ALPN offered explicitly, so the test sees the server choose http/1.1 rather than no protocol.
  const request: https.RequestOptions & tls.ConnectionOptions = { host: '127.0.0.1', port: ports.https, path, servername: options.servername ?? 'web.example.com', headers: { host: options.host ?? 'web.example.com' }, ca: ca.cert, agent: false, ALPNProtocols: ['http/1.1'] };
  return new Promise((resolve, reject) => {
    const req = https.request(
      request,
      (res) => {
        let body = '';
        const alpn = (res.socket as tls.TLSSocket).alpnProtocol;
        res.setEncoding('utf8').on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, alpn }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/** One HTTP/2 request over TLS, the protocol chosen by ALPN. */
function h2Get(path: string): Promise<TlsReply> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`https://127.0.0.1:${ports.https}`, { ca: ca.cert, servername: 'web.example.com' });
    session.on('error', reject);
    const stream = session.request({ ':path': path, ':authority': 'web.example.com' });
    let status = 0;
    let headers: Record<string, string | string[] | undefined> = {};
    let body = '';
    stream.on('response', (h) => {
      status = Number(h[':status']);
      headers = h as Record<string, string | string[] | undefined>;
    });
    stream.setEncoding('utf8').on('data', (d: string) => (body += d));
    stream.on('end', () => {
      const alpn = session.alpnProtocol ?? null;
      session.close();
      resolve({ status, headers, body, alpn });
    });
    stream.on('error', reject);
  });
}

/** A TLS handshake alone; resolves with the negotiated protocol or the error that ended it. */
function handshake(servername: string): Promise<{ ok: true; alpn: string | false | null } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port: ports.https, servername, ca: ca.cert, ALPNProtocols: ['h2', 'http/1.1'] });
    s.once('secureConnect', () => {
      resolve({ ok: true, alpn: s.alpnProtocol });
      s.destroy();
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve({ ok: false, error: e.code ?? e.message }));
    s.once('close', () => resolve({ ok: false, error: 'closed' }));
  });
}

beforeAll(async () => {
  if (!pki) return;
  ca = pki.ca('Weft e2e CA');
  const cert = pki.leaf(ca, 'web.example.com');
  upstream = await httpUpstream('web');
  ports = { https: await freePort(), http: await freePort() };
  plain = gatewayClient(ports.http);
  gateway = await startGateway({
    story: 'tls',
    config: config(ports, upstream.port, cert),
    ready: async () => {
      try {
        return (await httpsGet('/ready')).headers['x-upstream'] === 'web';
      } catch {
        return false;
      }
    },
  });
}, 60_000);

afterAll(async () => {
  plain?.close();
  await gateway?.stop();
  await upstream?.close();
  pki?.dispose();
});

describe.skipIf(!pki)('gateway TLS termination', () => {
  it('serves HTTPS/1.1 for web.example.com with the configured certificate', async () => {
    const r = await httpsGet('/hello');
    expect(r.status).toBe(200);
    expect(r.alpn).toBe('http/1.1');
    expect(r.headers['x-upstream']).toBe('web');
    const seen = JSON.parse(r.body) as { path: string; headers: Record<string, string> };
    expect(seen.path).toBe('/hello');
    // The proxy terminated TLS: the upstream hears plain HTTP, told the client came over https.
    expect(seen.headers['x-forwarded-proto']).toBe('https');
  });

  it('negotiates h2 over ALPN and serves HTTP/2', async () => {
    const r = await h2Get('/h2');
    expect(r.alpn).toBe('h2');
    expect(r.status).toBe(200);
    expect(r.headers['x-upstream']).toBe('web');
    expect((JSON.parse(r.body) as { path: string }).path).toBe('/h2');
  });

  it('offers h2 first to a client that speaks both', async () => {
    expect(await handshake('web.example.com')).toEqual({ ok: true, alpn: 'h2' });
  });

  it('redirects plain HTTP to https with 301 (httpsRedirect)', async () => {
    const seen = upstream.seen.length;
    const r = await plain.send('HTTP/1.1', { path: '/somewhere?q=1' });
    expect(r.status).toBe(301);
    expect(r.headers['location']).toBe('https://web.example.com/somewhere?q=1');
    expect(upstream.seen.length).toBe(seen);
  });

  it('refuses the handshake for an SNI the server does not serve (filter chain matches web.example.com only)', async () => {
    const r = await handshake('other.example.com');
    expect(r.ok).toBe(false);
  });

  it('answers 404 to a Host without a virtual host behind the right SNI', async () => {
    const seen = upstream.seen.length;
    const r = await httpsGet('/hello', { host: 'other.example.com' });
    expect(r.status).toBe(404);
    expect(upstream.seen.length).toBe(seen);
  });
});
