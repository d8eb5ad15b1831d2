#!/usr/bin/env node
// `npm run bench:pilot [-- --quick]`: Weft's Pilot side by side with istiod (issue #10). The same
// workload (ServiceEntries, DestinationRules, VirtualServices) served to simulated Envoy-like ADS
// proxies in separate client processes, one control plane at a time on this machine: initial
// convergence, then endpoint and route changes followed to every proxy. Prints the figures, the
// Weft/istiod ratios and the goals; writes bench/results/pilot-<timestamp>.json. Asserts nothing.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './lib/node-peers.mjs';
import { machineBusy, watchForeign } from './lib/proc-stats.mjs';
import { removeOnExit, stopAll, stopChildrenOnExit } from './lib/processes.mjs';
import { renderMarkdown, renderText, replaceSection } from './lib/pilot-render.mjs';
import { runScenario } from './lib/pilot-run.mjs';
import { locateIstiod, missingPilotBuilds, startIstiod, startWeft } from './lib/pilot-servers.mjs';
import { goals, ratios, summarizeRun } from './lib/pilot-summary.mjs';
import { workload } from './lib/pilot-workload.mjs';

const SERVERS = ['weft', 'istiod'];
const PROTOCOLS = ['sotw', 'delta'];
const BUSY_WARNING = 0.1;

const USAGE = `usage: npm run bench:pilot -- [options]
  --quick               100 services, 50 proxies, 2 changes of each kind, both protocols (under 2 minutes)
  --services N          ServiceEntries (default 1000; --quick 100)
  --proxies N           simulated proxies (default 2000; --quick 50)
  --endpoints N         STATIC endpoints per ServiceEntry (default 5)
  --changes N           endpoint changes and route changes, each (default 3; --quick 2; at most 8)
  --protocol P          sotw, delta or both (default both)
  --servers LIST        weft,istiod (default both)
  --clients N           client processes (default 2)
  --connections N       gRPC connections per client process (default 4)
  --converge-timeout S  seconds for every proxy to converge (default 300)
  --change-timeout S    seconds for a change to reach every proxy (default 60)
  --docs                also write the "## Pilot" section of docs/performance.md
  --help`;

function options() {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      services: { type: 'string' },
      proxies: { type: 'string' },
      endpoints: { type: 'string' },
      changes: { type: 'string' },
      protocol: { type: 'string', default: 'both' },
      servers: { type: 'string', default: SERVERS.join(',') },
      clients: { type: 'string' },
      connections: { type: 'string' },
      'converge-timeout': { type: 'string' },
      'change-timeout': { type: 'string' },
      docs: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    process.exit(0);
  }
  const q = values.quick;
  const int = (v, d, name, max = Infinity) => {
    const n = v === undefined ? d : Number(v);
    if (!Number.isInteger(n) || n < 1 || n > max) throw new Error(`--${name} must be an integer from 1 to ${max}`);
    return n;
  };
  const protocols = values.protocol === 'both' ? PROTOCOLS : [values.protocol];
  for (const p of protocols) if (!PROTOCOLS.includes(p)) throw new Error(`--protocol: unknown ${p} (sotw, delta, both)`);
  const servers = values.servers.split(',').filter(Boolean);
  for (const s of servers) if (!SERVERS.includes(s)) throw new Error(`--servers: unknown ${s} (${SERVERS.join(', ')})`);
  return {
    quick: q,
    services: int(values.services, q ? 100 : 1000, 'services', 100_000),
    proxies: int(values.proxies, q ? 50 : 2000, 'proxies', 100_000),
    endpoints: int(values.endpoints, 5, 'endpoints', 1000),
    changes: int(values.changes, q ? 2 : 3, 'changes', 8),
    protocols,
    servers,
    clients: int(values.clients, 2, 'clients', 64),
    connections: int(values.connections, 4, 'connections', 1000),
    convergeTimeoutS: int(values['converge-timeout'], 300, 'converge-timeout'),
    changeTimeoutS: int(values['change-timeout'], 60, 'change-timeout'),
    docs: values.docs,
  };
}

/** The commit checked out, read from .git without running git. */
async function commit() {
  try {
    const head = (await readFile(join(REPO_ROOT, '.git', 'HEAD'), 'utf8')).trim();
    if (!head.startsWith('ref: ')) return head.slice(0, 12);
    const ref = head.slice(5);
    const branch = ref.replace('refs/heads/', '');
    try {
      return `${(await readFile(join(REPO_ROOT, '.git', ref), 'utf8')).trim().slice(0, 12)} (${branch})`;
    } catch {
      const line = (await readFile(join(REPO_ROOT, '.git', 'packed-refs'), 'utf8')).split('\n').find((l) => l.endsWith(` ${ref}`));
      return line ? `${line.slice(0, 12)} (${branch})` : 'unknown';
    }
  } catch {
    return 'unknown';
  }
}

const progress = (text) => process.stderr.write(`${text}\n`);

async function startServerFor(name, dir, work, istiod) {
  if (name === 'weft') return startWeft(join(dir, 'weft'), work);
  return startIstiod(join(dir, 'istiod'), work, istiod.peers, progress);
}

