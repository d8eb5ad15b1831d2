#!/usr/bin/env node
// `npm run bench:proxy [-- --quick]`: weft-proxy side by side with nginx, haproxy and
// @fastify/http-proxy in front of one nginx upstream, all in this run, interleaved (issue #9); then
// peer (f), two sidecars on `weftctl local` against the same pods without them (lib/mesh-peer.mjs).
// Prints medians and ratios, writes bench/results/<timestamp>.json. Not run by CI: never a timed assertion.
import { chmod, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fortio, h2load, wrk } from './lib/load.mjs';
import { missingWeftBuilds, REPO_ROOT, startFastifyPeer, startWeftPeers } from './lib/node-peers.mjs';
import { startHaproxyPeer, startNginxPeer, startUpstream } from './lib/nginx-peers.mjs';
import { runMeshPeer } from './lib/mesh-peer.mjs';
import { removeOnExit, stopAll, stopChildrenOnExit } from './lib/processes.mjs';
import { machineBusy, watchForeign, watchTree } from './lib/proc-stats.mjs';
import { extractSection } from './lib/pilot-render.mjs';
import { renderMarkdown, renderText } from './lib/render.mjs';
import { goals, PEERS, ratios, summarize, summarizeMesh } from './lib/summary.mjs';
import { checkTools, toolVersions } from './lib/tools.mjs';

const USAGE = `usage: npm run bench:proxy -- [options]
  --quick             1 KB only, 1 run, short phases (about 2 minutes)
  --runs N            runs per peer (default 3; --quick 1)
  --sizes LIST        response bodies: 1k,64k (default; --quick 1k)
  --peers LIST        subset of ${PEERS.join(',')} (direct is always measured;
                      mesh needs root, is 1 KB and fortio only, and runs after the others)
  --wrk-seconds N     wrk phase length (default 6; --quick 3)
  --fortio-seconds N  fortio phase length (default 6; --quick 5)
  --h2-seconds N      h2load phase length (default 4; --quick 2)
  --no-h2             skip HTTP/2 (h2load)
  --pin MODE          auto (pin when ≥ 3 cores), on, off: load generator and upstream on CPU 0, proxies on the rest
  --weft-node-args S  node flags for weft-proxy, space-separated (e.g. "--max-semi-space-size=4")
  --docs              also write docs/performance.md from this run
  --help`;

