// What a current istiod puts in LDS/CDS besides Envoy's own filters, end to end: real weft-proxies
// fed over a real ADS server, real HTTP/1.1, h2c and gRPC clients and servers on 127.0.0.1.
// - every filter istiod sends is ACKed (and an unknown one still NACKed);
// - http_inspector sends HTTP/1.1 and h2c connections to different chains by application_protocols;
// - istio.metadata_exchange headers travel between two weft-proxies and never reach the apps;
// - grpc_stats counts real gRPC calls.
import { EventEmitter } from 'node:events';
import http from 'node:http';
import http2 from 'node:http2';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { loadProtoRegistry, TypeUrl, type AnyMessage } from '@weft/api';
import { silentLogger } from '@weft/base';
import { createXdsServer, makeResource, Snapshot, SnapshotCache } from '@weft/xds';
import { afterEach, describe, expect, it } from 'vitest';
import { parseBootstrap } from '../src/config/bootstrap.js';
import { ProxyServer } from '../src/index.js';

const registry = loadProtoRegistry();
const ADS = { ads: {}, resource_api_version: 'V3' };
const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

/** A TypedStruct exactly as istiod builds one (protoconv.TypedStructWithFields). */
function typedStruct(typeUrl: string, fields: Record<string, unknown>, wrapper = 'udpa.type.v1.TypedStruct'): AnyMessage {
  const struct = registry.readJson('google.protobuf.Struct', fields);
  if (!struct.value) throw new Error(JSON.stringify(struct.issues));
  return registry.pack(wrapper, { type_url: typeUrl, value: struct.value });
}

const PEER_METADATA = 'type.googleapis.com/io.istio.http.peer_metadata.Config';
const TCP_MX = typedStruct('type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange', { protocol: 'istio-peer-exchange', enable_discovery: true });
// istiod's SidecarInboundMetadataFilter and SidecarOutboundMetadataFilter (pilot/pkg/xds/filters).
const INBOUND_MX = typedStruct(PEER_METADATA, { downstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }], downstream_propagation: [{ istio_headers: {} }] });
const OUTBOUND_MX = typedStruct(PEER_METADATA, { upstream_discovery: [{ istio_headers: {} }, { workload_discovery: {} }], upstream_propagation: [{ istio_headers: {} }] }, 'xds.type.v3.TypedStruct');
const ALPN = registry.pack('istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig', {
  alpn_override: [
    { upstream_protocol: 'HTTP10', alpn_override: ['istio-http/1.0', 'istio', 'http/1.0'] },
    { upstream_protocol: 'HTTP11', alpn_override: ['istio-http/1.1', 'istio', 'http/1.1'] },
    { upstream_protocol: 'HTTP2', alpn_override: ['istio-h2', 'istio', 'h2'] },
  ],
});
const GRPC_STATS_ISTIOD = registry.pack('envoy.extensions.filters.http.grpc_stats.v3.FilterConfig', { emit_filter_state: true, stats_for_all_methods: { value: false } });
const GRPC_STATS_PER_METHOD = registry.pack('envoy.extensions.filters.http.grpc_stats.v3.FilterConfig', { stats_for_all_methods: { value: true } });
const ROUTER = { name: 'envoy.filters.http.router', typed_config: registry.pack('envoy.extensions.filters.http.router.v3.Router', {}) };
const HTTP2_OPTIONS = {
  'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': registry.pack('envoy.extensions.upstreams.http.v3.HttpProtocolOptions', { explicit_http_config: { http2_protocol_options: {} } }),
};

function hcm(statPrefix: string, cluster: string, httpFilters: readonly object[], routeExtra: Record<string, unknown> = {}) {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: registry.pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
      stat_prefix: statPrefix,
      route_config: { name: statPrefix, virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster }, ...routeExtra }] }] },
      http_filters: [...httpFilters, ROUTER],
    }),
  };
}

function directResponse(statPrefix: string, body: string) {
  return {
    name: 'envoy.filters.network.http_connection_manager',
    typed_config: registry.pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', {
      stat_prefix: statPrefix,
      route_config: { name: statPrefix, virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, direct_response: { status: 200, body: { inline_string: body } } }] }] },
      http_filters: [ROUTER],
    }),
  };
}

function staticCluster(name: string, port: number, extra: Record<string, unknown> = {}) {
  return {
    name,
    type: 'STATIC',
    connect_timeout: { seconds: 1 },
    load_assignment: { cluster_name: name, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: port } } } }] }] },
    ...extra,
  };
}

