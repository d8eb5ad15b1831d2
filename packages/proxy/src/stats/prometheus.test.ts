import { describe, expect, it } from 'vitest';
import { escapeLabelValue, formatLabels, metricName, statsAsPrometheus } from './prometheus.js';
import { StatStore } from './stat-store.js';
import { TagProducer } from './tag-extractor.js';

// ---- a strict reader of the Prometheus text exposition format 0.0.4, enough to fail on any slip ----
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}
interface Family {
  readonly name: string;
  readonly type: string;
  readonly samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function parseValue(text: string, line: number): number {
  if (text === 'NaN') return Number.NaN;
  if (text === '+Inf') return Number.POSITIVE_INFINITY;
  if (text === '-Inf') return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value '${text}'`);
  return Number(text);
}

function parseLabels(text: string, line: number): { labels: Record<string, string>; rest: string } {
  const labels: Record<string, string> = {};
  let i = 0;
  for (;;) {
    if (text[i] === '}') return { labels, rest: text.slice(i + 1) };
    const eq = text.indexOf('=', i);
    if (eq < 0) throw new Error(`line ${line}: unterminated labels`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) throw new Error(`line ${line}: bad label name '${name}'`);
    if (name in labels) throw new Error(`line ${line}: duplicate label '${name}'`);
    if (text[eq + 1] !== '"') throw new Error(`line ${line}: label value must be quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\n') throw new Error(`line ${line}: raw newline in label value`);
      if (text[j] !== '\\') {
        value += text[j];
        continue;
      }
      const next = text[++j];
      if (next === '\\') value += '\\';
      else if (next === '"') value += '"';
      else if (next === 'n') value += '\n';
      else throw new Error(`line ${line}: bad escape \\${next ?? ''}`);
    }
    if (j >= text.length) throw new Error(`line ${line}: unterminated label value`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') throw new Error(`line ${line}: expected , or } after label`);
  }
}

function familyOf(sampleName: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sampleName.endsWith(suffix)) continue;
    const f = families.get(sampleName.slice(0, -suffix.length));
    if (f && f.type === 'histogram') return f;
  }
  return undefined;
}

function parsePrometheus(text: string): Family[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('output must end with a newline');
  const families = new Map<string, Family>();
  const order: Family[] = [];
  let current: Family | undefined;
  text.split('\n').forEach((raw, idx) => {
    const line = idx + 1;
    if (raw === '') return;
    if (raw.startsWith('#')) {
      const m = /^# (TYPE|HELP) (\S+) (.*)$/.exec(raw);
      if (!m) return;
      const [, kind, name = '', rest = ''] = m;
      if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name '${name}'`);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest)) throw new Error(`line ${line}: unknown type '${rest}'`);
        if (families.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
        current = { name, type: rest, samples: [] };
        families.set(name, current);
        order.push(current);
      }
      return;
    }
    const nameEnd = raw.search(/[{ ]/);
    const name = nameEnd < 0 ? raw : raw.slice(0, nameEnd);
    if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name '${name}'`);
    let rest = raw.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) ({ labels, rest } = parseLabels(rest.slice(1), line));
    const parts = rest.trim().split(' ');
    if (!rest.startsWith(' ') || parts.length < 1 || parts.length > 2) throw new Error(`line ${line}: expected ' value [timestamp]'`);
    const family = familyOf(name, families);
    if (!family) throw new Error(`line ${line}: sample ${name} has no preceding # TYPE`);
    if (family !== current) throw new Error(`line ${line}: samples of ${family.name} are not contiguous`);
    family.samples.push({ name, labels, value: parseValue(parts[0] ?? '', line) });
  });
  for (const f of order) if (f.type === 'histogram') checkHistogram(f);
  return order;
}

