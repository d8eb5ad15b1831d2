// One server, one protocol of the Pilot benchmark: the client processes started against a control
// plane that already holds the workload, initial convergence, then each planned endpoint and route
// change applied and followed until every proxy holds it and the server has gone quiet. Returns raw
// figures; pilot-summary.mjs turns them into percentiles, ratios and goals.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, processTree, rssBytes, watchTree } from './proc-stats.mjs';
import { startServer, waitFor } from './processes.mjs';

const CLIENT = fileURLToPath(new URL('./pilot-client.mjs', import.meta.url));
/** A phase ends this long after the last response any proxy received (trailing pushes count). */
export const QUIET_MS = 1_000;
/** …but not later than this after every proxy held the change. */
const QUIET_CAP_MS = 15_000;

const now = () => performance.timeOrigin + performance.now();

/** Collects the client processes' events as they arrive. */
class Collector {
  constructor(proxies) {
    this.proxies = proxies;
    this.responses = [];
    /** proxy → { s, t } of its initial convergence */
    this.converged = new Map();
    /** change id → Map(proxy → t) */
    this.seen = new Map();
    this.errors = [];
    this.lastResponseAt = Date.now();
    /** When the first proxy of any client process opened its stream. */
    this.firstStart = undefined;
  }

  onLine(line) {
    if (!line.startsWith('{')) return;
    let ev;
    try {
      ev = JSON.parse(line);
    } catch {
      return;
    }
    if (ev.e === 'r') {
      this.responses.push(ev);
      this.lastResponseAt = Date.now();
    } else if (ev.e === 'conv') this.converged.set(ev.p, { s: ev.s, t: ev.t });
    else if (ev.e === 'seen') {
      let m = this.seen.get(ev.id);
      if (!m) this.seen.set(ev.id, (m = new Map()));
      if (!m.has(ev.p)) m.set(ev.p, ev.t);
    } else if (ev.e === 'err') this.errors.push(ev);
    else if (ev.e === 'up') this.firstStart = Math.min(this.firstStart ?? Infinity, ev.s);
  }

  seenCount(id) {
    return this.seen.get(id)?.size ?? 0;
  }

  /** Responses per type received at or after `from` (ms, wall clock). */
  countsSince(from, to = Infinity) {
    const out = {};
    const edsNames = new Set();
    let edsUnnamed = 0;
    for (const r of this.responses) {
      if (r.t < from || r.t > to) continue;
      const c = (out[r.y] ??= { responses: 0, resources: 0, bytes: 0, removed: 0 });
      c.responses++;
      c.resources += r.n;
      c.bytes += r.b;
      c.removed += r.x ?? 0;
      if (r.y === 'EDS') {
        if (r.names) for (const n of r.names) edsNames.add(n);
        else edsUnnamed++;
      }
    }
    return { byType: out, edsNames: [...edsNames].sort(), edsResponsesWithManyResources: edsUnnamed };
  }
}

/** The failure, if any, that makes waiting pointless: a client process or the server gone, streams closed. */
function failure(server, clients, col) {
  if (server.server.child.exitCode !== null) return `${server.name} exited: ${server.server.tail().slice(-3000)}`;
  const dead = clients.find((c) => c.child.exitCode !== null);
  if (dead) return `a client process exited: ${dead.tail().slice(-3000)}`;
  if (col.errors.length) return `${col.errors.length} stream(s) failed; first: proxy ${col.errors[0].p}: ${col.errors[0].msg}`;
  return undefined;
}

async function waitOrFail(what, server, clients, col, done, timeoutMs) {
  await waitFor(
    what,
    async () => {
      const f = failure(server, clients, col);
      if (f) throw new Error(f);
      return done();
    },
    timeoutMs,
  );
}

/** Waits until no response has arrived for QUIET_MS (at most QUIET_CAP_MS); returns the end of the window. */
async function quiet(col) {
  const start = Date.now();
  await waitFor('the server to go quiet', async () => Date.now() - col.lastResponseAt >= QUIET_MS || Date.now() - start >= QUIET_CAP_MS, QUIET_CAP_MS + 5_000);
  return now();
}

const treeCpu = (pid) => cpuSeconds(processTree(pid));

/** The pushes the server logged since `from` (ms): how many, and the first few (scope or trigger). */
function pushesSince(server, from) {
  const list = (server.pushes ?? []).filter((p) => p.t >= from - 5);
  return { count: list.length, first: list.slice(0, 3).map((p) => p.what) };
}

/**
 * @param {any} server a started server (pilot-servers.mjs)
 * @param {any} work the workload
 * @param {{ protocol: 'sotw' | 'delta', clients: number, connections: number, convergeTimeoutS: number, changeTimeoutS: number }} o
 * @param {string} dir scratch directory
 * @param {(s: string) => void} progress
 */