function listener(name: string, chains: readonly object[], extra: Record<string, unknown> = {}) {
  return { name, address: { socket_address: { address: '127.0.0.1', port_value: 0 } }, filter_chains: chains, ...extra };
}

type Verdict = { readonly kind: 'ack' } | { readonly kind: 'nack'; readonly message: string };

/** A real ADS server: serves one snapshot per node and reports each node's ACK/NACK per type and version. */
async function startControlPlane() {
  const cache = new SnapshotCache();
  const verdicts = new Map<string, Verdict>();
  const events = new EventEmitter();
  const record = (key: string, v: Verdict) => {
    verdicts.set(key, v);
    events.emit(key, v);
  };
  const server = new grpc.Server();
  const xds = createXdsServer({
    registry,
    cache,
    callbacks: {
      onAck: (s, a) => record(`${s.node.id} ${a.typeUrl} ${a.version}`, { kind: 'ack' }),
      onNack: (s, n) => record(`${s.node.id} ${n.typeUrl} ${n.rejectedVersion}`, { kind: 'nack', message: n.errorDetail.message }),
    },
  });
  xds.addTo(server);
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  cleanups.push(() => {
    xds.closeAll();
    server.forceShutdown();
  });
  return {
    port,
    serve(node: string, version: string, resources: { listeners: readonly object[]; clusters: readonly object[] }): void {
      cache.setSnapshot(
        node,
        Snapshot.create({
          version,
          resources: {
            [TypeUrl.Listener]: resources.listeners.map((l) => makeResource(registry, TypeUrl.Listener, l)),
            [TypeUrl.Cluster]: resources.clusters.map((c) => makeResource(registry, TypeUrl.Cluster, c)),
          },
        }),
      );
    },
    /** The proxy's verdict on one type at one version. */
    verdict(node: string, typeUrl: string, version: string): Promise<Verdict> {
      const key = `${node} ${typeUrl} ${version}`;
      const known = verdicts.get(key);
      return known ? Promise.resolve(known) : new Promise((r) => events.once(key, r));
    },
  };
}

/** An in-process weft-proxy on ADS with this node id and metadata. */
async function startProxy(xdsPort: number, node: string, metadata: Record<string, unknown> = {}): Promise<ProxyServer> {
  const bootstrap = parseBootstrap(
    registry,
    JSON.stringify({
      node: { id: node, cluster: 'test', metadata },
      dynamic_resources: { ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] }, cds_config: ADS, lds_config: ADS },
      static_resources: { clusters: [{ ...staticCluster('xds-grpc', xdsPort), connect_timeout: '1s', typed_extension_protocol_options: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicit_http_config: { http2_protocol_options: {} } } } }] },
    }),
    'inline.json',
  );
  if (!bootstrap.ok) throw bootstrap.error;
  const proxy = new ProxyServer({ bootstrap: bootstrap.value, registry, logger: silentLogger(), drainTimeS: 1, onQuit: () => undefined });
  await proxy.start();
  cleanups.push(() => proxy.stop());
  return proxy;
}

/** Where a listener of the proxy is bound. */
function address(proxy: ProxyServer, listener: string): { host: string; port: number } {
  const bound = proxy.listeners.boundAddress(listener);
  if (!bound) throw new Error(`listener ${listener} is not bound`);
  const i = bound.lastIndexOf(':');
  return { host: bound.slice(0, i), port: Number(bound.slice(i + 1)) };
}

/** Resolves once `cond` holds, checking after every turn of the event loop (no fixed sleeps). */
async function until(cond: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

function counter(proxy: ProxyServer, name: string): number {
  return proxy.stats.counter(name).value;
}

interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

function get(port: number, path: string, headers: http.OutgoingHttpHeaders = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, headers, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
  });
}

async function httpApp(handler: http.RequestListener): Promise<number> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

