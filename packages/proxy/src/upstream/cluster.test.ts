import { loadProtoRegistry, type Cluster__Output } from '@weft/api';
import { silentLogger } from '@weft/base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultLoadBalancers } from '../load-balancer/index.js';
import { StatStore } from '../stats/stat-store.js';
import { CLUSTER_PROVIDED_LB, ManagedCluster, maxRequestsPerConnection, upstreamProtocol } from './cluster.js';
import { ClusterManager } from './cluster-manager.js';

const registry = loadProtoRegistry();
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';

function cluster(options: object | undefined, extra: object = {}): Cluster__Output {
  const typed = options ? { [HTTP_OPTIONS]: registry.pack(HTTP_OPTIONS, options) } : {};
  return { name: 'c', typed_extension_protocol_options: typed, max_requests_per_connection: null, ...extra } as unknown as Cluster__Output;
}

describe('cluster HTTP protocol options', () => {
  it.each([
    ['unset: unlimited', cluster(undefined), 0],
    // What Pilot emits for DestinationRule connectionPool.http.maxRequestsPerConnection.
    ['common_http_protocol_options', cluster({ common_http_protocol_options: { max_requests_per_connection: { value: 1 } }, explicit_http_config: { http_protocol_options: {} } }), 1],
    ['the deprecated Cluster field', cluster(undefined, { max_requests_per_connection: { value: 7 } }), 7],
  ])('max_requests_per_connection from %s', (_name, c, expected) => {
    expect(maxRequestsPerConnection(registry, c)).toBe(expected);
  });

  it.each([
    ['HTTP/1.1 explicit config', cluster({ explicit_http_config: { http_protocol_options: {} } }), 'http1'],
    ['HTTP/2 explicit config', cluster({ explicit_http_config: { http2_protocol_options: {} } }), 'http2'],
    ['no options', cluster(undefined), 'http1'],
  ])('upstream protocol from %s', (_name, c, expected) => {
    expect(upstreamProtocol(registry, c)).toBe(expected);
  });
});

describe('ORIGINAL_DST clusters', () => {
  const balancers = defaultLoadBalancers();
  const make = (extra: object = {}) => {
    const config = { name: 'PassthroughCluster', type: 'ORIGINAL_DST', lb_policy: 'CLUSTER_PROVIDED', ...extra } as unknown as Cluster__Output;
    return new ManagedCluster(config, { registry, lb: CLUSTER_PROVIDED_LB, stats: new StatStore().scope('cluster.PassthroughCluster') });
  };
  const random = () => 0;

  afterEach(() => vi.useRealTimers());

  it.each([
    ['CLUSTER_PROVIDED', undefined],
    ['ORIGINAL_DST_LB', undefined],
    ['ROUND_ROBIN', 'lb_policy ROUND_ROBIN is not valid for an ORIGINAL_DST cluster'],
  ])('accepts lb_policy %s only if Envoy does', (policy, problem) => {
    const cm = new ClusterManager(registry, balancers, new StatStore(), silentLogger());
    const result = cm.validate([{ name: 'p', type: 'ORIGINAL_DST', lb_policy: policy } as unknown as Cluster__Output]);
    if (problem) expect(result).toContain(problem);
    else expect(result).toBeUndefined();
  });

  it('makes one host per original destination and none without one', () => {
    const c = make();
    const a = c.chooseHost({ random, originalDestination: { address: '10.0.0.1', port: 80 } });
    expect(a).toMatchObject({ address: '10.0.0.1', port: 80 });
    expect(c.chooseHost({ random, originalDestination: { address: '10.0.0.1', port: 80 } })).toBe(a);
    expect(c.chooseHost({ random, originalDestination: { address: '10.0.0.2', port: 80 } })).not.toBe(a);
    expect(c.chooseHost({ random })).toBeUndefined();
    expect(c.allHosts()).toHaveLength(2);
    c.close();
  });

  it('removes a host unused for a whole cleanup_interval, keeping busy and recently used ones', () => {
    vi.useFakeTimers();
    const c = make({ cleanup_interval: { seconds: 1, nanos: 0 } });
    const idle = c.chooseHost({ random, originalDestination: { address: '10.0.0.1', port: 80 } })!;
    const busy = c.chooseHost({ random, originalDestination: { address: '10.0.0.2', port: 80 } })!;
    busy.begin();
    vi.advanceTimersByTime(1000); // first sweep: both were used in this interval
    expect(c.allHosts()).toHaveLength(2);
    vi.advanceTimersByTime(1000); // second sweep: idle goes, busy stays (a request is in flight)
    expect(c.allHosts()).toEqual([busy]);
    expect(c.chooseHost({ random, originalDestination: { address: '10.0.0.1', port: 80 } })).not.toBe(idle);
    c.close();
  });
});

describe('host health: outlier ejection and active health checks', () => {
  afterEach(() => vi.useRealTimers());

  it('keeps both reasons apart, so a passing health check never clears an ejection', async () => {
    vi.useFakeTimers();
    let outcome: 'healthy' | 'unhealthy' = 'healthy';
    const config = {
      name: 'web',
      type: 'STATIC',
      load_assignment: { cluster_name: 'web', endpoints: [{ priority: 0, lb_endpoints: [{ endpoint: { address: { socket_address: { address: '10.0.0.1', port_value: 80 } } } }] }] },
      outlier_detection: { consecutive_5xx: { value: 1 }, max_ejection_percent: { value: 100 }, base_ejection_time: { seconds: 60, nanos: 0 } },
      health_checks: [{ timeout: { seconds: 1, nanos: 0 }, interval: { seconds: 1, nanos: 0 }, no_traffic_interval: { seconds: 1, nanos: 0 }, unhealthy_threshold: { value: 1 }, healthy_threshold: { value: 1 }, http_health_check: { path: '/h' } }],
    } as unknown as Cluster__Output;
    const lb = defaultLoadBalancers().create(config).value!;
    const stats = new StatStore();
    const c = new ManagedCluster(config, { registry, lb, stats: stats.scope('cluster.web'), probe: () => Promise.resolve(outcome) });
    const host = c.allHosts()[0]!;
    expect(host.failedActiveHc).toBe(true); // until the first check passes
    await vi.advanceTimersByTimeAsync(0);
    expect(host.healthy).toBe(true);
    host.recordResult(503);
    expect(host.outlierEjected).toBe(true);
    await vi.advanceTimersByTimeAsync(1000);
    expect([host.outlierEjected, host.failedActiveHc, host.healthy]).toEqual([true, false, false]);
    expect(stats.counter('cluster.web.health_check.success').value).toBe(2);
    outcome = 'unhealthy';
    await vi.advanceTimersByTimeAsync(1000);
    expect(host.failedActiveHc).toBe(true);
    expect(stats.counter('cluster.web.health_check.failure').value).toBe(1);
    c.close();
  });
});
