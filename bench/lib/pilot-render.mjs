// Renders a Pilot benchmark result as the terminal summary and as the "## Pilot" section of
// docs/performance.md (between the bench:pilot markers, which both benches keep).
import { fmt } from './pilot-summary.mjs';

export const DOCS_START = '<!-- bench:pilot:start -->';
export const DOCS_END = '<!-- bench:pilot:end -->';

const TYPES = ['CDS', 'LDS', 'EDS', 'RDS'];
const ms = (s) => (s === undefined ? '—' : (1000 * s).toFixed(0));
const mb = (v) => (v === undefined ? '—' : v.toFixed(0));
const triple = (c) => `${ms(c.p50)} / ${ms(c.p99)} / ${ms(c.max)}`;

const COLUMNS = ['server', 'protocol', 'initial, all (s)', 'initial per proxy p50 / p99 (s)', 'endpoint change p50 / p99 / max (ms)', 'route change p50 / p99 / max (ms)', 'server CPU s: initial / per endpoint / per route change', 'client CPU s (all simulated proxies): initial / per endpoint / per route change', 'RSS MB: idle / peak'];
const TEXT_COLUMNS = ['server', 'proto', 'initial s', 'per proxy p50/p99 s', 'endpoint p50/p99/max ms', 'route p50/p99/max ms', 'CPU s init/ep/rt', 'client CPU s i/e/r', 'RSS MB idle/peak'];

function rows(summaries) {
  return summaries.map((s) => {
    if (s.error) return [s.server, s.protocol, `failed: ${s.error.split('\n')[0].slice(0, 120)}`, '', '', '', '', '', ''];
    const i = s.initial;
    const reached = i.timedOut ? ` (${i.reached} converged, timed out)` : '';
    const missed = (c) => (c.missed ? ` (${c.missed} missed)` : '');
    return [
      s.server,
      s.protocol,
      `${fmt(i.allSeconds, 2)}${reached}`,
      `${fmt(i.perProxy.p50, 2)} / ${fmt(i.perProxy.p99, 2)}`,
      `${triple(s.endpoint)}${missed(s.endpoint)}`,
      `${triple(s.route)}${missed(s.route)}`,
      `${fmt(i.serverCpuSeconds, 2)} / ${fmt(s.endpoint.serverCpuSeconds, 2)} / ${fmt(s.route.serverCpuSeconds, 2)}`,
      // The load generator shares the machine: its CPU bounds how fast any server can be seen to converge.
      `${fmt(i.clientCpuSeconds, 2)} / ${fmt(s.endpoint.clientCpuSeconds, 2)} / ${fmt(s.route.clientCpuSeconds, 2)}`,
      `${mb(s.rssMb.idle)} / ${mb(s.rssMb.peak)}`,
    ];
  });
}

/** "EDS 1 / 1 / 359 B" per type that was sent: responses / resources / bytes per proxy. */
function sent(perProxy) {
  const parts = TYPES.filter((y) => perProxy[y]?.responses).map((y) => `${y} ${fmt(perProxy[y].responses, 2)} / ${fmt(perProxy[y].resources, 1)} / ${Math.round(perProxy[y].bytes).toLocaleString('en-US')} B`);
  return parts.length ? parts.join(', ') : 'nothing';
}

const SENT_COLUMNS = ['server', 'protocol', 'initial', 'per endpoint change', 'per route change', 'server pushes: initial / per endpoint / per route change'];
const TEXT_SENT_COLUMNS = ['server', 'proto', 'initial', 'per endpoint change', 'per route change', 'pushes i/e/r'];
function sentRows(summaries) {
  return summaries.filter((s) => !s.error).map((s) => [s.server, s.protocol, sent(s.initial.perProxyTypes), sent(s.endpoint.perProxy), sent(s.route.perProxy), `${fmt(s.initial.serverPushes, 0)} / ${fmt(s.endpoint.serverPushes, 1)} / ${fmt(s.route.serverPushes, 1)}`]);
}

