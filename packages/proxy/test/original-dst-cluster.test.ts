// ORIGINAL_DST clusters and TLS clusters behind tcp_proxy, against real sockets: a connection goes to
// the address it was headed for (no destination → closed, UH), and a TLS cluster is reached over TLS
// (an SDS-named context closes the connection, UF) — never in plaintext.
import net from 'node:net';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { loadProtoRegistry, type Cluster__Output, type TcpProxy__Output } from '@weft/api';
import { silentLogger } from '@weft/base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultLoadBalancers } from '../src/load-balancer/index.js';
import { recordDestination } from '../src/listener/original-dst.js';
import { TcpProxyFilter, type TcpProxyConnection } from '../src/network/tcp-proxy.js';
import { StatStore } from '../src/stats/stat-store.js';
import { ClusterManager } from '../src/upstream/cluster-manager.js';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';

const registry = loadProtoRegistry();
const UPSTREAM_TLS = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
const closers: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

async function serve(server: net.Server): Promise<number> {
  const sockets = new Set<net.Socket>();
  server.on('connection', (s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  closers.push(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return (server.address() as AddressInfo).port;
}

const echo = (s: net.Socket) => s.on('data', (d) => s.write(`e:${d.toString()}`));

function manager(clusters: object[]): { cm: ClusterManager; stats: StatStore } {
  const stats = new StatStore();
  const cm = new ClusterManager(registry, defaultLoadBalancers(), stats, silentLogger());
  closers.push(() => cm.close());
  const problem = cm.apply(clusters as Cluster__Output[], []);
  if (problem) throw new Error(problem);
  return { cm, stats };
}

/** A front listener whose connections tcp_proxy hands to `cluster`; `destination` plays the iptables capture. */
async function front(cm: ClusterManager, cluster: string, destination?: { address: string; port: number }) {
  const closed: TcpProxyConnection[] = [];
  const filter = new TcpProxyFilter({ config: { cluster, cluster_specifier: 'cluster' } as unknown as TcpProxy__Output, clusters: cm, onClose: (c) => closed.push(c) });
  const port = await serve(
    net.createServer((s) => {
      if (destination) recordDestination(s, destination);
      filter.onConnection(s);
    }),
  );
  return { port, closed };
}

/** Sends `message` and resolves with everything read until the proxy or the client closes. */
function roundTrip(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write(message));
    let got = '';
    s.setEncoding('utf8').on('data', (d: string) => {
      got += d;
      if (got.length >= message.length + 2) s.end();
    });
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
}

const originalDst = (extra: object = {}) => ({ name: 'PassthroughCluster', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', connect_timeout: { seconds: 1, nanos: 0 }, ...extra });

describe('tcp_proxy to an ORIGINAL_DST cluster', () => {
  it('proxies to the connection original destination and keeps the host for reuse', async () => {
    const upstream = await serve(net.createServer(echo));
    const { cm } = manager([originalDst()]);
    const { port } = await front(cm, 'PassthroughCluster', { address: '127.0.0.1', port: upstream });
    expect(await roundTrip(port, 'hi')).toBe('e:hi');
    expect(await roundTrip(port, 'again')).toBe('e:again');
    expect(cm.get('PassthroughCluster')!.allHosts().map((h) => `${h.address}:${h.port}`)).toEqual([`127.0.0.1:${upstream}`]);
  });

  it('binds the upstream socket to upstream_bind_config.source_address', async () => {
    let peer = '';
    const upstream = await serve(
      net.createServer((s) => {
        peer = s.remoteAddress ?? '';
        echo(s);
      }),
    );
    const { cm } = manager([originalDst({ name: 'InboundPassthroughClusterIpv4', upstream_bind_config: { source_address: { address: '127.0.0.6', port_value: 0 } } })]);
    const { port } = await front(cm, 'InboundPassthroughClusterIpv4', { address: '127.0.0.1', port: upstream });
    expect(await roundTrip(port, 'in')).toBe('e:in');
    expect(peer).toBe('127.0.0.6');
  });

  it('accepts the ORIGINAL_DST clusters Pilot generates (proto3 JSON, as in the CDS golden)', () => {
    const decode = (json: object) => registry.readJson<Cluster__Output>('envoy.config.cluster.v3.Cluster', json).value!;
    const inbound = decode({ name: 'InboundPassthroughClusterIpv4', type: 'ORIGINAL_DST', connectTimeout: '10s', lbPolicy: 'CLUSTER_PROVIDED', upstreamBindConfig: { sourceAddress: { address: '127.0.0.6', portValue: 0 } } });
    const passthrough = decode({ name: 'PassthroughCluster', type: 'ORIGINAL_DST', connectTimeout: '10s', lbPolicy: 'CLUSTER_PROVIDED' });
    const { cm } = manager([inbound, passthrough]);
    expect(cm.get('InboundPassthroughClusterIpv4')?.sourceAddress).toBe('127.0.0.6');
    expect(cm.get('PassthroughCluster')?.sourceAddress).toBeUndefined();
  });

  it('closes a connection with no usable original destination, flag UH', async () => {
    const { cm } = manager([originalDst()]);
    // Port 0: "no destination" (Envoy finds no host for the connection).
    const { port, closed } = await front(cm, 'PassthroughCluster', { address: '127.0.0.1', port: 0 });
    expect(await roundTrip(port, 'x')).toBe('');
    await expect.poll(() => closed.length).toBe(1);
    expect([...closed[0]!.responseFlags]).toEqual(['UH']);
  });
});

describe.skipIf(!hasOpenssl())('tcp_proxy to a TLS cluster', () => {
  let pki: TestPki;
  let ca: KeyPair;
  let leaf: KeyPair;

  beforeAll(() => {
    pki = new TestPki();
    ca = pki.ca('test-ca');
    leaf = pki.leaf(ca, 'upstream.example.com');
  });
  afterAll(() => pki.dispose());

  const tlsCluster = (name: string, port: number, context: object): object => ({
    name,
    type: 'STATIC',
    connect_timeout: { seconds: 1, nanos: 0 },
    load_assignment: { cluster_name: name, endpoints: [{ priority: 0, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
    transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: registry.pack(UPSTREAM_TLS, context) },
  });

  it('connects over TLS with the cluster SNI and CA', async () => {
    let sni: string | false | null = false;
    const upstream = await serve(
      tls.createServer({ cert: leaf.cert, key: leaf.key }, (s) => {
        sni = s.servername;
        echo(s);
      }),
    );
    const { cm } = manager([tlsCluster('secure', upstream, { sni: 'upstream.example.com', common_tls_context: { validation_context: { trusted_ca: { filename: ca.certPath } } } })]);
    const { port } = await front(cm, 'secure');
    expect(await roundTrip(port, 'tls')).toBe('e:tls');
    expect(sni).toBe('upstream.example.com');
  });

  it('fails a handshake with an untrusted server as a connect failure (UF)', async () => {
    const other = pki.ca('other-ca');
    const upstream = await serve(tls.createServer({ cert: leaf.cert, key: leaf.key }, echo));
    const { cm, stats } = manager([tlsCluster('untrusted', upstream, { sni: 'upstream.example.com', common_tls_context: { validation_context: { trusted_ca: { filename: other.certPath } } } })]);
    const { port, closed } = await front(cm, 'untrusted');
    expect(await roundTrip(port, 'x')).toBe('');
    await expect.poll(() => closed.length).toBe(1);
    expect([...closed[0]!.responseFlags]).toEqual(['UF']);
    expect(stats.counter('cluster.untrusted.upstream_cx_connect_fail').value).toBe(1);
  });

  it('closes the connection for an SDS-named context without connecting (UF)', async () => {
    let accepted = 0;
    const upstream = await serve(net.createServer(() => accepted++));
    const sds = { name: 'default', sds_config: { ads: {} } };
    const { cm } = manager([tlsCluster('sds', upstream, { common_tls_context: { tls_certificate_sds_secret_configs: [sds] } })]);
    const { port, closed } = await front(cm, 'sds');
    expect(await roundTrip(port, 'x')).toBe('');
    await expect.poll(() => closed.length).toBe(1);
    expect([...closed[0]!.responseFlags]).toEqual(['UF']);
    expect(accepted).toBe(0);
  });
});
