// Server initialization as Envoy's: the built weft-proxy under a real xDS server stays INITIALIZING
// (admin /ready 503) while a listener of the initial LDS response warms for its routes, and turns LIVE
// only once that listener is bound, so a 200 from /ready means its port accepts connections.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadProtoRegistry, TypeUrl } from '@weft/api';
import { createXdsServer, makeResource, Snapshot, SnapshotCache, type Resource } from '@weft/xds';
import { afterEach, describe, expect, it } from 'vitest';
import { adsBootstrap, freePort, runProxy } from './fixtures/proxy-process.js';

const registry = loadProtoRegistry();
const ADS = { ads: {}, resource_api_version: 'V3' };
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function get(port: number, path = '/'): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
  });
}

describe('weft-proxy initialization under ADS', () => {
  it('answers /ready 503 while an initial listener waits for its routes, and 200 once it is bound', async () => {
    const upstream = http.createServer((_req, res) => res.end('up'));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
    cleanups.push(() => new Promise<void>((r) => (upstream.closeAllConnections(), upstream.close(() => r()))));
    const upstreamPort = (upstream.address() as AddressInfo).port;
    const listenerPort = await freePort();

    const hcm = {
      stat_prefix: 'dyn',
      rds: { route_config_name: 'r', config_source: ADS },
      http_filters: [{ name: 'envoy.filters.http.router', typed_config: registry.pack('envoy.extensions.filters.http.router.v3.Router', {}) }],
    };
    const listener = makeResource(registry, TypeUrl.Listener, {
      name: 'dyn',
      address: { socket_address: { address: '127.0.0.1', port_value: listenerPort } },
      filter_chains: [{ filters: [{ name: 'envoy.filters.network.http_connection_manager', typed_config: registry.pack('envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager', hcm) }] }],
    });
    const cluster = makeResource(registry, TypeUrl.Cluster, {
      name: 'up',
      type: 'STATIC',
      connect_timeout: { seconds: 1 },
      load_assignment: { cluster_name: 'up', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } } }] }] },
    });
    const route = makeResource(registry, TypeUrl.RouteConfiguration, {
      name: 'r',
      virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'up' } }] }],
    });
    const cache = new SnapshotCache();
    const snapshot = (resources: Record<string, Resource[]>) => Snapshot.create({ version: String(Object.keys(resources).length), resources });
    // Listeners and clusters, no routes yet.
    cache.setSnapshot('test', snapshot({ [TypeUrl.Listener]: [listener], [TypeUrl.Cluster]: [cluster] }));
    const xds = createXdsServer({ registry, cache });
    const ads = xds.http2Transport();
    const xdsPort = await ads.listen('127.0.0.1', 0);
    cleanups.push(() => {
      xds.closeAll();
      ads.forceClose();
    });

    const proxy = runProxy(adsBootstrap(xdsPort), ['--drain-time-s', '0']);
    cleanups.push(() => proxy.kill());
    const adminPort = await proxy.adminPort();

    // CDS and LDS are in and ACKed; the listener warms for route "r", which the server does not have.
    const acked = (typeUrl: string) => xds.connections().some((c) => c.types.some((t) => t.typeUrl === typeUrl && t.ackedNonce !== ''));
    await expect.poll(() => acked(TypeUrl.Listener) && acked(TypeUrl.Cluster), { timeout: 15_000 }).toBe(true);
    await expect.poll(async () => (await get(adminPort, '/stats')).body.includes('listener_manager.total_listeners_warming: 1'), { timeout: 10_000 }).toBe(true);
    expect(await get(adminPort, '/ready')).toEqual({ status: 503, body: 'INITIALIZING\n' });

    // The routes arrive: LIVE, and by then the listener's port answers.
    cache.setSnapshot('test', snapshot({ [TypeUrl.Listener]: [listener], [TypeUrl.Cluster]: [cluster], [TypeUrl.RouteConfiguration]: [route] }));
    await expect.poll(async () => (await get(adminPort, '/ready')).status, { timeout: 15_000 }).toBe(200);
    expect(await get(listenerPort)).toEqual({ status: 200, body: 'up' });
  });
});
