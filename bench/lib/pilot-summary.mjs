// The Pilot benchmark's figures from the raw runs: percentiles, what each change sent per type, the
// Weft/istiod ratios and issue #10's goals (reported, never asserted).

/** Nearest-rank percentile (q in 0–100) of a list of numbers; undefined when empty. */
export function percentile(values, q) {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((q / 100) * sorted.length) - 1))];
}

const stats = (values) => ({ p50: percentile(values, 50), p99: percentile(values, 99), max: values.length ? Math.max(...values) : undefined, samples: values.length });
const mean = (values) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : undefined);
const TYPES = ['CDS', 'LDS', 'EDS', 'RDS'];

/** Per type: responses, resources and bytes per proxy (averaged over the phases given). */
function perProxy(phases, proxies) {
  const out = {};
  for (const y of TYPES) {
    const c = phases.map((p) => p.counts.byType[y] ?? { responses: 0, resources: 0, bytes: 0 });
    out[y] = { responses: mean(c.map((x) => x.responses / proxies)), resources: mean(c.map((x) => x.resources / proxies)), bytes: mean(c.map((x) => x.bytes / proxies)), totalBytes: mean(c.map((x) => x.bytes)) };
  }
  return out;
}

/** Whether every endpoint change sent each proxy exactly the one changed ClusterLoadAssignment and nothing else. */
function onlyChangedCla(phases, proxies, cluster) {
  const problems = [];
  for (const p of phases) {
    const by = p.counts.byType;
    for (const y of ['CDS', 'LDS', 'RDS']) if (by[y]?.responses) problems.push(`${p.id}: ${by[y].responses} ${y} responses`);
    const eds = by.EDS ?? { responses: 0, resources: 0 };
    if (eds.resources !== proxies) problems.push(`${p.id}: ${eds.resources} EDS resources for ${proxies} proxies`);
    const others = p.counts.edsNames.filter((n) => n !== cluster);
    if (others.length || p.counts.edsResponsesWithManyResources) problems.push(`${p.id}: other ClusterLoadAssignments sent (${[...others.slice(0, 3), ...(p.counts.edsResponsesWithManyResources ? [`${p.counts.edsResponsesWithManyResources} responses with more than 4`] : [])].join(', ')})`);
  }
  return { met: problems.length === 0, problems };
}

function changeSummary(phases, proxies) {
  return {
    ...stats(phases.flatMap((p) => p.latencySeconds)),
    changes: phases.length,
    missed: phases.reduce((a, p) => a + (proxies - p.reached), 0),
    applySeconds: mean(phases.map((p) => p.applySeconds)),
    serverCpuSeconds: mean(phases.map((p) => p.serverCpuSeconds)),
    clientCpuSeconds: mean(phases.map((p) => p.clientCpuSeconds)),
    serverPushes: mean(phases.map((p) => p.serverPushes?.count ?? 0)),
    perProxy: perProxy(phases, proxies),
    perChange: phases.map((p) => ({ id: p.id, ...stats(p.latencySeconds), reached: p.reached, timedOut: p.timedOut, byType: p.counts.byType, edsNames: p.counts.edsNames.slice(0, 5), serverPushes: p.serverPushes, pushStatus: p.pushStatus?.scope ? { scope: p.pushStatus.scope, ms: p.pushStatus.ms, resourcesGenerated: p.pushStatus.resourcesGenerated, groupsChanged: p.pushStatus.groupsChanged } : undefined })),
  };
}

/** @param {any} run a runScenario() result @param {any} work */
export function summarizeRun(run, work) {
  if (run.error) return { server: run.server, protocol: run.protocol, error: run.error };
  const initial = run.phases.find((p) => p.kind === 'initial');
  const ep = run.phases.filter((p) => p.kind === 'endpoint');
  const rt = run.phases.filter((p) => p.kind === 'route');
  return {
    server: run.server,
    protocol: run.protocol,
    initial: {
      allSeconds: initial.allSeconds,
      reached: initial.reached,
      timedOut: initial.timedOut,
      perProxy: stats(initial.perProxySeconds),
      serverCpuSeconds: initial.serverCpuSeconds,
      clientCpuSeconds: initial.clientCpuSeconds,
      serverPushes: initial.serverPushes?.count,
      perProxyTypes: perProxy([initial], run.proxies),
    },
    endpoint: { ...changeSummary(ep, run.proxies), onlyChangedCla: onlyChangedCla(ep, run.proxies, work.markers.endpoint.cluster) },
    route: changeSummary(rt, run.proxies),
    rssMb: { idle: run.idleRssBytes / 2 ** 20, peak: run.peakRssBytes / 2 ** 20, final: run.finalRssBytes / 2 ** 20 },
    extrasCpuSeconds: run.extrasCpuSeconds,
    streamErrors: run.streamErrors.length,
  };
}

const ratio = (a, b) => (a === undefined || b === undefined || b === 0 ? null : a / b);

