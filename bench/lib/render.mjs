// Renders a result as the terminal table and as docs/performance.md.
import { PEER_LABELS, PEERS } from './summary.mjs';

const SIZE_LABELS = { '1k': '1 KB', '64k': '64 KB' };

/** @param {number | null | undefined} v @param {number} digits */
function num(v, digits = 0) {
  if (v === null || v === undefined) return '—';
  return digits === 0 ? Math.round(v).toLocaleString('en-US') : v.toFixed(digits);
}

/** @param {number | null | undefined} v */
const times = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(2)}×`);

const COLUMNS = ['peer', 'max rps (wrk)', 'h2 rps (h2load)', '+p50 ms', '+p90 ms', '+p99 ms', 'CPU s / 1k req', 'peak RSS MB'];

/** One row per peer; the direct row shows absolute latencies (the baseline) in parentheses. */
function rows(sizeSummary) {
  return PEERS.filter((p) => sizeSummary[p]).map((p) => {
    const s = sizeSummary[p];
    const latency = p === 'direct' ? [`(${num(s.p50, 2)})`, `(${num(s.p90, 2)})`, `(${num(s.p99, 2)})`] : [num(s.addedP50, 2), num(s.addedP90, 2), num(s.addedP99, 2)];
    return [PEER_LABELS[p], num(s.rps), num(s.h2Rps), ...latency, num(s.cpuPer1k, 3), num(s.rssMb, 1)];
  });
}

function textTable(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function markdownTable(header, body) {
  const line = (r) => `| ${r.join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? '---' : '---:'))), ...body.map(line)].join('\n');
}

function goalValue(g) {
  if (g.value === null) return '—';
  if (typeof g.value === 'object') return Object.entries(g.value).map(([p, v]) => `+${v.toFixed(2)} ms ${p}`).join(', ');
  return g.unit === 'MB' || g.unit === 'ms' || g.unit === 's' ? `${g.value.toFixed(g.unit === 's' ? 3 : 2)} ${g.unit}` : `${g.value.toFixed(2)}${g.unit}`;
}

function runsNote(result) {
  const o = result.options;
  const n = o.runs >= 3 ? `median of ${o.runs} runs` : `${o.runs} run${o.runs === 1 ? '' : 's'} only${o.quick ? ' (--quick)' : ''}: fewer than the ≥ 3 runs issue #9 asks for; run without --quick for medians of 3`;
  return `${n}; wrk ${o.wrkSeconds} s, fortio ${o.fortioSeconds} s at ${o.qps} qps, h2load ${o.h2Seconds} s per peer and run; peers interleaved${o.weftNodeArgs?.length ? `; weft-proxy run with node ${o.weftNodeArgs.join(' ')}` : ''}`;
}

const MESH_COLUMNS = ['topology', 'p50 ms', 'p90 ms', 'p99 ms', 'qps reached'];

/** Peer (f)'s rows: each topology's medians, then the added latency (the goal's figures). */
function meshRows(s) {
  const row = (label, t) => [label, num(t.p50, 2), num(t.p90, 2), num(t.p99, 2), num(t.qps)];
  return [row('no sidecars (bench-direct)', s.baseline), row('two sidecars (bench-mesh)', s.mesh), ['added by the two sidecars', num(s.addedP50, 2), num(s.addedP90, 2), num(s.addedP99, 2), '']];
}

function meshSetup(result) {
  const o = result.options;
  return `fortio in a client pod of \`weftctl local\` to the server pod's Service, ${num(o.qps)} qps, ${o.connections} connections, 1 KB, ${o.fortioSeconds} s per topology and run, ${o.runs === 1 ? '1 run' : `median of ${o.runs} runs`}, interleaved`;
}

function sidecarLine(s, qps) {
  const one = (role) => `${role} ${num(s.sidecars[role].cpuPer1k, 3)} CPU s / 1k req, peak RSS ${num(s.sidecars[role].rssMb, 1)} MB`;
  return `weft-proxy sidecars at ${num(qps)} qps: ${one('client')}; ${one('server')}`;
}

/** Non-200 answers fortio counted in either topology, when there were any. */
function meshErrors(s) {
  const n = s.baseline.errors + s.mesh.errors;
  return n > 0 ? [`Errors (non-200 answers): ${s.baseline.errors} without sidecars, ${s.mesh.errors} with`] : [];
}

