import { loadProtoRegistry, type LoadBalancerSettings, type MeshConfig, type TrafficPolicy } from '@weft/api';
import { describe, expect, it } from 'vitest';
import type { ServicePort } from '../../model/service.js';
import { CLUSTER_TYPE, finishDraft, newDraft, type ClusterDraft, type DiscoveryType } from './cluster-draft.js';
import {
  applyConnectionPool,
  applyLoadBalancer,
  applyOutlierDetection,
  applyTrafficPolicy,
  defaultTrafficPolicy,
  selectPolicyComponents,
} from './traffic-policy.js';

const registry = loadProtoRegistry();
const MESH: MeshConfig = { connectTimeout: '10s' };
const HTTP: ServicePort = { name: 'http', port: 9080, protocol: 'HTTP' };

/** A cluster as Envoy's config_dump prints it. */
function dump(draft: ClusterDraft): Record<string, any> {
  return registry.toJson(CLUSTER_TYPE, finishDraft(draft)) as Record<string, any>;
}

/** toMatchObject, except that an undefined expectation means the field is absent. */
function expectFields(actual: Record<string, unknown>, expected: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(expected)) {
    if (value === undefined) expect(actual, key).not.toHaveProperty(key);
    else expect(actual).toMatchObject({ [key]: value });
  }
}

function outbound(type: DiscoveryType = 'EDS'): ClusterDraft {
  const d = newDraft('outbound|9080||reviews.default.svc.cluster.local', type, 'outbound');
  applyTrafficPolicy(d, defaultTrafficPolicy(MESH, type), { mesh: MESH });
  return d;
}

describe('load balancer', () => {
  it.each<[string, LoadBalancerSettings, Record<string, unknown>]>([
    ['ROUND_ROBIN is the default (omitted)', { simple: 'ROUND_ROBIN' }, { lbPolicy: undefined }],
    ['LEAST_CONN becomes LEAST_REQUEST', { simple: 'LEAST_CONN' }, { lbPolicy: 'LEAST_REQUEST' }],
    ['RANDOM', { simple: 'RANDOM' }, { lbPolicy: 'RANDOM' }],
    ['PASSTHROUGH makes an ORIGINAL_DST cluster', { simple: 'PASSTHROUGH' }, { lbPolicy: 'CLUSTER_PROVIDED', type: 'ORIGINAL_DST', edsClusterConfig: undefined }],
  ])('%s', (_, lb, expected) => {
    const d = outbound();
    applyLoadBalancer(d, lb);
    expectFields(dump(d), expected);
  });

  it.each<[string, LoadBalancerSettings['consistentHash'], string]>([
    ['httpHeaderName', { httpHeaderName: 'x-user' }, '1024'],
    ['httpCookie', { httpCookie: { name: 'user', ttl: '60s' } }, '1024'],
    ['useSourceIp', { useSourceIp: true }, '1024'],
    ['minimumRingSize', { httpHeaderName: 'x-user', minimumRingSize: 4096 }, '4096'],
  ])('consistentHash %s → RING_HASH with the ring size only (hash keys go on routes)', (_, consistentHash, ring) => {
    const d = outbound();
    applyLoadBalancer(d, { consistentHash });
    expectFields(dump(d), { lbPolicy: 'RING_HASH', ringHashLbConfig: { minimumRingSize: ring } });
  });

  it('a simple policy applied after a ring hash drops the ring config', () => {
    const d = outbound();
    applyLoadBalancer(d, { consistentHash: { useSourceIp: true } });
    applyLoadBalancer(d, { simple: 'RANDOM' });
    expectFields(dump(d), { lbPolicy: 'RANDOM', ringHashLbConfig: undefined });
  });

  it('PASSTHROUGH on a DNS cluster drops its endpoints and DNS settings', () => {
    const d = outbound('STRICT_DNS');
    d.cluster.dns_lookup_family = 'V4_ONLY';
    d.cluster.load_assignment = { cluster_name: d.cluster.name, endpoints: [] };
    applyLoadBalancer(d, { simple: 'PASSTHROUGH' });
    expectFields(dump(d), { type: 'ORIGINAL_DST', dnsLookupFamily: undefined, loadAssignment: undefined });
  });

  it('an ORIGINAL_DST cluster keeps the cluster-provided balancer whatever the rule says', () => {
    const d = outbound('ORIGINAL_DST');
    applyLoadBalancer(d, { simple: 'RANDOM' });
    expectFields(dump(d), { lbPolicy: 'CLUSTER_PROVIDED' });
  });
});