/** Weft / istiod per protocol, for each figure both measured. */
export function ratios(summaries) {
  const out = {};
  for (const protocol of ['sotw', 'delta']) {
    const w = summaries.find((s) => s.server === 'weft' && s.protocol === protocol && !s.error);
    const i = summaries.find((s) => s.server === 'istiod' && s.protocol === protocol && !s.error);
    if (!w || !i) continue;
    out[protocol] = {
      'initial convergence (all)': ratio(w.initial.allSeconds, i.initial.allSeconds),
      'initial per-proxy p99': ratio(w.initial.perProxy.p99, i.initial.perProxy.p99),
      'endpoint change p99': ratio(w.endpoint.p99, i.endpoint.p99),
      'route change p99': ratio(w.route.p99, i.route.p99),
      'bytes per endpoint change': ratio(sumBytes(w.endpoint), sumBytes(i.endpoint)),
      'bytes per route change': ratio(sumBytes(w.route), sumBytes(i.route)),
      'server CPU, initial': ratio(w.initial.serverCpuSeconds, i.initial.serverCpuSeconds),
      'server CPU per endpoint change': ratio(w.endpoint.serverCpuSeconds, i.endpoint.serverCpuSeconds),
      'server CPU per route change': ratio(w.route.serverCpuSeconds, i.route.serverCpuSeconds),
      'peak RSS': ratio(w.rssMb.peak, i.rssMb.peak),
    };
  }
  return out;
}

const sumBytes = (c) => TYPES.reduce((a, y) => a + (c.perProxy[y]?.totalBytes ?? 0), 0);

export const GOAL_SIZE = { services: 1000, proxies: 2000 };

/**
 * Issue #10's goals per protocol Weft was measured with: met, not met, or n/a (and why). The ones
 * stated for 1000 services / 2000 proxies are n/a at other sizes, with what this size shows.
 */
export function goals(summaries, o) {
  const atSize = o.services >= GOAL_SIZE.services && o.proxies >= GOAL_SIZE.proxies;
  const sizeNote = `goal stated for ${GOAL_SIZE.services} services / ${GOAL_SIZE.proxies} proxies, run at ${o.services} / ${o.proxies}`;
  const out = [];
  const add = (protocol, goal, value, unit, verdict, note, sized = true) => {
    let status = verdict === undefined ? 'n/a' : verdict ? 'met' : 'not met';
    let n = note;
    if (sized && !atSize && status !== 'n/a') {
      n = `${sizeNote}: ${status} at this size${note ? `; ${note}` : ''}`;
      status = 'n/a';
    }
    out.push({ protocol, goal, value, unit, status, note: n });
  };
  for (const protocol of ['sotw', 'delta']) {
    const w = summaries.find((s) => s.server === 'weft' && s.protocol === protocol);
    if (!w) continue;
    if (w.error) {
      out.push({ protocol, goal: 'every goal', value: null, unit: '', status: 'n/a', note: `weft failed: ${w.error}` });
      continue;
    }
    const i = summaries.find((s) => s.server === 'istiod' && s.protocol === protocol && !s.error);
    const noIstiod = 'istiod not measured';
    const ep = w.endpoint.p99;
    add(protocol, 'endpoint change reaches every proxy in ≤ 1 s p99', ep, 's', ep === undefined ? undefined : ep <= 1 && w.endpoint.missed === 0, w.endpoint.missed ? `${w.endpoint.missed} proxy-changes never arrived` : undefined);
    add(protocol, 'endpoint change no slower than istiod (p99)', ep, 's', i && ep !== undefined && i.endpoint.p99 !== undefined ? ep <= i.endpoint.p99 : undefined, i ? `istiod ${fmt(i.endpoint.p99)} s` : noIstiod);
    const only = w.endpoint.onlyChangedCla;
    add(protocol, 'only the changed ClusterLoadAssignment is sent', w.endpoint.perProxy.EDS.resources, ' CLA/proxy', w.endpoint.changes ? only.met : undefined, only.problems.slice(0, 3).join('; ') || undefined, false);
    const rt = w.route.p99;
    // What the whole machine spent on a route change (server and simulated proxies share its cores):
    // spread perfectly over every core, this is the least time the change could take here.
    const floor = (w.route.serverCpuSeconds + w.route.clientCpuSeconds) / (o.cpus ?? 1);
    const cpuNote = Number.isFinite(floor) ? `server ${fmt(w.route.serverCpuSeconds, 2)} + clients ${fmt(w.route.clientCpuSeconds, 2)} CPU-s per change on ${o.cpus ?? 1} cores: ≥ ${fmt(floor, 2)} s here however they share them` : undefined;
    const missedRt = w.route.missed ? `${w.route.missed} proxy-changes never arrived` : undefined;
    add(protocol, 'route change ≤ 2 s p99', rt, 's', rt === undefined ? undefined : rt <= 2 && w.route.missed === 0, [missedRt, cpuNote].filter(Boolean).join('; ') || undefined);
    add(protocol, "initial convergence ≤ istiod's", w.initial.allSeconds, 's', i && !w.initial.timedOut ? w.initial.allSeconds <= i.initial.allSeconds : w.initial.timedOut ? false : undefined, i ? `istiod ${fmt(i.initial.allSeconds)} s` : noIstiod);
    add(protocol, 'Pilot RSS ≤ 1 GB', w.rssMb.peak, ' MB', w.rssMb.peak <= 1024);
    add(protocol, "Pilot RSS ≤ 1.5× istiod's", i ? w.rssMb.peak / i.rssMb.peak : null, '×', i ? w.rssMb.peak <= 1.5 * i.rssMb.peak : undefined, i ? `istiod ${fmt(i.rssMb.peak, 0)} MB` : noIstiod);
  }
  return out;
}

export function fmt(v, digits = 3) {
  return v === undefined || v === null || Number.isNaN(v) ? '—' : v.toFixed(digits);
}
