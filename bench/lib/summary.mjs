// From raw per-run measurements to medians, ratios against the peers, and issue #9's goals.

/**
 * The peers, in table order; `direct` is the upstream itself (the latency baseline). `mesh` is peer
 * (f), the two-sidecar topology on `weftctl local` (lib/mesh-peer.mjs), measured on its own after the others.
 */
export const PEERS = ['direct', 'nginx', 'haproxy', 'fastify', 'weft-c1', 'weft-c2', 'mesh'];

export const PEER_LABELS = {
  direct: 'direct (upstream)',
  nginx: 'nginx 1 worker',
  haproxy: 'haproxy 1 thread',
  fastify: '@fastify/http-proxy',
  'weft-c1': 'weft-proxy --concurrency 1',
  'weft-c2': 'weft-proxy --concurrency 2',
};

/** @param {readonly number[]} xs */
export function median(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return null;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

function max(xs) {
  const v = xs.filter((x) => typeof x === 'number' && Number.isFinite(x));
  return v.length ? Math.max(...v) : null;
}

/** CPU seconds per 1,000 requests of one phase (null for the direct peer, which has no proxy). */
function cpuPer1k(phase) {
  return phase && phase.cpuSeconds !== undefined && phase.requests > 0 ? phase.cpuSeconds / (phase.requests / 1000) : null;
}

/**
 * Medians per size and peer. Added latency is taken per run against that run's direct measurement,
 * then the median of those differences; peak RSS is the highest seen in any run.
 * @param {readonly any[]} runs one entry per (run, size, peer)
 */
export function summarize(runs) {
  /** @type {Record<string, Record<string, any>>} */
  const out = {};
  const sizes = [...new Set(runs.map((r) => r.size))];
  for (const size of sizes) {
    out[size] = {};
    const direct = new Map(runs.filter((r) => r.size === size && r.peer === 'direct').map((r) => [r.run, r]));
    for (const peer of PEERS) {
      const mine = runs.filter((r) => r.size === size && r.peer === peer);
      if (mine.length === 0) continue;
      const added = (p) => median(mine.map((r) => (r.fortio && direct.get(r.run)?.fortio ? r.fortio[p] - direct.get(r.run).fortio[p] : NaN)));
      out[size][peer] = {
        runs: mine.length,
        rps: median(mine.map((r) => r.wrk?.rps)),
        p50: median(mine.map((r) => r.fortio?.p50)),
        p90: median(mine.map((r) => r.fortio?.p90)),
        p99: median(mine.map((r) => r.fortio?.p99)),
        addedP50: peer === 'direct' ? null : added('p50'),
        addedP90: peer === 'direct' ? null : added('p90'),
        addedP99: peer === 'direct' ? null : added('p99'),
        fortioQps: median(mine.map((r) => r.fortio?.actualQps)),
        cpuPer1k: median(mine.map((r) => cpuPer1k(r.fortio))),
        cpuPer1kAtMax: median(mine.map((r) => cpuPer1k(r.wrk))),
        rssMb: max(mine.map((r) => (r.fortio?.peakRssBytes ? r.fortio.peakRssBytes / 2 ** 20 : NaN))),
        rssMbAnyPhase: max(mine.flatMap((r) => [r.wrk, r.fortio, r.h2].map((p) => (p?.peakRssBytes ? p.peakRssBytes / 2 ** 20 : NaN)))),
        h2Rps: median(mine.map((r) => r.h2?.rps)),
        errors: mine.reduce((a, r) => a + (r.wrk?.errors ?? 0) + (r.fortio?.errors ?? 0) + (r.h2?.errors ?? 0), 0),
      };
    }
  }
  return out;
}

/**
 * Peer (f): medians per topology, and the mesh's added latency taken per run against that run's
 * baseline (as summarize does against direct); the sidecars' CPU per 1,000 requests and peak RSS.
 * @param {readonly any[]} runs one entry per (run, topology)
 */
export function summarizeMesh(runs) {
  const of = (topology) => runs.filter((r) => r.topology === topology);
  const stats = (list) => ({
    runs: list.length,
    p50: median(list.map((r) => r.fortio.p50)),
    p90: median(list.map((r) => r.fortio.p90)),
    p99: median(list.map((r) => r.fortio.p99)),
    qps: median(list.map((r) => r.fortio.actualQps)),
    errors: list.reduce((a, r) => a + r.fortio.errors, 0),
  });
  const baseline = new Map(of('baseline').map((r) => [r.run, r]));
  const added = (p) => median(of('mesh').map((r) => (baseline.has(r.run) ? r.fortio[p] - baseline.get(r.run).fortio[p] : NaN)));
  const sidecar = (role) => ({
    cpuPer1k: median(of('mesh').map((r) => cpuPer1k(r.sidecars?.[role] ? { ...r.sidecars[role], requests: r.fortio.requests } : undefined))),
    rssMb: max(of('mesh').map((r) => (r.sidecars?.[role]?.peakRssBytes ? r.sidecars[role].peakRssBytes / 2 ** 20 : NaN))),
  });
  return { baseline: stats(of('baseline')), mesh: stats(of('mesh')), addedP50: added('p50'), addedP90: added('p90'), addedP99: added('p99'), sidecars: { client: sidecar('client'), server: sidecar('server') } };
}

const ratio = (a, b) => (a !== null && a !== undefined && b ? a / b : null);

/** weft-proxy against its peers, per size, from the medians. */
export function ratios(summary) {
  /** @type {Record<string, Record<string, number | null>>} */
  const out = {};
  for (const [size, s] of Object.entries(summary)) {
    const rps = (p) => s[p]?.rps;
    out[size] = {
      'weft-c1 / nginx': ratio(rps('weft-c1'), rps('nginx')),
      'weft-c1 / fastify': ratio(rps('weft-c1'), rps('fastify')),
      'weft-c2 / nginx': ratio(rps('weft-c2'), rps('nginx')),
      'weft-c2 / fastify': ratio(rps('weft-c2'), rps('fastify')),
      'weft-c2 / weft-c1': ratio(rps('weft-c2'), rps('weft-c1')),
      'weft-c1 h2 / h1': ratio(s['weft-c1']?.h2Rps, rps('weft-c1')),
    };
  }
  return out;
}

/** Peer (f)'s goal: added p90 and p99 together, or n/a with why it was not measured. */
function meshGoal(mesh) {
  const goal = 'two-sidecar topology adds ≤ 1.5 ms p90 and ≤ 2.5 ms p99';
  if (!mesh) return { goal, value: null, unit: 'ms', check: () => false, na: 'not measured in this run (--peers without mesh)' };
  if (mesh.status !== 'measured') return { goal, value: null, unit: 'ms', check: () => false, na: `not measured: ${mesh.reason}` };
  const { addedP90: p90, addedP99: p99 } = mesh.summary;
  return { goal, value: p90 === null || p99 === null ? null : { p90, p99 }, unit: 'ms', check: (v) => v.p90 <= 1.5 && v.p99 <= 2.5 };
}

/**
 * Issue #9's goals, each met, not met, or n/a (with why), judged on the 1 KB figures.
 * @param {Record<string, any>} summary
 * @param {{ generatorHasOwnCore: boolean, h2: boolean }} setup
 * @param {any} [mesh] peer (f)'s result (`runMeshPeer` with its summary), absent when not asked for
 */
export function goals(summary, setup, mesh) {
  const s = summary['1k'] ?? {};
  const c1 = s['weft-c1'] ?? {};
  const c2 = s['weft-c2'] ?? {};
  /** @param {number | null | undefined} value @param {(v: number) => boolean} ok */
  const judge = (value, ok) => (value === null || value === undefined ? 'n/a' : ok(value) ? 'met' : 'not met');
  const list = [
    { goal: 'weft c1 max rps ≥ 0.5× nginx (HTTP/1.1)', value: ratio(c1.rps, s['nginx']?.rps), unit: '×', check: (v) => v >= 0.5 },
    { goal: 'weft c1 max rps ≥ 1.3× @fastify/http-proxy (HTTP/1.1)', value: ratio(c1.rps, s['fastify']?.rps), unit: '×', check: (v) => v >= 1.3 },
    {
      goal: 'weft c2 ≥ 1.7× c1 with the load generator on its own core',
      value: ratio(c2.rps, c1.rps),
      unit: '×',
      check: (v) => v >= 1.7,
      na: setup.generatorHasOwnCore ? undefined : 'needs ≥ 3 cores so that wrk and the upstream are pinned apart from the proxy (taskset)',
    },
    { goal: 'one proxy adds ≤ 0.5 ms p90 at 1,000 rps', value: c1.addedP90, unit: 'ms', check: (v) => v <= 0.5 },
    { goal: 'one proxy adds ≤ 1 ms p99 at 1,000 rps', value: c1.addedP99, unit: 'ms', check: (v) => v <= 1 },
    meshGoal(mesh),
    { goal: '≤ 0.25 CPU-seconds per 1,000 requests at 1,000 rps', value: c1.cpuPer1k, unit: 's', check: (v) => v <= 0.25 },
    { goal: '≤ 80 MB RSS at 1,000 rps', value: c1.rssMb, unit: 'MB', check: (v) => v <= 80 },
    { goal: 'HTTP/2 through the proxy at least as fast as HTTP/1.1', value: ratio(c1.h2Rps, c1.rps), unit: '× (h2 / h1 rps)', check: (v) => v >= 1, na: setup.h2 ? undefined : 'HTTP/2 not measured in this run (--no-h2)' },
  ];
  return list.map(({ goal, value, unit, check, na }) => ({ goal, value: value ?? null, unit, status: na ? 'n/a' : judge(value, check), ...(na ? { note: na } : {}) }));
}