/** Peer (f) as lines of text, or undefined when it was not asked for. */
function meshText(result) {
  const m = result.mesh;
  if (!m) return undefined;
  if (m.status !== 'measured') return `\nTwo-sidecar topology (peer f): not measured: ${m.reason}`;
  return [`\nTwo-sidecar topology (peer f): ${meshSetup(result)}`, textTable(MESH_COLUMNS, meshRows(m.summary)), sidecarLine(m.summary, result.options.qps), ...meshErrors(m.summary)].join('\n');
}

function meshMarkdown(result) {
  const m = result.mesh;
  if (!m) return [];
  if (m.status !== 'measured') return ['## Two-sidecar topology (peer f)', '', `Not measured: ${m.reason}.`, ''];
  return ['## Two-sidecar topology (peer f)', '', `Setup: ${meshSetup(result)}.`, '', markdownTable(MESH_COLUMNS, meshRows(m.summary)), '', `${sidecarLine(m.summary, result.options.qps)}.`, ...meshErrors(m.summary).map((e) => `${e}.`), ''];
}

/** The ratios both of whose peers were measured. */
const measured = (ratios) => Object.entries(ratios).filter(([, v]) => v !== null);

/** @param {any} result */
export function renderText(result) {
  const out = [];
  for (const [size, s] of Object.entries(result.summary)) {
    out.push(`\nHTTP/1.1 and h2c, ${SIZE_LABELS[size] ?? size} responses — ${runsNote(result)}`);
    out.push(textTable(COLUMNS, rows(s)));
    const r = result.ratios[size];
    out.push(`ratios: ${measured(r).map(([k, v]) => `${k} ${times(v)}`).join(', ')}`);
  }
  const mesh = meshText(result);
  if (mesh) out.push(mesh);
  out.push('\nGoals (issue #9, 1 KB):');
  for (const g of result.goals) out.push(`  [${g.status.padEnd(7)}] ${g.goal}: ${goalValue(g)}${g.note ? ` (${g.note})` : ''}`);
  const errors = Object.values(result.summary).flatMap((s) => Object.entries(s).filter(([, v]) => v.errors > 0).map(([p, v]) => `${p} ${v.errors}`));
  if (errors.length) out.push(`\nErrors (non-2xx or socket errors) seen: ${errors.join(', ')}`);
  for (const w of result.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

/** @param {any} result */
export function renderMarkdown(result) {
  const m = result.meta;
  const out = [
    '# Performance',
    '',
    "weft-proxy side by side with its peers, measured by `npm run bench:proxy` (see [bench/README.md](../bench/README.md) for how to rerun it and what each column means). This page is the latest run's table; every run's JSON is in `bench/results/` (not in git). Issue #9 sets the goals.",
    '',
    `- date: ${m.date}`,
    `- commit: ${m.commit} (HEAD; the bench measures the working tree as built, uncommitted changes included)`,
    `- machine: ${m.machine.cpus} × ${m.machine.cpuModel}, ${Math.round(m.machine.memoryMb / 1024)} GB RAM, Linux ${m.machine.kernel}, Node ${m.machine.node}; CPUs ${(100 * m.machine.busyBefore).toFixed(0)} % busy just before the run`,
    `- tools: ${Object.entries(m.tools).map(([k, v]) => `${k} ${v}`).join(', ')}`,
    `- CPU pinning: ${m.pinning.description}`,
    `- ${runsNote(result)}`,
    '',
  ];
  for (const [size, s] of Object.entries(result.summary)) {
    out.push(`## ${SIZE_LABELS[size] ?? size} responses`, '', markdownTable(COLUMNS, rows(s)), '');
    out.push(`Ratios: ${measured(result.ratios[size]).map(([k, v]) => `${k} **${times(v)}**`).join(', ')}.`, '');
  }
  out.push(...meshMarkdown(result));
  out.push('## Goals (issue #9, judged on the 1 KB figures)', '', '| goal | measured | status |', '| --- | ---: | --- |');
  for (const g of result.goals) out.push(`| ${g.goal} | ${goalValue(g)} | ${g.status}${g.note ? `: ${g.note}` : ''} |`);
  out.push('');
  if (result.warnings.length) out.push('## Warnings', '', ...result.warnings.map((w) => `- ${w}`), '');
  return out.join('\n');
}