function checkHistogram(f: Family): void {
  const series = new Map<string, Sample[]>();
  for (const s of f.samples) {
    const { le: _le, ...rest } = s.labels;
    const key = JSON.stringify(rest);
    series.set(key, [...(series.get(key) ?? []), s]);
  }
  for (const [key, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    const sum = samples.find((s) => s.name === `${f.name}_sum`);
    if (!count || !sum || buckets.length === 0) throw new Error(`${f.name}${key}: needs _bucket, _sum and _count`);
    let prevLe = -Infinity;
    let prevCount = 0;
    for (const b of buckets) {
      const le = parseValue(b.labels['le'] ?? 'missing', 0);
      if (!(le > prevLe)) throw new Error(`${f.name}${key}: le values must increase`);
      if (b.value < prevCount) throw new Error(`${f.name}${key}: buckets must be cumulative`);
      prevLe = le;
      prevCount = b.value;
    }
    if (prevLe !== Number.POSITIVE_INFINITY) throw new Error(`${f.name}${key}: last bucket must be le="+Inf"`);
    if (prevCount !== count.value) throw new Error(`${f.name}${key}: +Inf bucket must equal _count`);
  }
}

describe('the test reader itself', () => {
  it.each([
    ['a sample without # TYPE', 'x 1\n'],
    ['a second # TYPE', '# TYPE x counter\nx 1\n# TYPE x counter\n'],
    ['non-contiguous samples', '# TYPE x counter\nx{a="1"} 1\n# TYPE y counter\ny 1\nx{a="2"} 1\n'],
    ['an unknown escape', '# TYPE x counter\nx{a="\\t"} 1\n'],
    ['an unquoted label value', '# TYPE x counter\nx{a=1} 1\n'],
    ['a bad label name', '# TYPE x counter\nx{a.b="1"} 1\n'],
    ['a duplicate label', '# TYPE x counter\nx{a="1",a="2"} 1\n'],
    ['a bad value', '# TYPE x counter\nx 1,5\n'],
    ['decreasing buckets', '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 1\nh_sum 1\nh_count 1\n'],
    ['a missing +Inf bucket', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_sum 1\nh_count 1\n'],
    ['+Inf differing from _count', '# TYPE h histogram\nh_bucket{le="+Inf"} 2\nh_sum 1\nh_count 1\n'],
  ])('rejects %s', (_what, text) => {
    expect(() => parsePrometheus(text)).toThrow();
  });
});

// ---- a proxy's worth of stats ----
const WEB = 'outbound|80|v1|web.default.svc.cluster.local';
const REVIEWS = 'outbound|9080||reviews.default.svc.cluster.local';

function populatedStore(): StatStore {
  const store = new StatStore();
  store.counter(`cluster.${WEB}.upstream_rq_total`).add(3);
  store.counter(`cluster.${WEB}.upstream_rq_200`).add(2);
  store.counter(`cluster.${WEB}.upstream_rq_503`).add(1);
  store.counter(`cluster.${WEB}.upstream_rq_2xx`).add(2);
  store.counter(`cluster.${WEB}.upstream_rq_5xx`).add(1);
  store.counter(`cluster.${REVIEWS}.upstream_rq_total`).add(7);
  store.counter('cluster.xds-grpc.upstream_cx_total').inc();
  store.counter('http.0.0.0.0_80.downstream_rq_2xx').add(4);
  store.counter('listener.0.0.0.0_15001.downstream_cx_total').add(9);
  store.counter('listener.0.0.0.0_80.http.0.0.0.0_80.downstream_rq_2xx').add(4);
  store.counter('cluster_manager.cds.update_success').inc();
  store.gauge('server.live', 'NeverImport').set(1);
  store.gauge(`cluster.${WEB}.upstream_cx_active`).set(2);
  store.gauge('server.concurrency', 'NeverImport').set(2);
  const t = store.histogram(`cluster.${WEB}.upstream_rq_time`, 'Milliseconds');
  for (const v of [0.3, 3, 7, 120, 2000, 9_000_000]) t.record(v);
  store.histogram(`cluster.${REVIEWS}.upstream_rq_time`, 'Milliseconds').record(12);
  store.histogram('listener.0.0.0.0_15001.downstream_cx_length_ms', 'Milliseconds');
  return store;
}

describe('statsAsPrometheus', () => {
  const text = statsAsPrometheus(populatedStore());

  it('renders the dashboard form of an Istio cluster counter', () => {
    const store = new StatStore();
    store.counter(`cluster.${WEB}.upstream_rq_total`).add(3);
    expect(statsAsPrometheus(store)).toBe(
      '# TYPE envoy_cluster_upstream_rq_total counter\n' +
        `envoy_cluster_upstream_rq_total{envoy_cluster_name="${WEB}"} 3\n` +
        '\n',
    );
  });

  it('parses as Prometheus text format', () => {
    expect(() => parsePrometheus(text)).not.toThrow();
  });

  it.each([
    `envoy_cluster_upstream_rq_total{envoy_cluster_name="${WEB}"} 3`,
    `envoy_cluster_upstream_rq_total{envoy_cluster_name="${REVIEWS}"} 7`,
    `envoy_cluster_upstream_rq{envoy_response_code="200",envoy_cluster_name="${WEB}"} 2`,
    `envoy_cluster_upstream_rq{envoy_response_code="503",envoy_cluster_name="${WEB}"} 1`,
    `envoy_cluster_upstream_rq_xx{envoy_response_code_class="2",envoy_cluster_name="${WEB}"} 2`,
    'envoy_http_downstream_rq_xx{envoy_response_code_class="2",envoy_http_conn_manager_prefix="0.0.0.0_80"} 4',
    'envoy_listener_downstream_cx_total{envoy_listener_address="0.0.0.0_15001"} 9',
    'envoy_listener_http_downstream_rq_xx{envoy_response_code_class="2",envoy_http_conn_manager_prefix="0.0.0.0_80",envoy_listener_address="0.0.0.0_80"} 4',
    'envoy_cluster_manager_cds_update_success{} 1',
    'envoy_server_live{} 1',
    `envoy_cluster_upstream_cx_active{envoy_cluster_name="${WEB}"} 2`,
    `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="${WEB}",le="0.5"} 1`,
    `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="${WEB}",le="5"} 2`,
    `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="${WEB}",le="10"} 3`,
    `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="${WEB}",le="3600000"} 5`,
    `envoy_cluster_upstream_rq_time_bucket{envoy_cluster_name="${WEB}",le="+Inf"} 6`,
    `envoy_cluster_upstream_rq_time_sum{envoy_cluster_name="${WEB}"} 9002130.3`,
    `envoy_cluster_upstream_rq_time_count{envoy_cluster_name="${WEB}"} 6`,
    'envoy_listener_downstream_cx_length_ms_bucket{envoy_listener_address="0.0.0.0_15001",le="+Inf"} 0',
  ])('contains the line %s', (line) => {
    expect(text.split('\n')).toContain(line);
  });

  it('declares each family once, with its type, counters then gauges then histograms, sorted by name', () => {
    const families = parsePrometheus(text).map((f) => [f.name, f.type]);
    expect(families).toEqual([
      ['envoy_cluster_manager_cds_update_success', 'counter'],
      ['envoy_cluster_upstream_cx_total', 'counter'],
      ['envoy_cluster_upstream_rq', 'counter'],
      ['envoy_cluster_upstream_rq_total', 'counter'],
      ['envoy_cluster_upstream_rq_xx', 'counter'],
      ['envoy_http_downstream_rq_xx', 'counter'],
      ['envoy_listener_downstream_cx_total', 'counter'],
      ['envoy_listener_http_downstream_rq_xx', 'counter'],
      ['envoy_cluster_upstream_cx_active', 'gauge'],
      ['envoy_server_concurrency', 'gauge'],
      ['envoy_server_live', 'gauge'],
      ['envoy_cluster_upstream_rq_time', 'histogram'],
      ['envoy_listener_downstream_cx_length_ms', 'histogram'],
    ]);
  });

  it('renders every default bucket, cumulative, for each histogram series', () => {
    const rqTime = parsePrometheus(text).find((f) => f.name === 'envoy_cluster_upstream_rq_time');
    const webBuckets = rqTime?.samples.filter((s) => s.name.endsWith('_bucket') && s.labels['envoy_cluster_name'] === WEB);
    expect(webBuckets?.map((s) => s.labels['le'])).toEqual([
      '0.5', '1', '5', '10', '25', '50', '100', '250', '500', '1000', '2500', '5000', '10000', '30000', '60000', '300000', '600000', '1800000', '3600000', '+Inf',
    ]);
    expect(webBuckets?.map((s) => s.value)).toEqual([1, 1, 2, 3, 3, 3, 3, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5, 5, 6]);
  });

  it('sorts samples within a family by their stat name', () => {
    const total = parsePrometheus(text).find((f) => f.name === 'envoy_cluster_upstream_rq_total');
    expect(total?.samples.map((s) => s.labels['envoy_cluster_name'])).toEqual([WEB, REVIEWS]);
  });

  it('hides never-used stats with usedOnly and keeps matches of a filter', () => {
    const store = populatedStore();
    store.counter('cluster.idle.upstream_rq_total');
    const used = statsAsPrometheus(store, { usedOnly: true });
    expect(used).not.toContain('envoy_cluster_name="idle"');
    expect(used).not.toContain('envoy_listener_downstream_cx_length_ms');
    const filtered = parsePrometheus(statsAsPrometheus(store, { filter: /^server\./ }));
    expect(filtered.map((f) => f.name)).toEqual(['envoy_server_concurrency', 'envoy_server_live']);
  });

  it('escapes label values so that any name stays parseable', () => {
    const store = new StatStore({
      tagProducer: TagProducer.create({ useAllDefaultTags: false, statsTags: [{ tagName: 'route', regex: String.raw`^route\.(([\s\S]*)\.)hits$` }] }) as TagProducer,
    });
    store.counter('route.a"b\\c\nd.hits').inc();
    const families = parsePrometheus(statsAsPrometheus(store));
    expect(families[0]?.samples[0]?.labels).toEqual({ route: 'a"b\\c\nd' });
  });

  it('emits a label once when two tags sanitize to the same name, and never two families of one name', () => {
    const store = new StatStore({
      tagProducer: TagProducer.create({
        useAllDefaultTags: false,
        statsTags: [
          { tagName: 'a.b', fixedValue: '1' },
          { tagName: 'a_b', fixedValue: '2' },
        ],
      }) as TagProducer,
    });
    store.counter('x.y').inc();
    store.gauge('x_y').set(1);
    const out = statsAsPrometheus(store);
    expect(() => parsePrometheus(out)).not.toThrow();
    expect(out).toBe('# TYPE envoy_x_y counter\nenvoy_x_y{a_b="1"} 1\n\n');
  });

  it('renders an empty store as an empty document', () => {
    expect(statsAsPrometheus(new StatStore())).toBe('');
  });
});

describe('Prometheus naming helpers', () => {
  it.each([
    ['cluster.upstream_rq_total', 'envoy_cluster_upstream_rq_total'],
    ['cluster.circuit_breakers.default.cx_open', 'envoy_cluster_circuit_breakers_default_cx_open'],
    ['vhost.default.svc.cluster.local:9080.vcluster.upstream_rq', 'envoy_vhost_default_svc_cluster_local_9080_vcluster_upstream_rq'],
    ['cluster.zone.us-east.us-west.upstream_rq', 'envoy_cluster_zone_us_east_us_west_upstream_rq'],
  ])('%s → %s', (extracted, expected) => {
    expect(metricName(extracted)).toBe(expected);
  });

  it.each([
    ['plain', 'plain'],
    ['a"b', 'a\\"b'],
    ['back\\slash', 'back\\\\slash'],
    ['line\nfeed', 'line\\nfeed'],
    ['outbound|80|v1|web.default.svc.cluster.local', 'outbound|80|v1|web.default.svc.cluster.local'],
  ])('escapes %j as %j', (value, expected) => {
    expect(escapeLabelValue(value)).toBe(expected);
  });

  it('sanitizes tag names into label names', () => {
    expect(formatLabels([{ name: 'envoy.cluster_name', value: 'x' }, { name: '9lives', value: 'y' }])).toBe('envoy_cluster_name="x",_9lives="y"');
  });
});