/** Fixed by issue #9: 16 keep-alive connections from one wrk thread; fortio at 1,000 qps on 16 connections. */
const CONNECTIONS = 16;
const QPS = 1000;
const SETTLE_MS = 1_000;
/** Above this share of busy CPU before the run (other work), the result carries a warning. */
const BUSY_WARNING = 0.1;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      runs: { type: 'string' },
      sizes: { type: 'string' },
      peers: { type: 'string' },
      'wrk-seconds': { type: 'string' },
      'fortio-seconds': { type: 'string' },
      'h2-seconds': { type: 'string' },
      'no-h2': { type: 'boolean', default: false },
      pin: { type: 'string', default: 'auto' },
      docs: { type: 'boolean', default: false },
      'weft-node-args': { type: 'string', default: '' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const q = values.quick;
  const int = (v, d, name) => {
    const n = v === undefined ? d : Number(v);
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer`);
    return n;
  };
  const sizes = (values.sizes ?? (q ? '1k' : '1k,64k')).split(',');
  for (const s of sizes) if (!['1k', '64k'].includes(s)) throw new Error(`--sizes: unknown size ${s} (1k, 64k)`);
  const listed = values.peers ? ['direct', ...values.peers.split(',').filter((p) => p !== 'direct')] : PEERS;
  for (const p of listed) if (!PEERS.includes(p)) throw new Error(`--peers: unknown peer ${p} (${PEERS.join(', ')})`);
  if (!['auto', 'on', 'off'].includes(values.pin)) throw new Error('--pin must be auto, on or off');
  return {
    quick: q,
    runs: int(values.runs, q ? 1 : 3, 'runs'),
    sizes,
    // The proxies in front of the upstream; peer (f) is measured apart (`mesh`).
    peers: listed.filter((p) => p !== 'mesh'),
    mesh: listed.includes('mesh'),
    wrkSeconds: int(values['wrk-seconds'], q ? 3 : 6, 'wrk-seconds'),
    fortioSeconds: int(values['fortio-seconds'], q ? 5 : 6, 'fortio-seconds'),
    h2Seconds: int(values['h2-seconds'], q ? 2 : 4, 'h2-seconds'),
    h2: !values['no-h2'],
    // Node peers keep getting faster for a few seconds (JIT); the first phase should not pay for it.
    warmupSeconds: q ? 2 : 3,
    pin: values.pin,
    docs: values.docs,
    weftNodeArgs: values['weft-node-args'].split(' ').filter(Boolean),
    connections: CONNECTIONS,
    qps: QPS,
  };
}

/** Which CPUs the load generators (and the upstream) and the proxies run on. */
function pinning(mode) {
  const cpus = os.availableParallelism();
  const on = mode === 'on' || (mode === 'auto' && cpus >= 3);
  if (!on || cpus < 2) return { load: undefined, proxy: undefined, generatorHasOwnCore: false, description: `none (${cpus} cores, --pin ${mode}): the kernel schedules every process on every core` };
  const proxy = `1-${cpus - 1}`;
  return { load: '0', proxy, generatorHasOwnCore: cpus >= 3, description: `load generators and upstream on CPU 0, proxies on CPU ${proxy} (taskset)` };
}

/** The commit checked out, read from .git without running git. */
async function commit() {
  try {
    const head = (await readFile(join(REPO_ROOT, '.git', 'HEAD'), 'utf8')).trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 12);
    const ref = head.slice(5);
    try {
      return `${(await readFile(join(REPO_ROOT, '.git', ref), 'utf8')).trim().slice(0, 12)} (${ref.replace('refs/heads/', '')})`;
    } catch {
      const packed = await readFile(join(REPO_ROOT, '.git', 'packed-refs'), 'utf8');
      const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
      return line ? `${line.slice(0, 12)} (${ref.replace('refs/heads/', '')})` : 'unknown';
    }
  } catch {
    return 'unknown';
  }
}

/** Starts the upstream and every peer; returns where each listens and which process to watch. */
async function startPeers(dir, o, pin) {
  const upstream = await startUpstream(join(dir, 'upstream'), pin.load);
  const targets = { direct: { port: upstream.port, h2Port: upstream.h2Port, pid: undefined } };
  const want = (p) => o.peers.includes(p);
  if (want('nginx')) {
    const p = await startNginxPeer(join(dir, 'nginx'), upstream.port, pin.proxy);
    targets.nginx = { port: p.port, h2Port: p.h2Port, pid: p.server.pid };
  }
  if (want('haproxy')) {
    const p = await startHaproxyPeer(join(dir, 'haproxy'), upstream.port, pin.proxy);
    targets.haproxy = { port: p.port, h2Port: p.h2Port, pid: p.server.pid };
  }
  if (want('fastify')) {
    const p = await startFastifyPeer(upstream.port, pin.proxy);
    targets.fastify = { port: p.port, h2Port: p.h2Port, pid: p.server.pid };
  }
  const weft = [
    { name: 'weft-c1', concurrency: 1 },
    { name: 'weft-c2', concurrency: 2 },
  ].filter((w) => want(w.name));
  if (weft.length) {
    const { peers } = await startWeftPeers(join(dir, 'weft'), upstream.port, weft.map((w) => ({ ...w, cpus: pin.proxy })), { nodeArgs: o.weftNodeArgs });
    for (const p of peers) targets[p.name] = { port: p.port, h2Port: p.h2Port, pid: p.server.pid };
  }
  return targets;
}

/** Runs one phase while watching the peer's process tree (CPU seconds, peak RSS). */
async function phase(pid, run) {
  const watch = pid ? watchTree(pid) : undefined;
  const r = await run();
  return { ...r, ...(watch ? watch.end() : {}) };
}

/** A pause between phases, so that one phase's aftermath is not measured in the next. */
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS));

function progress(text) {
  process.stderr.write(`${text}\n`);
}

/** One peer, one size: saturation (wrk), fixed rate (fortio), HTTP/2 (h2load), each watched. */
async function measure(target, size, o, pin) {
  const url = `http://127.0.0.1:${target.port}/${size}`;
  const gen = { connections: o.connections, threads: 1, cpus: pin.load };
  await settle();
  const foreign = watchForeign();
  const started = Date.now();
  const wrkPhase = await phase(target.pid, () => wrk(url, { ...gen, seconds: o.wrkSeconds }));
  // The latency phase should not see the tail of the saturation (GC, sockets closing).
  await settle();
  const fortioPhase = await phase(target.pid, () => fortio(url, { seconds: o.fortioSeconds, qps: o.qps, connections: o.connections, cpus: pin.load }));
  const h2Phase = o.h2 ? await phase(target.pid, () => h2load(`http://127.0.0.1:${target.h2Port}/${size}`, { ...gen, seconds: o.h2Seconds })) : undefined;
  const other = foreign.end();
  const foreignCpuShare = other.cpuSeconds / ((Date.now() - started) / 1000);
  return { foreignCpuShare, foreignBusiest: other.busiest, wrk: wrkPhase, fortio: fortioPhase, ...(h2Phase ? { h2: h2Phase } : {}) };
}

/** Every run visits every peer (interleaved), each run starting one peer later than the last. */
async function measureAll(targets, o, pin, warnings) {
  const runs = [];
  const total = o.runs * o.sizes.length * o.peers.length;
  for (let run = 0; run < o.runs; run++) {
    for (const size of o.sizes) {
      for (const peer of o.peers.map((_, i) => o.peers[(i + run) % o.peers.length])) {
        progress(`bench: [${runs.length + 1}/${total}] run ${run + 1} ${size} ${peer}`);
        const entry = { run, size, peer, ...(await measure(targets[peer], size, o, pin)) };
        if (entry.foreignCpuShare > BUSY_WARNING) warnings.push(`${peer} ${size} run ${run + 1}: other processes used ${(100 * entry.foreignCpuShare).toFixed(0)} % of a CPU meanwhile (most: ${entry.foreignBusiest})`);
        if (entry.fortio.actualQps < 0.95 * o.qps) warnings.push(`${peer} ${size} run ${run + 1}: fortio reached ${entry.fortio.actualQps.toFixed(0)} of ${o.qps} qps`);
        runs.push(entry);
      }
    }
  }
  return runs;
}

async function result(o, pin, runs, mesh, warnings, started, before) {
  const summary = summarize(runs);
  return {
    meta: {
      date: new Date().toISOString(),
      commit: await commit(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryMb: Math.round(os.totalmem() / 2 ** 20), kernel: os.release(), node: process.versions.node, ...before, loadAfter: os.loadavg() },
      tools: await toolVersions(),
      pinning: pin,
    },
    options: o,
    runs,
    summary,
    ratios: ratios(summary),
    ...(mesh ? { mesh } : {}),
    goals: goals(summary, { generatorHasOwnCore: pin.generatorHasOwnCore, h2: o.h2 }, mesh),
    warnings,
  };
}

async function main() {
  const o = options();
  const missing = [...checkTools(o.h2), ...missingWeftBuilds().map((p) => `packages/${p}/dist (run \`npx nx run ${p}:build\`)`)];
  if (missing.length) {
    process.stderr.write(`bench: missing ${missing.join(', ')}\nInstall the tools with \`bash bench/setup.sh\` (root).\n`);
    process.exit(1);
  }
  stopChildrenOnExit();
  const pin = pinning(o.pin);
  const started = Date.now();
  const loadBefore = os.loadavg();
  const busyBefore = await machineBusy(2_000);
  const warnings = [];
  if (busyBefore > BUSY_WARNING) warnings.push(`the CPUs were ${(100 * busyBefore).toFixed(0)} % busy just before the run: other work on the machine skews every figure`);
  const dir = await mkdtemp(join(os.tmpdir(), 'weft-bench-'));
  removeOnExit(dir);
  // nginx workers run as `nobody` when started by root: they must read the bodies in here.
  await chmod(dir, 0o755);
  try {
    progress(`bench: starting peers (${o.peers.join(', ')}); pinning: ${pin.description}`);
    const targets = await startPeers(dir, o, pin);
    progress(`bench: warming up each peer for ${o.warmupSeconds} s`);
    for (const peer of o.peers) await wrk(`http://127.0.0.1:${targets[peer].port}/1k`, { seconds: o.warmupSeconds, connections: o.connections, threads: 1, cpus: pin.load });
    const runs = await measureAll(targets, o, pin, warnings);
    let mesh;
    if (o.mesh) {
      // The platform gets the machine to itself: the other peers are done.
      await stopAll();
      mesh = await runMeshPeer(dir, o, pin.load, warnings, progress);
      if (mesh.status === 'measured') mesh.summary = summarizeMesh(mesh.runs);
      else warnings.push(`mesh (peer f) not measured: ${mesh.reason}`);
    }
    const r = await result(o, pin, runs, mesh, warnings, started, { loadBefore, busyBefore });
    const resultsDir = join(REPO_ROOT, 'bench', 'results');
    await mkdir(resultsDir, { recursive: true });
    const file = join(resultsDir, `${r.meta.date.replace(/[:.]/g, '-')}.json`);
    await writeFile(file, `${JSON.stringify(r, null, 2)}\n`);
    process.stdout.write(`${renderText(r)}\n\nresults: ${file} (${r.meta.durationSeconds} s)\n`);
    if (o.docs) {
      // bench/analysis.md is the hand-kept reading of the figures; each --docs run keeps it below the table.
      const analysis = await readFile(join(REPO_ROOT, 'bench', 'analysis.md'), 'utf8').catch(() => '');
      // The "## Pilot" section between the bench:pilot markers is bench:pilot's (issue #10): kept as it is.
      const docs = join(REPO_ROOT, 'docs', 'performance.md');
      const pilot = extractSection(await readFile(docs, 'utf8').catch(() => ''));
      await writeFile(docs, `${renderMarkdown(r)}${analysis ? `\n${analysis}` : ''}${pilot ? `\n${pilot}\n` : ''}`);
      process.stdout.write('wrote docs/performance.md\n');
    }
  } finally {
    await stopAll();
  }
}

main().catch(async (e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.message : String(e)}\n`);
  await stopAll();
  process.exit(1);
});
