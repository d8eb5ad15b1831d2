import { loadProtoRegistry, type Cluster__Output, type ClusterLoadAssignment__Output } from '@weft/api';
import { silentLogger } from '@weft/base';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defaultLoadBalancers } from '../load-balancer/index.js';
import { StatStore } from '../stats/stat-store.js';
import { ClusterManager } from './cluster-manager.js';

const registry = loadProtoRegistry();
const decode = <T>(name: string, json: object): T => registry.decode<T>(name, registry.encode(name, registry.readJson(name, json).value!));
const edsCluster = (name: string, lbPolicy = 'ROUND_ROBIN') =>
  decode<Cluster__Output>('envoy.config.cluster.v3.Cluster', { name, type: 'EDS', lbPolicy, edsClusterConfig: { edsConfig: { ads: {} }, serviceName: name } });
const assignment = (name: string, ...ips: string[]) =>
  decode<ClusterLoadAssignment__Output>('envoy.config.endpoint.v3.ClusterLoadAssignment', {
    clusterName: name,
    endpoints: [{ lbEndpoints: ips.map((ip) => ({ endpoint: { address: { socketAddress: { address: ip, portValue: 80 } } } })) }],
  });

let cm: ClusterManager | undefined;
afterEach(() => {
  cm?.close();
  vi.useRealTimers();
});

describe('cluster warming', () => {
  it('a new EDS cluster is not active until its first endpoints arrive, but is subscribed', () => {
    cm = new ClusterManager(registry, defaultLoadBalancers(), new StatStore(), silentLogger());
    expect(cm.apply([edsCluster('outbound|80||web')], [])).toBeUndefined();
    expect(cm.get('outbound|80||web')).toBeUndefined();
    expect(cm.warming().map((c) => c.name)).toEqual(['outbound|80||web']);
    expect(cm.edsNames()).toEqual(['outbound|80||web']);
    let warmed = 0;
    cm.onWarm(() => warmed++);
    cm.applyAssignments([assignment('outbound|80||web', '10.0.0.1')]);
    expect(cm.warming()).toEqual([]);
    expect(cm.get('outbound|80||web')?.allHosts().map((h) => h.address)).toEqual(['10.0.0.1']);
    expect(warmed).toBe(1);
  });

  it('a changed cluster keeps the old one serving until the new one is warm (endpoints already known: no wait)', () => {
    cm = new ClusterManager(registry, defaultLoadBalancers(), new StatStore(), silentLogger());
    cm.apply([edsCluster('c')], []);
    cm.applyAssignments([assignment('c', '10.0.0.1')]);
    const first = cm.get('c');
    // Known endpoints: the replacement is warm at once and takes over.
    cm.apply([edsCluster('c', 'RANDOM')], []);
    expect(cm.get('c')).not.toBe(first);
    expect(cm.get('c')?.config.lb_policy).toBe('RANDOM');
    expect(cm.warming()).toEqual([]);
  });

  it('goes active without endpoints after the initial fetch timeout', () => {
    vi.useFakeTimers();
    cm = new ClusterManager(registry, defaultLoadBalancers(), new StatStore(), silentLogger());
    cm.apply([edsCluster('slow')], []);
    vi.advanceTimersByTime(14_999);
    expect(cm.get('slow')).toBeUndefined();
    vi.advanceTimersByTime(1);
    expect(cm.get('slow')?.allHosts()).toEqual([]);
  });

  it('a removed warming cluster is dropped', () => {
    cm = new ClusterManager(registry, defaultLoadBalancers(), new StatStore(), silentLogger());
    cm.apply([edsCluster('gone')], []);
    cm.apply([], ['gone']);
    expect(cm.warming()).toEqual([]);
    expect(cm.edsNames()).toEqual([]);
  });
});