describe('connection pool', () => {
  it.each<[string, TrafficPolicy['connectionPool'], Record<string, number>]>([
    ['nothing set: only the 1.3 outbound default', {}, { maxRetries: 1024 }],
    ['tcp.maxConnections → max_connections', { tcp: { maxConnections: 3 } }, { maxConnections: 3, maxRetries: 1024 }],
    ['http1MaxPendingRequests → max_pending_requests', { http: { http1MaxPendingRequests: 5 } }, { maxPendingRequests: 5, maxRetries: 1024 }],
    ['http2MaxRequests → max_requests', { http: { http2MaxRequests: 100 } }, { maxRequests: 100, maxRetries: 1024 }],
    ['maxRetries → max_retries', { http: { maxRetries: 7 } }, { maxRetries: 7 }],
    ['zero means unset', { tcp: { maxConnections: 0 }, http: { maxRetries: 0 } }, { maxRetries: 1024 }],
  ])('%s', (_, pool, thresholds) => {
    const d = outbound();
    applyConnectionPool(d, pool, MESH);
    expect(dump(d)['circuitBreakers']).toEqual({ thresholds: [thresholds] });
  });

  it('inbound clusters start from empty thresholds', () => {
    const d = newDraft('inbound|9080||', 'STATIC', 'inbound');
    applyConnectionPool(d, { tcp: { maxConnections: 10 } }, MESH);
    expect(dump(d)['circuitBreakers']).toEqual({ thresholds: [{ maxConnections: 10 }] });
  });

  it('connectTimeout overrides the mesh default; unset keeps it', () => {
    const d = outbound();
    expect(dump(d)['connectTimeout']).toBe('10s');
    applyConnectionPool(d, { tcp: { connectTimeout: '250ms' } }, MESH);
    expect(dump(d)['connectTimeout']).toBe('0.250s');
    applyConnectionPool(d, { tcp: {} }, MESH);
    expect(dump(d)['connectTimeout']).toBe('0.250s');
  });

  it('idleTimeout and maxRequestsPerConnection go to the HTTP protocol options', () => {
    const d = outbound();
    applyConnectionPool(d, { http: { idleTimeout: '15s', maxRequestsPerConnection: 1 } }, MESH);
    expect(dump(d)['typedExtensionProtocolOptions']['envoy.extensions.upstreams.http.v3.HttpProtocolOptions']).toEqual({
      '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
      commonHttpProtocolOptions: { idleTimeout: '15s', maxRequestsPerConnection: 1 },
      explicitHttpConfig: { httpProtocolOptions: {} },
    });
  });

  it.each<[string, MeshConfig['tcpKeepalive'], NonNullable<TrafficPolicy['connectionPool']>['tcp'], Record<string, number> | undefined]>([
    ['none anywhere', undefined, {}, undefined],
    ['mesh-wide', { probes: 3, time: '7200s', interval: '75s' }, {}, { keepaliveProbes: 3, keepaliveTime: 7200, keepaliveInterval: 75 }],
    ['the rule replaces the mesh as a whole', { probes: 3, time: '7200s' }, { tcpKeepalive: { interval: '30s' } }, { keepaliveInterval: 30 }],
    ['empty keepalive: SO_KEEPALIVE with OS defaults', undefined, { tcpKeepalive: {} }, {}],
  ])('tcp keepalive: %s', (_, meshKeepalive, tcp, expected) => {
    const d = outbound();
    applyConnectionPool(d, { tcp }, { ...MESH, ...(meshKeepalive ? { tcpKeepalive: meshKeepalive } : {}) });
    expect(dump(d)['upstreamConnectionOptions']).toEqual(expected === undefined ? undefined : { tcpKeepalive: expected });
  });
});

describe('outlier detection', () => {
  it.each<[string, TrafficPolicy['outlierDetection'], Record<string, unknown>]>([
    ['consecutiveErrors counts gateway errors only (1.1–1.4)', { consecutiveErrors: 2 }, { consecutiveGatewayFailure: 2, enforcingConsecutiveGatewayFailure: 100, enforcingConsecutive5xx: 0 }],
    ['consecutive5xxErrors (1.5 field)', { consecutive5xxErrors: 4 }, { consecutive5xx: 4, enforcingConsecutive5xx: 100 }],
    ['consecutiveGatewayErrors 0 disables gateway ejection', { consecutiveGatewayErrors: 0 }, { consecutiveGatewayFailure: 0, enforcingConsecutiveGatewayFailure: 0 }],
    ['interval, baseEjectionTime, maxEjectionPercent', { interval: '10s', baseEjectionTime: '2m', maxEjectionPercent: 40 }, { interval: '10s', baseEjectionTime: '120s', maxEjectionPercent: 40 }],
  ])('%s', (_, outlier, expected) => {
    const d = outbound();
    applyOutlierDetection(d, outlier);
    expect(dump(d)['outlierDetection']).toEqual(expected);
  });

  it.each([
    [undefined, {}],
    [0, {}],
    [30, { value: 30 }],
  ])('minHealthPercent %s → healthy_panic_threshold %j (set even at 0: panic mode off)', (minHealthPercent, threshold) => {
    const d = outbound();
    applyOutlierDetection(d, { consecutiveErrors: 5, ...(minHealthPercent !== undefined ? { minHealthPercent } : {}) });
    expect(dump(d)['commonLbConfig']).toEqual({ healthyPanicThreshold: threshold });
  });

  it('with outlier detection the load balancer turns on locality-weighted balancing', () => {
    const d = outbound();
    applyTrafficPolicy(d, { outlierDetection: { consecutiveErrors: 5 } }, { mesh: MESH });
    expect(dump(d)['commonLbConfig']).toEqual({ healthyPanicThreshold: {}, localityWeightedLbConfig: {} });
  });
});

