import { describe, expect, it } from 'vitest';
import { grpcTargetOf } from './sds-target.js';

const cluster = (address: object) => ({ load_assignment: { endpoints: [{ lb_endpoints: [{ endpoint: { address } }] }] } });

describe('grpcTargetOf', () => {
  it.each([
    ["Istio's relative pipe", { pipe: { path: './etc/istio/proxy/SDS' } }, 'unix:./etc/istio/proxy/SDS'],
    ['an absolute pipe', { pipe: { path: '/var/run/sds' } }, 'unix:/var/run/sds'],
    ['an abstract socket', { pipe: { path: '@sds' } }, 'unix-abstract:sds'],
    ['a socket address', { socket_address: { address: '127.0.0.1', port_value: 8080 } }, '127.0.0.1:8080'],
    ['an IPv6 socket address', { socket_address: { address: '::1', port_value: 8080 } }, '[::1]:8080'],
  ])('maps %s', (_what, address, target) => {
    expect(grpcTargetOf(cluster(address))).toBe(target);
  });

  it('is undefined for a cluster without endpoints', () => {
    expect(grpcTargetOf({})).toBeUndefined();
  });
});