function textTable(header, body) {
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

function markdownTable(header, body) {
  const line = (r) => `| ${r.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map((_, i) => (i < 2 ? '---' : '---:'))), ...body.map(line)].join('\n');
}

function goalValue(g) {
  if (g.value === null || g.value === undefined) return '—';
  if (g.unit === 's') return `${g.value.toFixed(3)} s`;
  if (g.unit === ' MB') return `${g.value.toFixed(0)} MB`;
  return `${g.value.toFixed(2)}${g.unit}`;
}

function workloadLine(r) {
  const o = r.options;
  const c = r.workload;
  return `${o.services} ServiceEntries × ${o.endpoints} STATIC endpoints in 10 namespaces, ${c.destinationRules} DestinationRules (2 subsets) and ${c.virtualServices} VirtualServices (90/10); ${o.proxies} proxies in ${o.clients} client processes × ${o.connections} gRPC connections; ${o.changes} endpoint and ${o.changes} route changes, one at a time`;
}

function ratioLines(r) {
  return Object.entries(r.ratios).map(([protocol, rs]) => `${protocol}: ${Object.entries(rs).filter(([, v]) => v !== null).map(([k, v]) => `${k} ${v.toFixed(2)}×`).join(', ')}`);
}

export function renderText(r) {
  const out = [`\nPilot — ${workloadLine(r)}`, textTable(TEXT_COLUMNS, rows(r.summaries))];
  out.push('\nSent per proxy (responses / resources / bytes of each type), and the pushes the server logged:', textTable(TEXT_SENT_COLUMNS, sentRows(r.summaries)));
  const ratios = ratioLines(r);
  out.push(`\nRatios Weft / istiod (below 1: Weft lower):${ratios.length ? '' : ' none (istiod not measured)'}`, ...ratios.map((l) => `  ${l}`));
  out.push('\nGoals (issue #10, reported, not asserted):');
  for (const g of r.goals) out.push(`  [${g.status.padEnd(7)}] ${g.protocol}: ${g.goal}: ${goalValue(g)}${g.note ? ` (${g.note})` : ''}`);
  if (r.istiodSkipped) out.push(`\nistiod skipped: ${r.istiodSkipped}`);
  for (const w of r.warnings) out.push(`warning: ${w}`);
  return out.join('\n');
}

/** The "## Pilot" section of docs/performance.md, markers included. */
export function renderMarkdown(r) {
  const m = r.meta;
  const out = [
    DOCS_START,
    '## Pilot',
    '',
    "Weft's Pilot side by side with istiod, measured by `npm run bench:pilot` (issue #10; see [bench/README.md](../bench/README.md) for how to rerun it and what each figure means). The latest `--docs` run; `npm run bench:proxy -- --docs` keeps this section.",
    '',
    `- date: ${m.date}; took ${m.durationSeconds} s`,
    `- commit: ${m.commit} (the working tree as built, uncommitted changes included)`,
    `- machine: ${m.machine.cpus} × ${m.machine.cpuModel}, ${Math.round(m.machine.memoryMb / 1024)} GB RAM, Linux ${m.machine.kernel}, Node ${m.machine.node}; CPUs ${(100 * m.machine.busyBefore).toFixed(0)} % busy just before the run. Servers, clients and istiod's kube-apiserver share the machine, one server at a time.`,
    `- workload: ${workloadLine(r)}`,
    `- servers: ${Object.entries(r.versions).map(([k, v]) => `${k}: ${v}`).join('; ')}`,
    '',
  ];
  if (r.istiodSkipped) out.push(`**istiod was skipped:** ${r.istiodSkipped}`, '');
  out.push(markdownTable(COLUMNS, rows(r.summaries)), '');
  out.push('Sent per proxy, as responses / resources / bytes of each type (the initial phase, and the average of the changes), and the pushes each server logged (Weft\'s `push` lines, istiod\'s `Push debounce stable`):', '', markdownTable(SENT_COLUMNS, sentRows(r.summaries)), '');
  const ratios = ratioLines(r);
  if (ratios.length) out.push('Ratios Weft / istiod (below 1: Weft lower or faster):', '', ...ratios.map((l) => `- ${l}`), '');
  out.push('### Goals (issue #10, reported, not asserted)', '', '| protocol | goal | measured | status |', '| --- | --- | ---: | --- |');
  for (const g of r.goals) out.push(`| ${g.protocol} | ${g.goal} | ${goalValue(g)} | ${g.status}${g.note ? `: ${g.note}` : ''} |`);
  out.push('');
  if (r.istiodRun) {
    out.push('### How istiod ran', '', 'One control plane at a time on this machine; for istiod, etcd and a kube-apiserver built from Go modules (scripts/peers/build-go-peers.sh), Istio\'s CRDs applied, the workload applied by server-side apply, then:', '');
    out.push('```', ...Object.entries(r.istiodRun.env).map(([k, v]) => `${k}=${v} \\`), r.istiodRun.command, '```', '');
    if (r.istiodRun.meshConfig) out.push('with `--meshConfig`:', '', '```yaml', r.istiodRun.meshConfig.trimEnd(), '```', '');
    out.push(
      'Not defaults: `PILOT_MAX_REQUESTS_PER_SECOND` (25 new xDS requests a second on 2 cores would throttle the cold start of every proxy), `PILOT_ENABLE_IP_AUTOALLOCATE=false` (on, istiod writes an address into the status of each ServiceEntry without one, each write a full push: 1,000 new ServiceEntries keep it pushing for about 30 s; Istio 1.1–1.3 and Weft allocate none), auto mTLS off (its SDS secrets need a CA), the Gateway API off (no CRDs). Both servers keep their default 100 ms debounce.',
      '',
    );
    for (const x of r.istiodRun.extras) out.push(`- ${x.name}: \`${x.command}\``);
    out.push('', `Their CPU is not counted as istiod's: ${r.istiodRun.extrasCpu}.`, '');
  }
  if (r.warnings.length) out.push('### Warnings', '', ...r.warnings.map((w) => `- ${w}`), '');
  out.push(DOCS_END);
  return out.join('\n');
}

/** `doc` with its marked Pilot section replaced by `section` (appended when it has none). */
export function replaceSection(doc, section) {
  const a = doc.indexOf(DOCS_START);
  const b = doc.indexOf(DOCS_END);
  if (a >= 0 && b > a) return `${doc.slice(0, a)}${section}${doc.slice(b + DOCS_END.length)}`;
  return `${doc.replace(/\n*$/, '\n\n')}${section}\n`;
}

/** The marked Pilot section of `doc` (markers included), or ''. */
export function extractSection(doc) {
  const a = doc.indexOf(DOCS_START);
  const b = doc.indexOf(DOCS_END);
  return a >= 0 && b > a ? doc.slice(a, b + DOCS_END.length) : '';
}
