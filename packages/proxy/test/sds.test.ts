// SDS end to end through a real ProxyServer and a real SecretDiscoveryService on a Unix socket (as
// pilot-agent serves it on Istio's `sds-grpc` cluster): listener warming until the certificate
// arrives, rotation (new handshakes see the new certificate, a live keep-alive connection carries
// on), Istio's `file-cert:<cert>~<key>` names, NACKs of invalid secrets with their path, secrets over
// ADS, transport_socket_matches (mTLS to `tlsMode: istio` endpoints, plaintext to the others), and
// initial_fetch_timeout ending the warming of a listener and of a cluster.
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls from 'node:tls';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRegistry, TypeUrl } from '@weft/api';
import { silentLogger } from '@weft/base';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';
import { createXdsServer, makeResource, Snapshot, SnapshotCache } from '@weft/xds';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBootstrap, ProxyServer } from '../src/index.js';
import { startSdsServer, type SdsTestServer } from './fixtures/sds-server.js';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const DOWNSTREAM = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
const UPSTREAM = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const RAW = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';
const FILE_CERT = 'file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem';

const registry = loadProtoRegistry();
const SDS_GRPC = { api_config_source: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }] }, resource_api_version: 'V3' };

async function until(cond: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function hcm(statPrefix: string, cluster: string): object {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: {
      '@type': HCM,
      stat_prefix: statPrefix,
      route_config: { name: statPrefix, virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster } }] }] },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
    },
  };
}

function sdsListener(name: string, secret: string, cluster: string, sdsConfig: object = SDS_GRPC): object {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [hcm(name, cluster)],
        transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': DOWNSTREAM, common_tls_context: { tls_certificate_sds_secret_configs: [{ name: secret, sds_config: sdsConfig }] } } },
      },
    ],
  };
}

function tlsSecret(k: KeyPair): object {
  return { tls_certificate: { certificate_chain: { inline_string: k.cert }, private_key: { inline_string: k.key } } };
}

function caSecret(ca: KeyPair): object {
  return { validation_context: { trusted_ca: { inline_string: ca.cert } } };
}

/** Pilot's ISTIO_MUTUAL UpstreamTlsContext: the workload certificate and ROOTCA from SDS, the SAN from the DestinationRule. */
function istioMutual(san: string, sdsConfig: object = SDS_GRPC): object {
  return {
    name: 'envoy.transport_sockets.tls',
    typed_config: {
      '@type': UPSTREAM,
      common_tls_context: {
        tls_certificate_sds_secret_configs: [{ name: 'default', sds_config: sdsConfig }],
        combined_validation_context: {
          default_validation_context: { match_subject_alt_names: [{ exact: san }] },
          validation_context_sds_secret_config: { name: 'ROOTCA', sds_config: sdsConfig },
        },
      },
    },
  };
}

function staticCluster(name: string, port: number): object {
  return { name, type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] } };
}

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

interface Reply {
  status: number;
  body: string;
  peerCn: string;
  localPort: number;
}

function get(port: number, ca: string, agent: https.Agent | false = false): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/', ca, servername: 'server.example.com', agent }, (res) => {
      const socket = res.socket as tls.TLSSocket;
      const peerCn = String(socket.getPeerCertificate().subject?.CN ?? '');
      const localPort = socket.localPort ?? 0;
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peerCn, localPort }));
    });
    req.on('error', reject);
    req.end();
  });
}

function plainGet(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: '/', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A TLS handshake to the port: the server certificate's CN, or the error that ended it. */
function handshake(port: number, ca: string): Promise<{ cn?: string; error?: string }> {
  return new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port, ca, servername: 'server.example.com' });
    s.on('secureConnect', () => {
      resolve({ cn: String(s.getPeerCertificate().subject?.CN ?? '') });
      s.destroy();
    });
    s.on('error', (e) => resolve({ error: e.message }));
    s.on('close', () => resolve({ error: 'closed' }));
  });
}

