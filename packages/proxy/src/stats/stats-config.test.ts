import { loadProtoRegistry, type Bootstrap__Output } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { statsAsPrometheus } from './prometheus.js';
import { StatStore } from './stat-store.js';
import { statStoreOptionsFromConfig, type StatsConfig } from './stats-config.js';

const BOOTSTRAP = 'envoy.config.bootstrap.v3.Bootstrap';

/** A bootstrap's stats_config exactly as the proxy sees it: proto3 JSON → encode → decode. */
function statsConfig(json: Record<string, unknown>): StatsConfig {
  const registry = loadProtoRegistry();
  const { value, issues } = registry.readJson(BOOTSTRAP, { stats_config: json });
  if (!value) throw new Error(JSON.stringify(issues));
  const decoded = registry.decode<Bootstrap__Output>(BOOTSTRAP, registry.encode(BOOTSTRAP, value));
  if (!decoded.stats_config) throw new Error('stats_config lost in decoding');
  return decoded.stats_config;
}

function storeFrom(json: Record<string, unknown>): StatStore {
  const r = statStoreOptionsFromConfig(statsConfig(json));
  if (!r.value) throw new Error(JSON.stringify(r.errors));
  return new StatStore(r.value);
}

const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

// The stats_config of Istio 1.1's envoy_bootstrap_v2.json template.
const ISTIO_1_1 = {
  use_all_default_tags: false,
  stats_tags: [
    { tag_name: 'cluster_name', regex: String.raw`^cluster\.((.+?(\..+?\.svc\.cluster\.local)?)\.)` },
    { tag_name: 'tcp_prefix', regex: String.raw`^tcp\.((.*?)\.)\w+?$` },
    { tag_name: 'response_code', regex: String.raw`_rq(_(\d{3}))$` },
    { tag_name: 'response_code_class', regex: String.raw`_rq(_(\dxx))$` },
    { tag_name: 'http_conn_manager_listener_prefix', regex: String.raw`^listener(?=\.).*?\.http\.(((?:[_.[:digit:]]*|[_\[\]aAbBcCdDeEfF[:digit:]]*))\.)` },
    { tag_name: 'http_conn_manager_prefix', regex: String.raw`^http\.(((?:[_.[:digit:]]*|[_\[\]aAbBcCdDeEfF[:digit:]]*))\.)` },
    { tag_name: 'listener_address', regex: String.raw`^listener\.(((?:[_.[:digit:]]*|[_\[\]aAbBcCdDeEfF[:digit:]]*))\.)` },
  ],
};

