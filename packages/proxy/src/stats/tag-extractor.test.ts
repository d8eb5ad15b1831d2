import { describe, expect, it } from 'vitest';
import {
  compileEnvoyRegex,
  ENVOY_DEFAULT_TAG_SPECIFIERS,
  regexPrefix,
  TagProducer,
  type Tag,
  type TagProducerOptions,
} from './tag-extractor.js';

function producer(options: TagProducerOptions = {}): TagProducer {
  const p = TagProducer.create(options);
  if (!(p instanceof TagProducer)) throw new Error(JSON.stringify(p));
  return p;
}

const t = (name: string, value: string): Tag => ({ name: `envoy.${name}`, value });
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

describe('default tag extraction (Envoy defaults, Istio-style cluster names and HTTP prefixes)', () => {
  const p = producer();
  it.each<[string, string, Tag[]]>([
    [`cluster.outbound|80|v1|web.default.svc.cluster.local.upstream_rq_total`, 'cluster.upstream_rq_total', [t('cluster_name', 'outbound|80|v1|web.default.svc.cluster.local')]],
    [`cluster.${REVIEWS}.upstream_rq_200`, 'cluster.upstream_rq', [t('response_code', '200'), t('cluster_name', REVIEWS)]],
    [`cluster.${REVIEWS}.upstream_rq_2xx`, 'cluster.upstream_rq_xx', [t('response_code_class', '2'), t('cluster_name', REVIEWS)]],
    [`cluster.${REVIEWS}.circuit_breakers.default.cx_open`, 'cluster.circuit_breakers.default.cx_open', [t('cluster_name', REVIEWS)]],
    [`cluster.${REVIEWS}.zone.us-east.us-west.upstream_rq_200`, 'cluster.zone.us-east.us-west.upstream_rq', [t('response_code', '200'), t('cluster_name', REVIEWS)]],
    ['cluster.inbound|9080|http|reviews.default.svc.cluster.local.upstream_cx_active', 'cluster.upstream_cx_active', [t('cluster_name', 'inbound|9080|http|reviews.default.svc.cluster.local')]],
    ['cluster.xds-grpc.upstream_cx_active', 'cluster.upstream_cx_active', [t('cluster_name', 'xds-grpc')]],
    ['cluster.BlackHoleCluster.upstream_cx_total', 'cluster.upstream_cx_total', [t('cluster_name', 'BlackHoleCluster')]],
    // Outside the mesh domain a dotted host is cut at its first dot, exactly as with Istio's regex.
    ['cluster.outbound|443||www.google.com.upstream_rq_total', 'cluster.google.com.upstream_rq_total', [t('cluster_name', 'outbound|443||www')]],
    ['listener.0.0.0.0_15001.downstream_cx_total', 'listener.downstream_cx_total', [t('listener_address', '0.0.0.0_15001')]],
    ['listener.[__1]_80.downstream_cx_total', 'listener.downstream_cx_total', [t('listener_address', '[__1]_80')]],
    ['listener.0.0.0.0_80.http.0.0.0.0_80.downstream_rq_2xx', 'listener.http.downstream_rq_xx', [t('response_code_class', '2'), t('http_conn_manager_prefix', '0.0.0.0_80'), t('listener_address', '0.0.0.0_80')]],
    ['http.0.0.0.0_80.downstream_rq_total', 'http.downstream_rq_total', [t('http_conn_manager_prefix', '0.0.0.0_80')]],
    ['http.inbound_0.0.0.0_9080.downstream_rq_2xx', 'http.downstream_rq_xx', [t('response_code_class', '2'), t('http_conn_manager_prefix', 'inbound_0.0.0.0_9080')]],
    ['http.10.1.0.10_9080.rds.inbound|9080||.config_reload', 'http.rds.config_reload', [t('http_conn_manager_prefix', '10.1.0.10_9080'), t('rds_route_config', 'inbound|9080||')]],
    ['http.admin.downstream_rq_200', 'http.downstream_rq', [t('response_code', '200'), t('http_conn_manager_prefix', 'admin')]],
    ['http.0.0.0.0_80.fault.productpage.aborts_injected', 'http.fault.aborts_injected', [t('fault_downstream_cluster', 'productpage'), t('http_conn_manager_prefix', '0.0.0.0_80')]],
    ['http.0.0.0.0_80.user_agent.ios.downstream_cx_total', 'http.user_agent.downstream_cx_total', [t('http_user_agent', 'ios'), t('http_conn_manager_prefix', '0.0.0.0_80')]],
    ['vhost.reviews.vcluster.other.upstream_rq_200', 'vhost.vcluster.upstream_rq', [t('response_code', '200'), t('virtual_cluster', 'other'), t('virtual_host', 'reviews')]],
    ['tcp.outbound|9000||tcp-echo.weather.svc.cluster.local.downstream_cx_total', 'tcp.downstream_cx_total', [t('tcp_prefix', 'outbound|9000||tcp-echo.weather.svc.cluster.local')]],
    ['listener_manager.worker_3.dispatcher.loop_duration_us', 'listener_manager.dispatcher.loop_duration_us', [t('worker_id', 'worker_3')]],
    ['cluster.x.ssl.ciphers.ECDHE-RSA-AES128-GCM-SHA256', 'cluster.ssl.ciphers', [{ name: 'cipher_suite', value: 'ECDHE-RSA-AES128-GCM-SHA256' }, t('cluster_name', 'x')]],
    ['listener.0.0.0.0_443.ssl.cipher.AES128-SHA', 'listener.ssl.cipher', [t('ssl_cipher', 'AES128-SHA'), t('listener_address', '0.0.0.0_443')]],
    ['server.live', 'server.live', []],
    ['cluster_manager.cds.update_success', 'cluster_manager.cds.update_success', []],
  ])('%s → %s', (name, extractedName, tags) => {
    expect(p.produceTags(name)).toEqual({ extractedName, tags });
  });
});