describe('istiod filters in LDS and CDS', () => {
  it('are ACKed: metadata exchange (HTTP and network), alpn, grpc_stats, http_inspector, cluster filters', async () => {
    const cp = await startControlPlane();
    const app = await httpApp((_req, res) => res.end('ok'));
    const inbound = listener(
      'virtualInbound',
      [{ filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'h2c', 'http/1.0'] }, filters: [{ name: 'istio.metadata_exchange', typed_config: TCP_MX }, hcm('inbound_0.0.0.0_80', 'inbound|80||', [{ name: 'istio.metadata_exchange', typed_config: INBOUND_MX }, { name: 'envoy.filters.http.grpc_stats', typed_config: GRPC_STATS_ISTIOD }])] }],
      {
        listener_filters: [
          { name: 'envoy.filters.listener.tls_inspector', typed_config: registry.pack('envoy.extensions.filters.listener.tls_inspector.v3.TlsInspector', {}) },
          { name: 'envoy.filters.listener.http_inspector', typed_config: registry.pack('envoy.extensions.filters.listener.http_inspector.v3.HttpInspector', {}) },
        ],
      },
    );
    const outbound = listener('0.0.0.0_80', [{ filters: [hcm('outbound_0.0.0.0_80', 'outbound|80||app', [{ name: 'istio.metadata_exchange', typed_config: OUTBOUND_MX }, { name: 'istio.alpn', typed_config: ALPN }, { name: 'envoy.filters.http.grpc_stats', typed_config: GRPC_STATS_ISTIOD }])] }]);
    const clusters = [staticCluster('inbound|80||', app), staticCluster('outbound|80||app', app, { filters: [{ name: 'istio.metadata_exchange', typed_config: TCP_MX }] })];
    cp.serve('sidecar~a', 'v1', { listeners: [inbound, outbound], clusters });
    const proxy = await startProxy(cp.port, 'sidecar~a');
    expect(await cp.verdict('sidecar~a', TypeUrl.Cluster, 'v1')).toEqual({ kind: 'ack' });
    expect(await cp.verdict('sidecar~a', TypeUrl.Listener, 'v1')).toEqual({ kind: 'ack' });
    const reply = await get(address(proxy, '0.0.0.0_80').port, '/');
    expect(reply).toMatchObject({ status: 200, body: 'ok' });

    // An unknown filter stays a NACK, naming its path; is_optional makes it acceptable.
    const unknown = { name: 'example.unknown', typed_config: typedStruct('type.googleapis.com/example.NoSuchFilter', {}) };
    cp.serve('sidecar~a', 'v2', { listeners: [listener('bad', [{ filters: [hcm('bad', 'inbound|80||', [unknown])] }])], clusters });
    const nack = await cp.verdict('sidecar~a', TypeUrl.Listener, 'v2');
    expect(nack.kind).toBe('nack');
    expect(nack.kind === 'nack' && nack.message).toMatch(/filter_chains\[0\]\.filters\[0\]\.typed_config\.http_filters\[0\].*example\.unknown/);
    cp.serve('sidecar~a', 'v3', { listeners: [listener('optional', [{ filters: [hcm('optional', 'inbound|80||', [{ ...unknown, is_optional: true }])] }])], clusters });
    expect(await cp.verdict('sidecar~a', TypeUrl.Listener, 'v3')).toEqual({ kind: 'ack' });
    const badNetwork = listener('bad-network', [{ filters: [{ name: 'example.tcp', typed_config: typedStruct('type.googleapis.com/example.Tcp', {}) }, hcm('bn', 'inbound|80||', [])] }]);
    cp.serve('sidecar~a', 'v4', { listeners: [badNetwork], clusters });
    const nack4 = await cp.verdict('sidecar~a', TypeUrl.Listener, 'v4');
    expect(nack4.kind === 'nack' && nack4.message).toMatch(/filters\[0\].*example\.tcp/);
  });
});