export async function runScenario(server, work, o, dir, progress) {
  const col = new Collector(work.proxies.length);
  const procs = Math.min(o.clients, work.proxies.length);
  const idleRss = rssBytes(processTree(server.pid));
  const extrasCpu0 = server.extras.map((x) => treeCpu(x.pid));
  const clients = [];
  const watch = watchTree(server.pid);
  const started = now();
  for (let k = 0; k < procs; k++) {
    const cfg = join(dir, `client-${o.protocol}-${k}.json`);
    const proxies = work.proxies.filter((_, i) => i % procs === k);
    await writeFile(cfg, JSON.stringify({ address: server.address, protocol: o.protocol, connections: o.connections, proxies, edsNames: work.edsNames, markers: work.markers }));
    // WEFT_BENCH_CLIENT_NODE_ARGS: node flags for the simulated proxies' processes (e.g. --cpu-prof), as WEFT_BENCH_PILOT_NODE_ARGS for Weft's Pilot.
    const clientArgs = (process.env.WEFT_BENCH_CLIENT_NODE_ARGS ?? '').split(' ').filter(Boolean);
    clients.push(startServer(`pilot-client-${k}`, process.execPath, [...clientArgs, CLIENT, cfg], { onLine: (l) => col.onLine(l) }));
  }
  const phases = [];
  try {
    let initialTimedOut = false;
    try {
      await waitOrFail('every proxy to converge', server, clients, col, () => col.converged.size === work.proxies.length, o.convergeTimeoutS * 1000);
    } catch (e) {
      if (!String(e.message).startsWith('timed out')) throw e;
      initialTimedOut = true;
    }
    // From the first stream's start to the last proxy's convergence (or to the timeout), client clocks.
    const lastConverged = col.converged.size ? Math.max(...[...col.converged.values()].map((c) => c.t)) : now();
    const convergedAt = initialTimedOut ? now() : lastConverged;
    const end = await quiet(col);
    const w = watch.end();
    phases.push({
      kind: 'initial',
      id: 'initial',
      start: started,
      allSeconds: (convergedAt - (col.firstStart ?? started)) / 1000,
      reached: col.converged.size,
      timedOut: initialTimedOut,
      // Per proxy: from its own stream's start.
      perProxySeconds: [...col.converged.values()].map((c) => (c.t - c.s) / 1000),
      counts: col.countsSince(started, end),
      serverCpuSeconds: w.cpuSeconds,
      serverPeakRssBytes: w.peakRssBytes,
      clientCpuSeconds: clients.reduce((a, c) => a + treeCpu(c.pid), 0),
      serverPushes: pushesSince(server, started),
    });
    progress(`bench: ${server.name} ${o.protocol}: ${col.converged.size}/${work.proxies.length} proxies converged in ${phases[0].allSeconds.toFixed(2)} s${initialTimedOut ? ` (timed out after ${o.convergeTimeoutS} s: changes skipped)` : ''}`);
    for (const change of initialTimedOut ? [] : [...work.endpointChanges, ...work.routeChanges]) {
      const cw = watchTree(server.pid);
      const extras0 = server.extras.map((x) => treeCpu(x.pid));
      const clientCpu0 = clients.reduce((a, c) => a + treeCpu(c.pid), 0);
      const t0 = now();
      await server.apply(change.object);
      const applied = now();
      let timedOut = false;
      try {
        await waitOrFail(`${change.id} to reach every proxy`, server, clients, col, () => col.seenCount(change.id) === work.proxies.length, o.changeTimeoutS * 1000);
      } catch (e) {
        if (!String(e.message).startsWith('timed out')) throw e;
        timedOut = true;
      }
      const end2 = await quiet(col);
      const cwEnd = cw.end();
      const seen = col.seen.get(change.id) ?? new Map();
      phases.push({
        kind: change.kind,
        id: change.id,
        start: t0,
        applySeconds: (applied - t0) / 1000,
        latencySeconds: [...seen.values()].map((t) => (t - t0) / 1000),
        reached: seen.size,
        timedOut,
        counts: col.countsSince(t0, end2),
        serverCpuSeconds: cwEnd.cpuSeconds,
        serverPeakRssBytes: cwEnd.peakRssBytes,
        extrasCpuSeconds: Object.fromEntries(server.extras.map((x, i) => [x.name, treeCpu(x.pid) - extras0[i]])),
        clientCpuSeconds: clients.reduce((a, c) => a + treeCpu(c.pid), 0) - clientCpu0,
        pushStatus: await server.pushStatus().catch(() => undefined),
        serverPushes: pushesSince(server, t0),
      });
      const last = phases.at(-1);
      progress(`bench: ${server.name} ${o.protocol}: ${change.id} reached ${seen.size}/${work.proxies.length} proxies${timedOut ? ` (timed out after ${o.changeTimeoutS} s)` : ''}, slowest ${Math.max(0, ...last.latencySeconds).toFixed(3)} s`);
    }
  } finally {
    for (const c of clients) await c.stop();
  }
  return {
    server: server.name,
    protocol: o.protocol,
    proxies: work.proxies.length,
    clientProcesses: procs,
    connectionsPerProcess: o.connections,
    idleRssBytes: idleRss,
    finalRssBytes: rssBytes(processTree(server.pid)),
    peakRssBytes: Math.max(idleRss, ...phases.map((p) => p.serverPeakRssBytes)),
    extrasCpuSeconds: Object.fromEntries(server.extras.map((x, i) => [x.name, treeCpu(x.pid) - extrasCpu0[i]])),
    streamErrors: col.errors.slice(0, 20),
    phases,
  };
}