describe("Envoy's exact built-ins (no Istio adjustments)", () => {
  const p = producer({ defaults: ENVOY_DEFAULT_TAG_SPECIFIERS });
  it.each<[string, string, Tag[]]>([
    // What a bare Envoy prints for Istio names: the reason Istio ships its own stats_tags.
    [`cluster.${REVIEWS}.upstream_rq_total`, 'cluster.default.svc.cluster.local.upstream_rq_total', [t('cluster_name', 'outbound|9080||reviews')]],
    ['http.0.0.0.0_80.downstream_rq_total', 'http.0.0.0_80.downstream_rq_total', [t('http_conn_manager_prefix', '0')]],
    ['listener.0.0.0.0_15001.downstream_cx_total', 'listener.downstream_cx_total', [t('listener_address', '0.0.0.0_15001')]],
  ])('%s → %s', (name, extractedName, tags) => {
    expect(p.produceTags(name)).toEqual({ extractedName, tags });
  });
});

describe('configured stats_tags', () => {
  it('use_all_default_tags=false with custom regexes extracts only those (Istio 1.1 bootstrap style)', () => {
    const p = producer({
      useAllDefaultTags: false,
      statsTags: [
        { tagName: 'cluster_name', regex: String.raw`^cluster\.((.+?(\..+?\.svc\.cluster\.local)?)\.)` },
        { tagName: 'response_code', regex: String.raw`_rq(_(\d{3}))$` },
        { tagName: 'listener_address', regex: String.raw`^listener\.(((?:[_.[:digit:]]*|[_\[\]aAbBcCdDeEfF[:digit:]]*))\.)` },
      ],
    });
    expect(p.produceTags(`cluster.${REVIEWS}.upstream_rq_503`)).toEqual({
      extractedName: 'cluster.upstream_rq',
      tags: [
        { name: 'response_code', value: '503' },
        { name: 'cluster_name', value: REVIEWS },
      ],
    });
    expect(p.produceTags('http.0.0.0.0_80.downstream_rq_2xx')).toEqual({ extractedName: 'http.0.0.0.0_80.downstream_rq_2xx', tags: [] });
  });

  it('a fixed_value tag is added to every stat and removes nothing', () => {
    const p = producer({ useAllDefaultTags: false, statsTags: [{ tagName: 'mesh', fixedValue: 'prod' }] });
    expect(p.produceTags('server.live')).toEqual({ extractedName: 'server.live', tags: [{ name: 'mesh', value: 'prod' }] });
  });

  it('a stats_tag without regex names a built-in extractor', () => {
    const p = producer({ useAllDefaultTags: false, statsTags: [{ tagName: 'envoy.response_code' }] });
    expect(p.produceTags('cluster.a.upstream_rq_404')).toEqual({ extractedName: 'cluster.a.upstream_rq', tags: [t('response_code', '404')] });
  });

  it('with several extractors of one tag name, the first that matches wins', () => {
    const p = producer({
      useAllDefaultTags: false,
      statsTags: [
        { tagName: 'svc', regex: String.raw`^svc\.((\d+)\.)` },
        { tagName: 'svc', regex: String.raw`^svc\.((.*?)\.)` },
      ],
    });
    expect(p.produceTags('svc.42.hits').tags).toEqual([{ name: 'svc', value: '42' }]);
    expect(p.produceTags('svc.web.hits').tags).toEqual([{ name: 'svc', value: 'web' }]);
  });

  it('a regex with a single group uses it as both the removed text and the value', () => {
    const p = producer({ useAllDefaultTags: false, statsTags: [{ tagName: 'code', regex: String.raw`_(\d{3})$` }] });
    expect(p.produceTags('x.rq_200')).toEqual({ extractedName: 'x.rq_', tags: [{ name: 'code', value: '200' }] });
  });

  it('an alternative group that did not take part yields an empty value and removes nothing (as std::regex)', () => {
    const p = producer({ useAllDefaultTags: false, statsTags: [{ tagName: 'rc', regex: String.raw`(rc=(.+?);)|_rq(_(\d{3}))$` }] });
    expect(p.produceTags('x.upstream_rq_200')).toEqual({ extractedName: 'x.upstream_rq_200', tags: [{ name: 'rc', value: '' }] });
  });

  it.each([
    [{ statsTags: [{ tagName: '' }] }, 'tag_name cannot be empty'],
    [{ statsTags: [{ tagName: 'nope' }] }, "no regex specified for tag specifier and no default regex for name 'nope'"],
    [{ statsTags: [{ tagName: 'x', regex: '(unclosed' }] }, /invalid regex '\(unclosed'/],
    [{ statsTags: [{ tagName: 'x', regex: '[[:bogus:]]' }] }, /unsupported character class/],
  ] as const)('rejects %j', (options, message) => {
    const r = TagProducer.create(options);
    expect(r).toEqual([{ index: 0, message: expect.stringMatching(message) }]);
  });
});