describe('statStoreOptionsFromConfig', () => {
  it('without stats_config uses the defaults (Envoy tag names, whole Istio cluster names)', () => {
    const r = statStoreOptionsFromConfig(null);
    const store = new StatStore(r.value);
    store.counter(`cluster.${REVIEWS}.upstream_rq_total`).inc();
    expect(statsAsPrometheus(store)).toContain(`envoy_cluster_upstream_rq_total{envoy_cluster_name="${REVIEWS}"} 1`);
  });

  it("reproduces Istio 1.1's labels from its bootstrap stats_tags", () => {
    const store = storeFrom(ISTIO_1_1);
    store.counter(`cluster.${REVIEWS}.upstream_rq_200`).add(2);
    store.counter(`cluster.${REVIEWS}.upstream_rq_2xx`).add(2);
    store.counter('http.10.1.0.10_9080.downstream_rq_total').add(5);
    store.counter('tcp.outbound|9000||tcp-echo.weather.svc.cluster.local.downstream_cx_total').add(1);
    const text = statsAsPrometheus(store);
    expect(text).toContain(`envoy_cluster_upstream_rq{response_code="200",cluster_name="${REVIEWS}"} 2`);
    expect(text).toContain(`envoy_cluster_upstream_rq{response_code_class="2xx",cluster_name="${REVIEWS}"} 2`);
    expect(text).toContain('envoy_http_downstream_rq_total{http_conn_manager_prefix="10.1.0.10_9080"} 5');
    expect(text).toContain('envoy_tcp_downstream_cx_total{tcp_prefix="outbound|9000||tcp-echo.weather.svc.cluster.local"} 1');
  });

  it('adds stats_tags after the defaults when use_all_default_tags is left on, including fixed values', () => {
    const store = storeFrom({ stats_tags: [{ tag_name: 'mesh_id', fixed_value: 'm1' }] });
    store.gauge('server.live').set(1);
    store.counter(`cluster.${REVIEWS}.upstream_rq_total`).inc();
    const text = statsAsPrometheus(store);
    expect(text).toContain('envoy_server_live{mesh_id="m1"} 1');
    expect(text).toContain(`envoy_cluster_upstream_rq_total{mesh_id="m1",envoy_cluster_name="${REVIEWS}"} 1`);
  });

  it('applies an inclusion-list stats_matcher (Istio 1.3 style)', () => {
    const store = storeFrom({
      stats_matcher: {
        inclusion_list: { patterns: [{ prefix: 'cluster_manager' }, { prefix: 'listener_manager' }, { prefix: 'server' }, { prefix: 'cluster.xds-grpc' }] },
      },
    });
    store.counter('cluster.xds-grpc.upstream_rq_total').inc();
    store.counter(`cluster.${REVIEWS}.upstream_rq_total`).inc();
    store.gauge('server.live').set(1);
    expect([...store.counters()].map((c) => c.name)).toEqual(['cluster.xds-grpc.upstream_rq_total']);
  });

  it.each([
    [{ stats_matcher: { reject_all: true } }, 'server.live', false],
    [{ stats_matcher: { exclusion_list: { patterns: [{ suffix: '_total' }] } } }, 'cluster.a.upstream_rq_total', false],
    [{ stats_matcher: { exclusion_list: { patterns: [{ suffix: '_total' }] } } }, 'cluster.a.upstream_rq_200', true],
    [{ stats_matcher: { inclusion_list: { patterns: [{ safe_regex: { regex: String.raw`cluster\..*\.upstream_rq_\d+` } }] } } }, 'cluster.a.upstream_rq_200', true],
    [{ stats_matcher: { inclusion_list: { patterns: [{ exact: 'SERVER.LIVE', ignore_case: true }] } } }, 'server.live', true],
  ])('stats_matcher %j keeps %s: %s', (json, name, kept) => {
    const store = storeFrom(json);
    store.counter(name);
    expect([...store.counters()].map((c) => c.name)).toEqual(kept ? [name] : []);
  });

  it('applies histogram_bucket_settings', () => {
    const store = storeFrom({ histogram_bucket_settings: [{ match: { suffix: '_rq_time' }, buckets: [100, 1, 10] }] });
    expect(store.histogram(`cluster.${REVIEWS}.upstream_rq_time`).bounds).toEqual([1, 10, 100]);
  });

  it('collects every problem with its path', () => {
    const r = statStoreOptionsFromConfig(
      statsConfig({
        use_all_default_tags: false,
        stats_tags: [{ tag_name: 'ok', regex: String.raw`^ok\.((.*?)\.)` }, { tag_name: 'unknown' }, { tag_name: 'bad', regex: '(' }],
        stats_matcher: { inclusion_list: { patterns: [{ safe_regex: { regex: '[' } }] } },
        histogram_bucket_settings: [{ match: { prefix: 'x' }, buckets: [-1] }],
      }),
    );
    expect(r.value).toBeUndefined();
    expect(r.errors.map((e) => e.path)).toEqual([
      'stats_config.stats_tags[1]',
      'stats_config.stats_tags[2]',
      'stats_config.stats_matcher',
      'stats_config.histogram_bucket_settings[0].buckets',
    ]);
    expect(r.errors[0]?.message).toMatch(/no default regex for name 'unknown'/);
    expect(r.errors[2]?.message).toMatch(/inclusion_list.patterns\[0\]: invalid regex/);
  });
});
