// A strict checker for the Prometheus text exposition format (version 0.0.4), for stories that scrape
// weft-proxy's /stats/prometheus and Pilot's /metrics: it reports every problem with its line number.
// https://prometheus.io/docs/instrumenting/exposition_formats/#text-based-format

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly samples: Sample[];
}

export interface Exposition {
  readonly families: Map<string, Family>;
  readonly errors: string[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;

/** The family a sample belongs to: histogram and summary samples carry suffixes. */
function familyOf(sample: string, families: Map<string, Family>): string {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (!sample.endsWith(suffix)) continue;
    const base = sample.slice(0, -suffix.length);
    const t = families.get(base)?.type;
    if (t === 'histogram' || (t === 'summary' && suffix !== '_bucket')) return base;
  }
  return sample;
}

/** Parses `{a="x",b="y"}` strictly (escapes `\\`, `\"`, `\n` only); returns the labels and the rest. */
function parseLabels(text: string, at: string, errors: string[]): { labels: Record<string, string>; rest: string } | undefined {
  const labels: Record<string, string> = {};
  let i = 1;
  while (i < text.length && text[i] !== '}') {
    const eq = text.indexOf('=', i);
    if (eq < 0) return void errors.push(`${at}: label without '='`);
    const name = text.slice(i, eq);
    if (!LABEL_NAME.test(name)) errors.push(`${at}: bad label name ${JSON.stringify(name)}`);
    if (name in labels) errors.push(`${at}: duplicate label ${name}`);
    if (text[eq + 1] !== '"') return void errors.push(`${at}: label ${name} value not quoted`);
    let value = '';
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === '\\') {
        const next = text[++j];
        if (next === '\\' || next === '"') value += next;
        else if (next === 'n') value += '\n';
        else errors.push(`${at}: bad escape \\${next ?? ''} in label ${name}`);
      } else value += text[j];
    }
    if (j >= text.length) return void errors.push(`${at}: unterminated value of label ${name}`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ',') i++;
    else if (text[i] !== '}') return void errors.push(`${at}: expected ',' or '}' after label ${name}`);
  }
  if (text[i] !== '}') return void errors.push(`${at}: unterminated label set`);
  return { labels, rest: text.slice(i + 1) };
}

function checkHistogram(f: Family, errors: string[]): void {
  const series = new Map<string, Sample[]>();
  const key = (s: Sample) => JSON.stringify(Object.entries(s.labels).filter(([k]) => k !== 'le').sort());
  for (const s of f.samples) series.set(key(s), [...(series.get(key(s)) ?? []), s]);
  for (const [labels, samples] of series) {
    const buckets = samples.filter((s) => s.name === `${f.name}_bucket`);
    const count = samples.find((s) => s.name === `${f.name}_count`);
    if (!samples.some((s) => s.name === `${f.name}_sum`)) errors.push(`histogram ${f.name}${labels}: no _sum`);
    if (!count) errors.push(`histogram ${f.name}${labels}: no _count`);
    let previous = -Infinity;
    let previousLe = -Infinity;
    for (const b of buckets) {
      const le = b.labels['le'] === '+Inf' ? Infinity : Number(b.labels['le']);
      if (b.labels['le'] === undefined || Number.isNaN(le)) errors.push(`histogram ${f.name}${labels}: bucket without a numeric le`);
      if (le <= previousLe) errors.push(`histogram ${f.name}${labels}: le ${b.labels['le']} not increasing`);
      if (b.value < previous) errors.push(`histogram ${f.name}${labels}: bucket le=${b.labels['le']} (${b.value}) below the previous (${previous})`);
      previous = b.value;
      previousLe = le;
    }
    const inf = buckets.at(-1);
    if (inf?.labels['le'] !== '+Inf') errors.push(`histogram ${f.name}${labels}: last bucket is not le="+Inf"`);
    else if (count && inf.value !== count.value) errors.push(`histogram ${f.name}${labels}: +Inf bucket ${inf.value} != _count ${count.value}`);
  }
}

/** Parses an exposition strictly; `errors` is empty when it is valid. */
export function parsePrometheusText(text: string): Exposition {
  const families = new Map<string, Family>();
  const errors: string[] = [];
  const closed = new Set<string>();
  let current: string | undefined;
  const enter = (name: string, at: string) => {
    if (current === name) return;
    if (closed.has(name)) errors.push(`${at}: family ${name} is not contiguous`);
    if (current) closed.add(current);
    current = name;
  };
  if (text.length > 0 && !text.endsWith('\n')) errors.push('the exposition does not end with a newline');
  text.split('\n').forEach((line, index) => {
    const at = `line ${index + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // other comments are allowed
      const [, kind, name, rest] = m as unknown as [string, string, string, string | undefined];
      if (!METRIC_NAME.test(name)) errors.push(`${at}: bad metric name ${name}`);
      enter(name, at);
      if (kind === 'TYPE') {
        if (!TYPES.has(rest ?? '')) errors.push(`${at}: unknown type ${rest ?? ''}`);
        const f = families.get(name);
        if (f && (f.type !== 'untyped' || f.samples.length > 0)) errors.push(`${at}: TYPE for ${name} after its samples or twice`);
        families.set(name, { name, type: rest ?? 'untyped', samples: f?.samples ?? [] });
      }
      return;
    }
    const nm = /^([a-zA-Z_:][a-zA-Z0-9_:]*)/.exec(line);
    if (!nm) return void errors.push(`${at}: not a sample: ${line}`);
    const name = nm[1]!;
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith('{')) {
      const parsed = parseLabels(rest, at, errors);
      if (!parsed) return;
      ({ labels, rest } = parsed);
    }
    const vm = /^ (\S+)(?: (-?\d+))?$/.exec(rest);
    if (!vm || !VALUE.test(vm[1]!)) return void errors.push(`${at}: bad value in ${JSON.stringify(line)}`);
    const familyName = familyOf(name, families);
    const family = families.get(familyName);
    if (!family) errors.push(`${at}: sample ${name} before the # TYPE of its family`);
    enter(familyName, at);
    const f = family ?? { name: familyName, type: 'untyped', samples: [] };
    families.set(familyName, f);
    f.samples.push({ name, labels, value: Number(vm[1]!.replace(/^\+?Inf$/, 'Infinity').replace(/^-Inf$/, '-Infinity')) });
  });
  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f, errors);
  return { families, errors };
}