async function main() {
  const o = options();
  const missing = missingPilotBuilds();
  if (missing.length) {
    process.stderr.write(`bench: missing ${missing.map((p) => `packages/${p}/dist`).join(', ')} (run \`npx nx run-many -t build -p pilot xds\`, or use \`npm run bench:pilot\`)\n`);
    process.exit(1);
  }
  stopChildrenOnExit();
  const started = Date.now();
  const warnings = [];
  let istiodSkipped;
  const istiod = locateIstiod();
  let servers = o.servers;
  if (servers.includes('istiod') && istiod.missing.length) {
    istiodSkipped = `not built: ${istiod.missing.join(', ')} missing (build them with \`bash scripts/peers/build-go-peers.sh\`, about 20 minutes on 2 cores; WEFT_PEERS_CACHE=${istiod.peers.cache})`;
    servers = servers.filter((s) => s !== 'istiod');
  } else if (!servers.includes('istiod')) istiodSkipped = 'not asked for (--servers)';
  if (istiodSkipped) progress(`bench: istiod skipped: ${istiodSkipped}`);
  const loadBefore = os.loadavg();
  const busyBefore = await machineBusy(2_000);
  if (busyBefore > BUSY_WARNING) warnings.push(`the CPUs were ${(100 * busyBefore).toFixed(0)} % busy just before the run: other work on the machine skews every figure`);
  const foreign = watchForeign();
  const dir = await mkdtemp(join(os.tmpdir(), 'weft-pilot-bench-'));
  removeOnExit(dir);
  const work = workload(o);
  progress(`bench: ${o.services} services (${work.counts.edsClusters} EDS clusters), ${o.proxies} proxies, ${o.protocols.join(' and ')}, servers ${servers.join(', ')}`);
  const runs = [];
  const versions = {};
  let istiodRun;
  try {
    for (const protocol of o.protocols) {
      for (const name of servers) {
        if (name === 'istiod' && istiodSkipped) continue;
        const sdir = join(dir, `${name}-${protocol}`);
        await mkdir(sdir, { recursive: true });
        progress(`bench: starting ${name} for ${protocol}`);
        let server;
        const t = Date.now();
        try {
          server = await startServerFor(name, sdir, work, istiod);
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          if (name === 'istiod') {
            istiodSkipped = `failed to start: ${msg.slice(0, 4000)}`;
            progress(`bench: istiod skipped: ${istiodSkipped}`);
            continue;
          }
          runs.push({ server: name, protocol, error: `failed to start: ${msg.slice(0, 4000)}` });
          continue;
        }
        const startupSeconds = (Date.now() - t) / 1000;
        versions[name] ??= await server.version();
        if (name === 'istiod') istiodRun = { command: server.command, env: server.env, meshConfig: server.meshConfig, extras: server.extras.map(({ name: n, command }) => ({ name: n, command })) };
        progress(`bench: ${name} ready with the workload in ${startupSeconds.toFixed(1)} s`);
        try {
          const run = await runScenario(server, work, { ...o, protocol }, sdir, progress);
          runs.push({ ...run, startupSeconds, command: server.command });
        } catch (e) {
          const msg = e instanceof Error ? e.message : String(e);
          progress(`bench: ${name} ${protocol} failed: ${msg}`);
          runs.push({ server: name, protocol, error: msg.slice(0, 4000) });
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await stopAll();
  }
  const other = foreign.end();
  const otherShare = other.cpuSeconds / ((Date.now() - started) / 1000);
  if (otherShare > BUSY_WARNING) warnings.push(`other processes used ${(100 * otherShare).toFixed(0)} % of a CPU during the run (most: ${other.busiest})`);
  for (const r of runs) if (r.streamErrors?.length) warnings.push(`${r.server} ${r.protocol}: ${r.streamErrors.length} stream error(s), first: ${r.streamErrors[0].msg}`);
  const summaries = runs.map((r) => summarizeRun(r, work));
  const extrasCpu = runs.filter((r) => r.server === 'istiod' && r.extrasCpuSeconds).map((r) => `${r.protocol}: ${Object.entries(r.extrasCpuSeconds).map(([k, v]) => `${k} ${v.toFixed(2)} s`).join(', ')}`).join('; ');
  const result = {
    meta: {
      date: new Date().toISOString(),
      commit: await commit(),
      durationSeconds: Math.round((Date.now() - started) / 1000),
      machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model ?? 'unknown', memoryMb: Math.round(os.totalmem() / 2 ** 20), kernel: os.release(), node: process.versions.node, loadBefore, busyBefore, loadAfter: os.loadavg() },
    },
    options: o,
    workload: work.counts,
    versions,
    istiodSkipped,
    istiodRun: istiodRun ? { ...istiodRun, extrasCpu: extrasCpu || 'not measured' } : undefined,
    summaries,
    ratios: ratios(summaries),
    goals: goals(summaries, { ...o, cpus: os.availableParallelism() }),
    warnings,
    runs,
  };
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  await mkdir(resultsDir, { recursive: true });
  const file = join(resultsDir, `pilot-${result.meta.date.replace(/[:.]/g, '-')}.json`);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${renderText(result)}\n\nresults: ${file} (${result.meta.durationSeconds} s)\n`);
  if (o.docs) {
    const docs = join(REPO_ROOT, 'docs', 'performance.md');
    const current = await readFile(docs, 'utf8').catch(() => '# Performance\n');
    await writeFile(docs, replaceSection(current, renderMarkdown(result)));
    process.stdout.write('wrote the Pilot section of docs/performance.md\n');
  }
}

main().catch(async (e) => {
  process.stderr.write(`bench: ${e instanceof Error ? e.stack : String(e)}\n`);
  await stopAll();
  process.exit(1);
});
