import { loadProtoRegistry } from '@weft/api';
import { formatIssues } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { compileRouteConfiguration, routeConfigurationFromJson } from '../../../../router/index.js';
import { RouteStore } from '../../../../rds/route-store.js';
import { routeTableOptions } from '../route-table-options.js';
import { HTTP_FAULT_TYPE_URL } from './fault-config.js';

const registry = loadProtoRegistry();

const fault = (config: object) => ({ '@type': HTTP_FAULT_TYPE_URL, ...config });
const FILTER = 'envoy.filters.http.fault';

function decoded(json: object) {
  const rc = routeConfigurationFromJson(registry, json);
  if (!rc.value) throw new Error(formatIssues(rc.errors));
  return rc.value;
}

/** A route configuration whose one route carries this per-route fault config (and optionally its virtual host or weighted entry). */
function withRouteFault(config: object, where: 'route' | 'virtualHost' | 'routeConfig' | 'weightedCluster' = 'route') {
  const typed = { typed_per_filter_config: { [FILTER]: fault(config) } };
  const action = where === 'weightedCluster' ? { weighted_clusters: { clusters: [{ name: 'c', weight: 1, ...typed }] } } : { cluster: 'c' };
  return decoded({
    name: 'rc',
    ...(where === 'routeConfig' ? typed : {}),
    virtual_hosts: [{ name: 'vh', domains: ['*'], ...(where === 'virtualHost' ? typed : {}), routes: [{ match: { prefix: '/' }, route: action, ...(where === 'route' ? typed : {}) }] }],
  });
}

const errorsOf = (rc: ReturnType<typeof decoded>) => compileRouteConfiguration(rc, routeTableOptions(registry)).errors.map((e) => `${e.path}: ${e.message}`);

describe('per-route HTTPFault in typed_per_filter_config', () => {
  const at = `virtual_hosts[0].routes[0].typed_per_filter_config.${FILTER}`;

  it.each([
    ['an abort status outside [200, 600)', { abort: { http_status: 700, percentage: { numerator: 100 } } }, `${at}.abort.http_status: 700 is not in [200, 600)`],
    ['an abort status of 100', { abort: { http_status: 100, percentage: { numerator: 100 } } }, `${at}.abort.http_status: 100 is not in [200, 600)`],
    ['an abort without a type', { abort: { percentage: { numerator: 100 } } }, `${at}.abort: one of http_status, grpc_status and header_abort is required`],
    ['a delay without a type', { delay: { percentage: { numerator: 100 } } }, `${at}.delay: one of fixed_delay and header_delay is required`],
    ['an unknown percentage denominator', { abort: { http_status: 503, percentage: { numerator: 1, denominator: 7 } } }, `${at}.abort.percentage.denominator: unknown denominator 7`],
  ])('NACKs %s with its path', (_what, config, expected) => {
    expect(errorsOf(withRouteFault(config))).toEqual([expected]);
  });

  it.each([
    ['virtualHost', `virtual_hosts[0].typed_per_filter_config.${FILTER}.abort.http_status`],
    ['routeConfig', `typed_per_filter_config.${FILTER}.abort.http_status`],
    ['weightedCluster', `virtual_hosts[0].routes[0].route.weighted_clusters.clusters[0].typed_per_filter_config.${FILTER}.abort.http_status`],
  ] as const)('checks the %s level too', (where, path) => {
    const errors = compileRouteConfiguration(withRouteFault({ abort: { http_status: 42 } }, where), routeTableOptions(registry)).errors;
    expect(errors.map((e) => e.path)).toEqual([path]);
  });

  it('accepts a valid one', () => {
    expect(errorsOf(withRouteFault({ abort: { http_status: 503, percentage: { numerator: 50 } }, delay: { fixed_delay: '0.1s', percentage: { numerator: 10, denominator: 'TEN_THOUSAND' } } }))).toEqual([]);
  });

  it('fails the RDS update as a whole, naming the route configuration and the field', () => {
    const store = new RouteStore(routeTableOptions(registry));
    const good = decoded({ name: 'good', virtual_hosts: [{ name: 'vh', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }] });
    const bad = { ...withRouteFault({ abort: { http_status: 600 } }), name: 'bad' };
    const nack = store.apply([good, bad], []);
    expect(nack).toContain(`route config bad: ${at}.abort.http_status: 600 is not in [200, 600)`);
    expect(store.has('good')).toBe(false);
  });
});