describe.skipIf(!hasOpenssl())('SDS through weft-proxy', () => {
  let pki: TestPki;
  let dir: string;
  let ca: KeyPair, serverV1: KeyPair, serverV2: KeyPair, fileCert: KeyPair, workload: KeyPair, peer: KeyPair;
  let sds: SdsTestServer;
  let plainUpstream: http.Server, mtlsUpstream: https.Server;
  const ports = { plain: 0, mtls: 0 };
  const cleanups: Array<() => Promise<void> | void> = [];

  beforeAll(async () => {
    pki = new TestPki();
    ca = pki.ca('Mesh Root CA');
    serverV1 = pki.leaf(ca, 'server-v1', ['server.example.com']);
    serverV2 = pki.leaf(ca, 'server-v2', ['server.example.com']);
    fileCert = pki.leaf(ca, 'file-cert-server', ['server.example.com']);
    workload = pki.leaf(ca, 'workload', ['spiffe://cluster.local/ns/default/sa/client']);
    peer = pki.leaf(ca, 'peer', ['spiffe://cluster.local/ns/default/sa/reviews']);
    dir = mkdtempSync(join(tmpdir(), 'weft-sds-'));
    sds = await startSdsServer(registry, join(dir, 'SDS'));
    plainUpstream = http.createServer((_req, res) => res.end('plain'));
    ports.plain = await listen(plainUpstream);
    // The mTLS upstream (a sidecar's inbound): requires a client certificate from the mesh CA.
    mtlsUpstream = https.createServer({ cert: peer.cert, key: peer.key, ca: ca.cert, requestCert: true, rejectUnauthorized: true }, (req, res) => {
      const cn = (req.socket as tls.TLSSocket).getPeerCertificate().subject?.CN;
      res.end(`mtls:${String(cn)}`);
    });
    ports.mtls = await listen(mtlsUpstream);
  });

  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
    await sds?.close();
    plainUpstream?.close();
    mtlsUpstream?.close();
    pki?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function startProxy(resources: { clusters?: object[]; listeners?: object[] }, extra: object = {}): Promise<ProxyServer> {
    const sdsCluster = { name: 'sds-grpc', type: 'STATIC', connect_timeout: '1s', http2_protocol_options: {}, load_assignment: { cluster_name: 'sds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: sds.path } } } }] }] } };
    const json = { node: { id: 'sidecar~127.0.0.1~app.default~default.svc.cluster.local', cluster: 'app' }, ...extra, static_resources: { clusters: [sdsCluster, ...(resources.clusters ?? [])], listeners: resources.listeners ?? [] } };
    const bootstrap = parseBootstrap(registry, JSON.stringify(json), 'sds-test.json');
    if (!bootstrap.ok) throw bootstrap.error;
    const proxy = new ProxyServer({ bootstrap: bootstrap.value, registry, logger: silentLogger(), drainTimeS: 1, onQuit: () => undefined });
    cleanups.push(() => proxy.stop());
    await proxy.start();
    return proxy;
  }

  const gauge = (proxy: ProxyServer, name: string) => {
    proxy.refreshGauges();
    return proxy.stats.gauge(name).value;
  };
  const portOf = (proxy: ProxyServer, listener: string) => Number(proxy.listeners.boundAddress(listener)?.split(':').pop());

  it('warms a listener until its SDS certificate arrives, then rotates it for new handshakes only', async () => {
    const proxy = await startProxy({ clusters: [staticCluster('plain', ports.plain)], listeners: [sdsListener('ingress', 'server-cert', 'plain')] });
    await until(() => sds.requestedNames().has('server-cert'), 'the proxy to ask for server-cert');
    // Warming: not bound, counted.
    expect(proxy.listeners.boundAddress('ingress')).toBeUndefined();
    expect(gauge(proxy, 'listener_manager.total_listeners_warming')).toBe(1);

    const v1 = sds.set({ 'server-cert': tlsSecret(serverV1) });
    await until(() => proxy.listeners.boundAddress('ingress') !== undefined, 'the listener to be bound');
    await until(() => sds.acked(v1), 'the ACK of the first secret');
    expect(gauge(proxy, 'listener_manager.total_listeners_warming')).toBe(0);
    const port = portOf(proxy, 'ingress');
    const keepAlive = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const first = await get(port, ca.cert, keepAlive);
    expect(first).toMatchObject({ status: 200, body: 'plain', peerCn: 'server-v1' });

    const v2 = sds.set({ 'server-cert': tlsSecret(serverV2) });
    await until(() => sds.acked(v2), 'the ACK of the rotated secret');
    // A new handshake gets the new certificate.
    expect(await get(port, ca.cert)).toMatchObject({ status: 200, peerCn: 'server-v2' });
    // The live keep-alive connection carries on with the session it made under v1.
    const again = await get(port, ca.cert, keepAlive);
    expect(again).toMatchObject({ status: 200, body: 'plain', peerCn: 'server-v1', localPort: first.localPort });
    keepAlive.destroy();
    expect(proxy.stats.counter('sds.server-cert.update_success').value).toBeGreaterThanOrEqual(2);
  });

  it('NACKs an invalid secret with its path and keeps serving the last good one', async () => {
    const proxy = await startProxy({ clusters: [staticCluster('plain', ports.plain)], listeners: [sdsListener('nack', 'nack-cert', 'plain')] });
    sds.set({ 'nack-cert': tlsSecret(serverV1) });
    await until(() => proxy.listeners.boundAddress('nack') !== undefined, 'the listener to be bound');
    const before = sds.nacks().length;
    sds.set({ 'nack-cert': { tls_certificate: { certificate_chain: { inline_string: 'not a certificate' }, private_key: { inline_string: serverV2.key } } } });
    await until(() => sds.nacks().length > before, 'a NACK');
    const nack = sds.nacks().at(-1)!;
    expect(nack.error_detail?.message).toMatch(/^secret nack-cert\.tls_certificate\.certificate_chain: failed to load certificate chain from <inline>: no PEM certificate/);
    expect(proxy.stats.counter('sds.nack-cert.update_rejected').value).toBe(1);
    expect(await handshake(portOf(proxy, 'nack'), ca.cert)).toEqual({ cn: 'server-v1' });
  });

  it("round-trips Istio's file-cert:<cert>~<key> secret name", async () => {
    const proxy = await startProxy({ clusters: [staticCluster('plain', ports.plain)], listeners: [sdsListener('filecert', FILE_CERT, 'plain')] });
    await until(() => sds.requestedNames().has(FILE_CERT), 'the proxy to ask for the file-cert name');
    sds.set({ [FILE_CERT]: tlsSecret(fileCert) });
    await until(() => proxy.listeners.boundAddress('filecert') !== undefined, 'the listener to be bound');
    expect(await get(portOf(proxy, 'filecert'), ca.cert)).toMatchObject({ status: 200, peerCn: 'file-cert-server' });
  });

  it('uses mTLS to an endpoint labelled tlsMode: istio and plaintext to one without (transport_socket_matches)', async () => {
    const endpoint = (port: number, metadata?: object) => ({ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } }, ...(metadata ? { metadata } : {}) });
    const mixed = {
      name: 'outbound|9080||reviews.default.svc.cluster.local',
      type: 'STATIC',
      connect_timeout: '1s',
      load_assignment: {
        cluster_name: 'reviews',
        endpoints: [{ lb_endpoints: [endpoint(ports.mtls, { filter_metadata: { 'envoy.transport_socket_match': { tlsMode: 'istio' } } }), endpoint(ports.plain)] }],
      },
      transport_socket_matches: [
        { name: 'tlsMode-istio', match: { tlsMode: 'istio' }, transport_socket: istioMutual('spiffe://cluster.local/ns/default/sa/reviews') },
        { name: 'tlsMode-disabled', match: {}, transport_socket: { name: 'envoy.transport_sockets.raw_buffer', typed_config: { '@type': RAW } } },
      ],
    };
    const outbound = { name: 'outbound', address: { socket_address: { address: '127.0.0.1', port_value: 0 } }, filter_chains: [{ filters: [hcm('outbound', mixed.name)] }] };
    sds.set({ default: tlsSecret(workload), ROOTCA: caSecret(ca) });
    const proxy = await startProxy({ clusters: [mixed], listeners: [outbound] });
    await until(() => gauge(proxy, 'cluster_manager.warming_clusters') === 0 && proxy.clusters.get(mixed.name) !== undefined, 'the cluster to warm');
    const port = portOf(proxy, 'outbound');
    const bodies = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await plainGet(port);
      expect(r.status).toBe(200);
      bodies.add(r.body);
    }
    expect(bodies).toEqual(new Set(['mtls:workload', 'plain']));
    expect(proxy.stats.counter(`cluster.${mixed.name}.tlsMode-istio.total_match_count`).value).toBe(1);
    expect(proxy.stats.counter(`cluster.${mixed.name}.tlsMode-disabled.total_match_count`).value).toBe(1);
  });

  it('ends warming at initial_fetch_timeout: the listener binds and fails handshakes, the cluster goes active and fails its requests', async () => {
    const quick = { ...SDS_GRPC, initial_fetch_timeout: '0.2s' };
    const missing = { ...staticCluster('missing-secret', ports.mtls), transport_socket: istioMutual('spiffe://cluster.local/ns/default/sa/reviews', { ...quick }) };
    // The cluster's secrets are named never-* so the SDS server never has them.
    const ctx = (missing.transport_socket as { typed_config: { common_tls_context: { tls_certificate_sds_secret_configs: Array<{ name: string }>; combined_validation_context: { validation_context_sds_secret_config: { name: string } } } } }).typed_config.common_tls_context;
    ctx.tls_certificate_sds_secret_configs[0]!.name = 'never-cert';
    ctx.combined_validation_context.validation_context_sds_secret_config.name = 'never-root';
    const outbound = { name: 'to-missing', address: { socket_address: { address: '127.0.0.1', port_value: 0 } }, filter_chains: [{ filters: [hcm('to_missing', 'missing-secret')] }] };
    const proxy = await startProxy({ clusters: [missing], listeners: [sdsListener('never', 'never-listener-cert', 'missing-secret', quick), outbound] });
    await until(() => proxy.listeners.boundAddress('never') !== undefined, 'the warming to end');
    expect(proxy.stats.counter('sds.never-listener-cert.init_fetch_timeout').value).toBe(1);
    expect(gauge(proxy, 'listener_manager.total_listeners_warming')).toBe(0);
    expect((await handshake(portOf(proxy, 'never'), ca.cert)).cn).toBeUndefined();
    expect(proxy.stats.counter('listener.never.ssl.connection_error').value).toBe(1);
    await until(() => gauge(proxy, 'cluster_manager.warming_clusters') === 0, 'the cluster warming to end');
    expect(proxy.clusters.get('missing-secret')).toBeDefined();
    expect((await plainGet(portOf(proxy, 'to-missing'))).status).toBe(503);
  });

  it('fetches secrets over ADS', async () => {
    const cache = new SnapshotCache();
    const ADS = { ads: {}, resource_api_version: 'V3' };
    const hcmAny = registry.pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
      stat_prefix: 'ads_tls',
      route_config: { name: 'r', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'plain' } }] }] },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: registry.pack('envoy.extensions.filters.http.router.v3.Router', {}) }],
    });
    const tlsAny = registry.pack('envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext', { common_tls_context: { tls_certificate_sds_secret_configs: [{ name: 'kubernetes://ingress-cert', sds_config: ADS }] } });
    cache.setSnapshot(
      'ads-node',
      Snapshot.create({
        version: '1',
        resources: {
          [TypeUrl.Listener]: [
            makeResource(registry, TypeUrl.Listener, {
              name: 'ads-tls',
              address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
              filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: hcmAny }], transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: tlsAny } }],
            }),
          ],
          [TypeUrl.Cluster]: [],
          [TypeUrl.Secret]: [makeResource(registry, TypeUrl.Secret, { name: 'kubernetes://ingress-cert', ...tlsSecret(serverV2) })],
        },
      }),
    );
    const server = new grpc.Server();
    const xds = createXdsServer({ registry, cache });
    xds.addTo(server);
    const xdsPort = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    cleanups.push(() => {
      xds.closeAll();
      server.forceShutdown();
    });
    const proxy = await startProxy(
      { clusters: [staticCluster('plain', ports.plain), staticCluster('xds-grpc', xdsPort)] },
      { node: { id: 'ads-node', cluster: 'app' }, dynamic_resources: { ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] }, cds_config: ADS, lds_config: ADS } },
    );
    await until(() => proxy.listeners.boundAddress('ads-tls') !== undefined, 'the LDS listener to warm and bind');
    expect(await get(portOf(proxy, 'ads-tls'), ca.cert)).toMatchObject({ status: 200, body: 'plain', peerCn: 'server-v2' });
  });
});