describe('envoy.filters.listener.http_inspector', () => {
  it('sends HTTP/1.1 and h2c connections to different filter chains by application_protocols', async () => {
    const cp = await startControlPlane();
    const sniffing = listener(
      'sniffing',
      [
        { filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: ['http/1.1', 'http/1.0'] }, filters: [directResponse('h1', 'http/1 chain')] },
        { filter_chain_match: { transport_protocol: 'raw_buffer', application_protocols: ['h2c'] }, filters: [directResponse('h2', 'h2c chain')] },
      ],
      { listener_filters: [{ name: 'envoy.filters.listener.http_inspector', typed_config: registry.pack('envoy.extensions.filters.listener.http_inspector.v3.HttpInspector', {}) }] },
    );
    cp.serve('sniffer', 'v1', { listeners: [sniffing], clusters: [] });
    const proxy = await startProxy(cp.port, 'sniffer');
    expect(await cp.verdict('sniffer', TypeUrl.Listener, 'v1')).toEqual({ kind: 'ack' });
    const { port } = address(proxy, 'sniffing');

    expect(await get(port, '/')).toMatchObject({ status: 200, body: 'http/1 chain' });

    const session = http2.connect(`http://127.0.0.1:${port}`);
    cleanups.push(() => void session.close());
    const h2Body = await new Promise<string>((resolve, reject) => {
      const req = session.request({ ':path': '/' });
      let body = '';
      req.setEncoding('utf8').on('data', (d: string) => (body += d));
      req.on('end', () => resolve(body));
      req.on('error', reject);
    });
    expect(h2Body).toBe('h2c chain');

    // Not HTTP at all: no chain names no protocol here, so the connection is closed.
    const closed = await new Promise<string>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => s.write('SSH-2.0-OpenSSH_9.6\r\n'));
      let got = '';
      s.on('data', (d) => (got += d.toString()));
      s.on('close', () => resolve(got));
      s.on('error', () => undefined);
    });
    expect(closed).toBe('');
    expect(counter(proxy, 'http_inspector.http11_found')).toBe(1);
    expect(counter(proxy, 'http_inspector.http2_found')).toBe(1);
    expect(counter(proxy, 'http_inspector.http_not_found')).toBe(1);
    expect(counter(proxy, 'listener.sniffing.no_filter_chain_match')).toBe(1);
  });
});

describe('istio.metadata_exchange between two weft-proxies', () => {
  it('sends each side its peer in x-envoy-peer-metadata(-id) and strips them before the apps', async () => {
    const cp = await startControlPlane();
    let appSaw: http.IncomingHttpHeaders | undefined;
    const app = await httpApp((req, res) => {
      appSaw = req.headers;
      res.end('from b');
    });
    // Everything between the sidecars passes a tap, so the test sees the wire between them.
    const wire = { toB: '', toA: '' };
    let bPort = 0;
    const tap = net.createServer((a) => {
      const b = net.connect(bPort, '127.0.0.1');
      a.on('data', (d) => (wire.toB += d.toString('latin1')));
      b.on('data', (d) => (wire.toA += d.toString('latin1')));
      a.pipe(b).pipe(a);
      a.on('error', () => b.destroy());
      b.on('error', () => a.destroy());
    });
    await new Promise<void>((r) => tap.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => tap.close(() => r())));
    const tapPort = (tap.address() as AddressInfo).port;

    cp.serve('sidecar~b', 'v1', { listeners: [listener('inbound', [{ filters: [hcm('inbound', 'inbound|80||', [{ name: 'istio.metadata_exchange', typed_config: INBOUND_MX }])] }])], clusters: [staticCluster('inbound|80||', app)] });
    cp.serve('sidecar~a', 'v1', { listeners: [listener('outbound', [{ filters: [hcm('outbound', 'outbound|80||b', [{ name: 'istio.metadata_exchange', typed_config: OUTBOUND_MX }])] }])], clusters: [staticCluster('outbound|80||b', tapPort)] });
    const b = await startProxy(cp.port, 'sidecar~b', { NAME: 'b-pod', NAMESPACE: 'default', LABELS: { app: 'b' } });
    const a = await startProxy(cp.port, 'sidecar~a', { NAME: 'a-pod', NAMESPACE: 'default', LABELS: { app: 'a' } });
    expect(await cp.verdict('sidecar~b', TypeUrl.Listener, 'v1')).toEqual({ kind: 'ack' });
    expect(await cp.verdict('sidecar~a', TypeUrl.Listener, 'v1')).toEqual({ kind: 'ack' });
    bPort = address(b, 'inbound').port;

    const reply = await get(address(a, 'outbound').port, '/hello');
    expect(reply).toMatchObject({ status: 200, body: 'from b' });
    // On the wire: A announced itself on the request, B answered with itself on the response.
    expect(wire.toB).toMatch(/x-envoy-peer-metadata-id: sidecar~a\r\n/i);
    expect(wire.toA).toMatch(/x-envoy-peer-metadata-id: sidecar~b\r\n/i);
    const sent = /x-envoy-peer-metadata: ([A-Za-z0-9+/=]+)\r\n/i.exec(wire.toB)?.[1];
    const metadata = registry.toJson('google.protobuf.Struct', registry.decode('google.protobuf.Struct', Buffer.from(sent ?? '', 'base64')));
    expect(metadata).toEqual({ NAME: 'a-pod', NAMESPACE: 'default', LABELS: { app: 'a' } });
    expect(wire.toA).toMatch(/x-envoy-peer-metadata: [A-Za-z0-9+/=]+\r\n/i);
    // Neither app sees them.
    expect(appSaw).toBeDefined();
    expect(Object.keys(appSaw ?? {}).filter((h) => h.startsWith('x-envoy-peer-metadata'))).toEqual([]);
    expect(Object.keys(reply.headers).filter((h) => h.startsWith('x-envoy-peer-metadata'))).toEqual([]);

    // A client that is not a mesh peer gets no metadata back from B's inbound.
    const direct = await get(bPort, '/');
    expect(Object.keys(direct.headers).filter((h) => h.startsWith('x-envoy-peer-metadata'))).toEqual([]);
  });
});

