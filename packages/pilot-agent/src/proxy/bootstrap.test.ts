import { loadProtoRegistry } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { buildBootstrap, protoDuration, type BootstrapInputs } from './bootstrap.js';

const NODE = {
  id: 'sidecar~10.244.1.7~web-1.weather~weather.svc.cluster.local',
  ip: '10.244.1.7',
  cluster: 'web.weather',
  metadata: { LABELS: { app: 'web' }, NAMESPACE: 'weather', ANNOTATIONS: { 'sidecar.istio.io/statsInclusionPrefixes': 'cluster.outbound,http', 'sidecar.istio.io/statsInclusionRegexps': 'listener\\..*' } },
};
const SOCKET = '/var/run/secrets/workload-spiffe-uds/socket';
const INPUTS: BootstrapInputs = { node: NODE, discovery: { host: 'istio-pilot.istio-system', port: 15010 }, proxyAdminPort: 15000, prometheusPort: 15090, connectTimeoutMs: 10_000, dnsRefreshRateMs: 300_000, sdsSocketPath: SOCKET };
const registry = loadProtoRegistry();

type Obj = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

describe('buildBootstrap', () => {
  it('is a valid Envoy v3 Bootstrap', () => {
    const read = registry.readJson('envoy.config.bootstrap.v3.Bootstrap', buildBootstrap(INPUTS));
    expect(read.issues).toEqual([]);
    expect(read.value).toBeDefined();
  });

  it('carries the node, admin on 127.0.0.1 and ADS v3 to xds-grpc', () => {
    const b = buildBootstrap(INPUTS) as Obj;
    expect(b['node']).toEqual({ id: NODE.id, cluster: 'web.weather', metadata: NODE.metadata });
    expect(b['admin']).toEqual({ address: { socket_address: { protocol: 'TCP', address: '127.0.0.1', port_value: 15000 } } });
    expect(b['dynamic_resources']).toEqual({
      lds_config: { ads: {}, resource_api_version: 'V3' },
      cds_config: { ads: {}, resource_api_version: 'V3' },
      ads_config: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'xds-grpc' } }] },
    });
  });

  it('makes xds-grpc STRICT_DNS over HTTP/2 with Istio circuit breakers for a host name', () => {
    const xds = (buildBootstrap(INPUTS) as Obj)['static_resources'].clusters.find((c: Obj) => c['name'] === 'xds-grpc');
    expect(xds).toMatchObject({ type: 'STRICT_DNS', connect_timeout: '10s', dns_refresh_rate: '300s', dns_lookup_family: 'V4_ONLY' });
    expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ protocol: 'TCP', address: 'istio-pilot.istio-system', port_value: 15010 });
    expect(xds.circuit_breakers.thresholds).toEqual([
      { priority: 'DEFAULT', max_connections: 100000, max_pending_requests: 100000, max_requests: 100000 },
      { priority: 'HIGH', max_connections: 100000, max_pending_requests: 100000, max_requests: 100000 },
    ]);
    expect(xds.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions'].explicit_http_config).toEqual({ http2_protocol_options: {} });
  });

  it('makes xds-grpc STATIC for an IP address', () => {
    const xds = (buildBootstrap({ ...INPUTS, discovery: { host: '10.244.0.1', port: 15010 } }) as Obj)['static_resources'].clusters.find((c: Obj) => c['name'] === 'xds-grpc');
    expect(xds.type).toBe('STATIC');
    expect(xds).not.toHaveProperty('dns_refresh_rate');
  });

  it("has Istio's sds-grpc cluster: STATIC, HTTP/2, a pipe to the agent's SDS socket", () => {
    const sds = (buildBootstrap(INPUTS) as Obj)['static_resources'].clusters.find((c: Obj) => c['name'] === 'sds-grpc');
    expect(sds).toMatchObject({ type: 'STATIC', connect_timeout: '1s', lb_policy: 'ROUND_ROBIN' });
    expect(sds.load_assignment).toEqual({ cluster_name: 'sds-grpc', endpoints: [{ lb_endpoints: [{ endpoint: { address: { pipe: { path: SOCKET } } } }] }] });
    expect(sds.typed_extension_protocol_options['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      explicit_http_config: { http2_protocol_options: {} },
    });
  });

  it('routes /stats/prometheus on the prometheus port to the admin API', () => {
    const s = (buildBootstrap(INPUTS) as Obj)['static_resources'];
    expect(s.clusters.find((c: Obj) => c['name'] === 'prometheus_stats').load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toEqual({ protocol: 'TCP', address: '127.0.0.1', port_value: 15000 });
    const [listener] = s.listeners;
    expect(listener.address.socket_address).toEqual({ protocol: 'TCP', address: '0.0.0.0', port_value: 15090 });
    expect(listener.filter_chains[0].filters[0].typed_config.route_config.virtual_hosts[0].routes).toEqual([{ match: { prefix: '/stats/prometheus' }, route: { cluster: 'prometheus_stats' } }]);
  });

  it('has no prometheus listener or cluster with --prometheusPort 0', () => {
    const s = (buildBootstrap({ ...INPUTS, prometheusPort: 0 }) as Obj)['static_resources'];
    expect(s.listeners).toEqual([]);
    expect(s.clusters.map((c: Obj) => c['name'])).toEqual(['sds-grpc', 'xds-grpc']);
  });

  it("keeps Istio's stats inclusion list, widened by the pod's annotations", () => {
    const stats = (buildBootstrap(INPUTS) as Obj)['stats_config'];
    expect(stats.use_all_default_tags).toBe(false);
    expect(stats.stats_tags.map((t: Obj) => t['tag_name'])).toContain('cluster_name');
    expect(stats.stats_matcher.inclusion_list.patterns).toEqual([
      { prefix: 'cluster_manager' }, { prefix: 'listener_manager' }, { prefix: 'http_mixer_filter' }, { prefix: 'tcp_mixer_filter' }, { prefix: 'server' }, { prefix: 'cluster.xds-grpc' },
      { prefix: 'cluster.outbound' }, { prefix: 'http' }, { suffix: 'ssl_context_update_by_sds' }, { safe_regex: { regex: 'listener\\..*' } },
    ]);
  });

  it.each([[10_000, '10s'], [250, '0.25s'], [1500, '1.5s'], [0, '0s']])('formats %i ms as %s', (ms, text) => expect(protoDuration(ms)).toBe(text));
});