describe('Envoy regex dialect', () => {
  it.each([
    [String.raw`^x\.([[:digit:]]+)$`, 'x.123', true],
    [String.raw`^x\.([[:digit:]]+)$`, 'x.12a', false],
    [String.raw`^([[:alpha:]_]+)$`, 'ab_c', true],
    [String.raw`^([[:xdigit:]]+)$`, 'deadBEEF09', true],
    [String.raw`^([[:xdigit:]]+)$`, 'xyz', false],
    [String.raw`^a(?=\.)`, 'a.b', true],
  ])('%s on %s: %s', (source, input, expected) => {
    const re = compileEnvoyRegex(source);
    if (typeof re === 'string') throw new Error(re);
    expect(re.test(input)).toBe(expected);
  });

  it.each([
    [String.raw`^cluster\.((.*?)\.)`, 'cluster'],
    [String.raw`^listener(?=\.).*?\.http\.((.*?)\.)`, 'listener'],
    [String.raw`^listener_manager\.((worker_\d+)\.)`, 'listener_manager'],
    [String.raw`^tcp$`, 'tcp'],
    [String.raw`_rq(_(\d{3}))$`, ''],
    [String.raw`^(cluster)\.`, ''],
    [String.raw`^cluster`, ''],
  ])('the literal prefix of %s is %j', (regex, prefix) => {
    expect(regexPrefix(regex)).toBe(prefix);
  });
});