describe('envoy.filters.http.grpc_stats', () => {
  const identity = (b: Buffer) => b;
  const method = (name: string) => ({ path: `/weft.test.Echo/${name}`, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity });

  it('counts real gRPC calls per cluster, and per method when asked to', async () => {
    const upstream = new grpc.Server();
    upstream.addService(
      { Echo: method('Echo'), Missing: method('Missing') },
      {
        Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request),
        Missing: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' }),
      },
    );
    const upstreamPort = await new Promise<number>((resolve, reject) => upstream.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
    cleanups.push(() => upstream.forceShutdown());
    const cp = await startControlPlane();
    cp.serve('grpc', 'v1', {
      listeners: [
        listener('istiod-style', [{ filters: [hcm('a', 'backend-a', [{ name: 'envoy.filters.http.grpc_stats', typed_config: GRPC_STATS_ISTIOD }])] }]),
        listener('per-method', [{ filters: [hcm('b', 'backend-b', [{ name: 'envoy.filters.http.grpc_stats', typed_config: GRPC_STATS_PER_METHOD }])] }]),
      ],
      clusters: [staticCluster('backend-a', upstreamPort, { typed_extension_protocol_options: HTTP2_OPTIONS }), staticCluster('backend-b', upstreamPort, { typed_extension_protocol_options: HTTP2_OPTIONS })],
    });
    const proxy = await startProxy(cp.port, 'grpc');
    expect(await cp.verdict('grpc', TypeUrl.Listener, 'v1')).toEqual({ kind: 'ack' });
    const call = (client: grpc.Client, name: string) =>
      new Promise<grpc.ServiceError | null>((resolve) => client.makeUnaryRequest(`/weft.test.Echo/${name}`, identity, identity, Buffer.from('hi'), (err) => resolve(err)));
    for (const listenerName of ['istiod-style', 'per-method']) {
      const a = address(proxy, listenerName);
      const client = new grpc.Client(`${a.host}:${a.port}`, grpc.credentials.createInsecure());
      cleanups.push(() => client.close());
      expect(await call(client, 'Echo')).toBeNull();
      expect(await call(client, 'Echo')).toBeNull();
      expect((await call(client, 'Missing'))?.code).toBe(grpc.status.NOT_FOUND);
    }
    // istiod's config: no service/method in the names.
    await until(() => counter(proxy, 'cluster.backend-a.grpc.total') === 3, 'backend-a totals');
    expect(counter(proxy, 'cluster.backend-a.grpc.success')).toBe(2);
    expect(counter(proxy, 'cluster.backend-a.grpc.failure')).toBe(1);
    expect(counter(proxy, 'cluster.backend-a.grpc.request_message_count')).toBe(3);
    expect(counter(proxy, 'cluster.backend-a.grpc.response_message_count')).toBe(2);
    // stats_for_all_methods: cluster.<name>.grpc.<service>.<method>.*
    await until(() => counter(proxy, 'cluster.backend-b.grpc.weft.test.Echo.Missing.total') === 1, 'backend-b Missing total');
    await until(() => counter(proxy, 'cluster.backend-b.grpc.weft.test.Echo.Echo.total') === 2, 'backend-b Echo total');
    expect(counter(proxy, 'cluster.backend-b.grpc.weft.test.Echo.Echo.success')).toBe(2);
    expect(counter(proxy, 'cluster.backend-b.grpc.weft.test.Echo.Echo.request_message_count')).toBe(2);
    expect(counter(proxy, 'cluster.backend-b.grpc.weft.test.Echo.Echo.response_message_count')).toBe(2);
    expect(counter(proxy, 'cluster.backend-b.grpc.weft.test.Echo.Missing.failure')).toBe(1);
    expect(counter(proxy, 'cluster.backend-b.grpc.success')).toBe(0);
  });
});