describe('port-level settings', () => {
  const policy: TrafficPolicy = {
    loadBalancer: { simple: 'RANDOM' },
    connectionPool: { tcp: { maxConnections: 100 } },
    portLevelSettings: [
      { port: { number: 9080 }, connectionPool: { tcp: { maxConnections: 7 } } },
      { port: { name: 'grpc' }, loadBalancer: { simple: 'LEAST_CONN' } },
    ],
  };

  it.each<[string, ServicePort | undefined, Record<string, unknown>]>([
    ['by number: replaces all four components, unset ones included', HTTP, { connectionPool: { tcp: { maxConnections: 7 } }, loadBalancer: undefined }],
    ['by name', { name: 'grpc', port: 7070, protocol: 'GRPC' }, { loadBalancer: { simple: 'LEAST_CONN' }, connectionPool: undefined }],
    ['no match: the rule-level components', { name: 'tcp', port: 9000, protocol: 'TCP' }, { loadBalancer: { simple: 'RANDOM' }, connectionPool: { tcp: { maxConnections: 100 } } }],
    ['no port: the rule-level components', undefined, { loadBalancer: { simple: 'RANDOM' } }],
  ])('%s', (_, port, expected) => {
    expect(selectPolicyComponents(policy, port)).toMatchObject(expected);
  });

  it('a port-level override leaves the port-less components at their defaults on the cluster', () => {
    const d = outbound();
    applyTrafficPolicy(d, policy, { mesh: MESH, port: HTTP });
    expectFields(dump(d), { lbPolicy: undefined, circuitBreakers: { thresholds: [{ maxConnections: 7, maxRetries: 1024 }] } });
  });
});

describe('subset policy over the rule policy', () => {
  const rule: TrafficPolicy = {
    loadBalancer: { simple: 'LEAST_CONN' },
    connectionPool: { tcp: { maxConnections: 3 }, http: { maxRequestsPerConnection: 1 } },
    outlierDetection: { consecutiveErrors: 2 },
  };

  it.each<[string, TrafficPolicy, Record<string, unknown>]>([
    ['load balancer only: the rest is the rule\'s', { loadBalancer: { simple: 'RANDOM' } }, { lbPolicy: 'RANDOM', circuitBreakers: { thresholds: [{ maxConnections: 3, maxRetries: 1024 }] }, outlierDetection: { consecutiveGatewayFailure: 2 } }],
    ['connection pool: replaces the thresholds as a whole', { connectionPool: { http: { http1MaxPendingRequests: 9 } } }, { lbPolicy: 'LEAST_REQUEST', circuitBreakers: { thresholds: [{ maxPendingRequests: 9, maxRetries: 1024 }] } }],
    ['outlier detection: replaces the rule\'s', { outlierDetection: { consecutiveErrors: 7 } }, { outlierDetection: { consecutiveGatewayFailure: 7 } }],
  ])('%s', (_, subset, expected) => {
    const d = outbound();
    applyTrafficPolicy(d, rule, { mesh: MESH, port: HTTP });
    applyTrafficPolicy(d, subset, { mesh: MESH, port: HTTP });
    expectFields(dump(d), expected);
  });
});

describe('h2UpgradePolicy', () => {
  it.each<[string, 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE' | undefined, MeshConfig['h2UpgradePolicy'], boolean]>([
    ['UPGRADE on the rule', 'UPGRADE', undefined, true],
    ['DEFAULT follows the mesh (UPGRADE)', 'DEFAULT', 'UPGRADE', true],
    ['DEFAULT follows the mesh (unset)', undefined, undefined, false],
    ['DO_NOT_UPGRADE beats the mesh', 'DO_NOT_UPGRADE', 'UPGRADE', false],
  ])('%s', (_, policy, meshPolicy, upgraded) => {
    const mesh = { ...MESH, ...(meshPolicy ? { h2UpgradePolicy: meshPolicy } : {}) };
    const d = outbound();
    applyTrafficPolicy(d, { connectionPool: { http: policy ? { h2UpgradePolicy: policy } : {} } }, { mesh, port: HTTP });
    expect(d.protocol).toBe(upgraded ? 'http2' : 'http1');
  });
});
