import type { Cluster__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { SimpleHost, prioritySetFromHosts } from './host.js';
import { LeastRequestLoadBalancer } from './least-request.js';
import type { LoadBalancer } from './load-balancer.js';
import { MaglevLoadBalancer } from './maglev.js';
import { RandomLoadBalancer } from './random.js';
import { LoadBalancerRegistry, defaultLoadBalancers, type LbClusterConfig } from './registry.js';
import { RingHashLoadBalancer } from './ring-hash.js';
import { RoundRobinLoadBalancer } from './round-robin.js';

// A decoded Cluster must be accepted as it is (compile-time check).
export const acceptsDecodedCluster = (c: Cluster__Output): LbClusterConfig => c;

describe('defaultLoadBalancers', () => {
  it('registers Envoy\'s five built-in policies', () => {
    expect(defaultLoadBalancers().policies().sort()).toEqual(['LEAST_REQUEST', 'MAGLEV', 'RANDOM', 'RING_HASH', 'ROUND_ROBIN']);
  });

  it.each([
    [{}, RoundRobinLoadBalancer],
    [{ lb_policy: 'ROUND_ROBIN' }, RoundRobinLoadBalancer],
    [{ lb_policy: 'LEAST_REQUEST' }, LeastRequestLoadBalancer],
    [{ lb_policy: 'RANDOM' }, RandomLoadBalancer],
    [{ lb_policy: 'RING_HASH' }, RingHashLoadBalancer],
    [{ lb_policy: 'MAGLEV' }, MaglevLoadBalancer],
    [{ lb_policy: 2 }, RingHashLoadBalancer],
    [{ lb_policy: 5 }, MaglevLoadBalancer],
  ] as [LbClusterConfig, abstract new (...args: never[]) => LoadBalancer][])('builds %j', (config, ctor) => {
    const r = defaultLoadBalancers().create(config);
    expect(r.errors).toEqual([]);
    expect(r.value).toBeInstanceOf(ctor);
  });

  it.each([
    [{ lb_policy: 'CLUSTER_PROVIDED' }, 'lb_policy'],
    [{ lb_policy: 4 }, 'lb_policy'],
    [{ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: '4096' }, maximum_ring_size: { value: '1024' } } }, 'ring_hash_lb_config'],
    [{ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: '9000000' } } }, 'ring_hash_lb_config.minimum_ring_size'],
    [{ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: 'lots' } } }, 'ring_hash_lb_config.minimum_ring_size'],
    [{ lb_policy: 'RING_HASH', ring_hash_lb_config: { hash_function: 'MURMUR_HASH_2' } }, 'ring_hash_lb_config.hash_function'],
    [{ lb_policy: 'LEAST_REQUEST', least_request_lb_config: { choice_count: { value: 1 } } }, 'least_request_lb_config.choice_count'],
    [{ lb_policy: 'MAGLEV', maglev_lb_config: { table_size: { value: '65536' } } }, 'maglev_lb_config.table_size'],
    [{ lb_policy: 'MAGLEV', maglev_lb_config: { table_size: { value: '5000101' } } }, 'maglev_lb_config.table_size'],
    [{ common_lb_config: { healthy_panic_threshold: { value: 101 } } }, 'common_lb_config.healthy_panic_threshold.value'],
  ] as [LbClusterConfig, string][])('rejects %j at %s', (config, path) => {
    const r = defaultLoadBalancers().create(config);
    expect(r.value).toBeUndefined();
    expect(r.errors.map((e) => e.path)).toContain(path);
  });

  it('reads wrapped sizes given as decimal strings', () => {
    const r = defaultLoadBalancers().create({ lb_policy: 'RING_HASH', ring_hash_lb_config: { minimum_ring_size: { value: '2048' }, maximum_ring_size: { value: '4096' } } });
    expect(r.errors).toEqual([]);
  });

  it('passes common_lb_config.healthy_panic_threshold to the balancer', () => {
    const hosts = [new SimpleHost('a', 80, { healthy: false }), new SimpleHost('b', 80)];
    const pick = (threshold: number) => {
      const lb = defaultLoadBalancers().create({ common_lb_config: { healthy_panic_threshold: { value: threshold } } }).value!;
      lb.update(prioritySetFromHosts(hosts));
      return new Set(Array.from({ length: 4 }, () => lb.chooseHost({ random: Math.random })?.address));
    };
    // 50% healthy: not in panic at the default 50, in panic at 60.
    expect(pick(50)).toEqual(new Set(['b']));
    expect(pick(60)).toEqual(new Set(['a', 'b']));
  });

  it('passes the seed as the round-robin start offset', () => {
    const lb = defaultLoadBalancers().create({}, { seed: 1 }).value!;
    lb.update(prioritySetFromHosts([new SimpleHost('a', 80), new SimpleHost('b', 80)]));
    expect(lb.chooseHost({ random: Math.random })?.address).toBe('b');
  });

  it('returns independent registries', () => {
    const mine = defaultLoadBalancers().register('CUSTOM', () => ({ errors: [], warnings: [] }));
    expect(mine.get('CUSTOM')).toBeDefined();
    expect(defaultLoadBalancers().get('CUSTOM')).toBeUndefined();
    expect(new LoadBalancerRegistry().policies()).toEqual([]);
  });
});
