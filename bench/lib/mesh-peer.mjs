// Peer (f) of issue #9: Istio's benchmark topology (client pod → sidecar → sidecar → server pod, with
// iptables capture) on `weftctl local`, against the same pods without sidecars. fortio runs inside
// the client pod's network namespace (`weftctl local exec`), as root, so the client sidecar captures it.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fortioPath, parseFortio } from './load.mjs';
import { REPO_ROOT } from './node-peers.mjs';
import { processTree, watchForeign, watchPids } from './proc-stats.mjs';
import { runCommand, startServer } from './processes.mjs';

const WEFTCTL = join(REPO_ROOT, 'packages', 'ctl', 'bin', 'weftctl.js');
const MANIFESTS = join(REPO_ROOT, 'bench', 'peers', 'mesh');
/** The fortio that peers/mesh/local-images.yaml names (bench/setup.sh's default FORTIO_DIR). */
const SHIPPED_FORTIO = '/var/cache/weft-peers/fortio/fortio';
/** Short, so that the sidecars' SDS sockets fit (docs/components/local-platform.md); /run exists, so nothing is left above it. */
const STATE_DIR = '/run/weft-bench';
/** The platform's node namespace: one name for every `weftctl local`, whatever its state dir. */
const NODE_NETNS = 'weft-node';
/** What `weftctl local` runs that must be built. */
const BUILDS = ['ctl', 'pilot', 'pilot-agent', 'proxy'];
/** The two topologies: namespaces in peers/mesh/, the same client and server in each. */
const TOPOLOGIES = { baseline: 'bench-direct', mesh: 'bench-mesh' };

const READY_TIMEOUT_MS = 180_000;
const STOP_TIMEOUT_MS = 90_000;
const CLI_TIMEOUT_MS = 30_000;
/** Extra time fortio gets beyond its run (the exec's own start included) before it is killed. */
const GRACE_MS = 20_000;

/** Why the mesh peer cannot run on this machine, or undefined when it can be tried. */
function meshProblem() {
  if (process.getuid?.() !== 0) return 'needs root: weftctl local creates network namespaces and iptables rules';
  const unbuilt = BUILDS.filter((p) => !existsSync(join(REPO_ROOT, 'packages', p, 'dist', 'main.js')));
  if (unbuilt.length) return `packages not built: ${unbuilt.join(', ')} (run \`npx nx run-many -t build -p ${BUILDS.join(' ')}\`)`;
  const fortio = fortioPath();
  if (!fortio) return 'fortio not found: run bench/setup.sh';
  if (!runnableByOthers(fortio)) return `${fortio} is not executable by others: the pods run it as nobody (uid 65534)`;
  // A second platform would take over this name and, failing, remove the running one's namespace.
  if (existsSync(`/run/netns/${NODE_NETNS}`)) return `another weftctl local platform is running (network namespace ${NODE_NETNS} exists); stop it first`;
  return undefined;
}

/** Every directory above `file` searchable by others, and `file` executable by them. */
function runnableByOthers(file) {
  try {
    if ((statSync(file).mode & 0o001) === 0) return false;
    for (let d = dirname(file); ; d = dirname(d)) {
      if ((statSync(d).mode & 0o001) === 0) return false;
      if (dirname(d) === d) return true;
    }
  } catch {
    return false;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
/** A bound on a wait that does not keep the bench alive after the wait is over. */
const deadline = (ms) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/** `weftctl local COMMAND --state-dir STATE_DIR ARGS...` to completion (the flag before exec's `--`). */
function weftctl([command, ...args], timeoutMs = CLI_TIMEOUT_MS, cpus) {
  return runCommand(process.execPath, [WEFTCTL, 'local', command, '--state-dir', STATE_DIR, ...args], { timeoutMs, cpus });
}

/** The image map: the shipped one, or a copy naming FORTIO_DIR's fortio (in `dir`, readable by the pods). */
async function imageArgs(dir) {
  const fortio = fortioPath();
  if (fortio === SHIPPED_FORTIO) return [];
  await mkdir(dir, { recursive: true, mode: 0o755 });
  const file = join(dir, 'local-images.yaml');
  await writeFile(file, `images:\n  fortio/fortio:\n    command: [${JSON.stringify(fortio)}]\n`);
  return ['--images', file];
}

/** What `up` printed about why it failed: its own error lines, else the end of its output. */
function failure(lines, tail) {
  const own = lines.filter((l) => /^(weftctl local|error)/.test(l));
  return (own.length ? own.join('; ') : tail.trim().split('\n').slice(-5).join('; ')) || 'no output';
}

/**
 * Starts the platform with peers/mesh/ and waits for `weft local: ready`; resolves with the running
 * platform and its pods, or with `{ problem }` (the platform stopped again) when it did not get there.
 * @param {string} dir a directory readable by others, for an image map
 */
async function startMesh(dir) {
  const lines = [];
  let onReady = () => {};
  const ready = new Promise((resolve) => (onReady = resolve));
  const args = [WEFTCTL, 'local', 'up', '-f', MANIFESTS, ...(await imageArgs(dir)), '--ingress-port', '0', '--ingress-https-port', '0', '--ingress-tcp-port', '0', '--state-dir', STATE_DIR, '--log-level', 'warn'];
  const server = startServer('weftctl local up', process.execPath, args, {
    onLine: (line) => {
      lines.push(line);
      if (line.startsWith('weft local: ready')) onReady(true);
    },
  });
  // However the bench ends (Ctrl-C kills `up` after a short grace), nothing of the platform stays.
  process.once('exit', () => {
    if (existsSync(STATE_DIR)) spawnSync(process.execPath, [WEFTCTL, 'local', 'down', '--state-dir', STATE_DIR], { stdio: 'ignore', timeout: STOP_TIMEOUT_MS });
  });
  const mesh = { server, pods: {} };
  let problem;
  try {
    const isReady = await Promise.race([ready, server.exited.then(() => false), deadline(READY_TIMEOUT_MS).then(() => false)]);
    if (!isReady) problem = server.child.exitCode === null ? `not ready within ${READY_TIMEOUT_MS / 1000} s: ${failure(lines, server.tail())}` : `weftctl local up failed: ${failure(lines, server.tail())}`;
    else problem = await findPods(mesh);
  } catch (e) {
    problem = e instanceof Error ? e.message : String(e);
  }
  if (!problem) return { mesh };
  await stopMesh(mesh);
  return { problem };
}

/** Fills `mesh.pods` from `weftctl local status`; returns what is missing, if anything. */
async function findPods(mesh) {
  const status = await weftctl(['status', '-o', 'json']);
  if (status.code !== 0) return `weftctl local status failed: ${status.stderr.trim()}`;
  const { pods } = JSON.parse(status.stdout);
  for (const [topology, namespace] of Object.entries(TOPOLOGIES)) {
    const pod = (deployment) => pods.find((p) => p.namespace === namespace && p.deployment === deployment && p.status === 'Running');
    mesh.pods[topology] = { client: pod('client'), server: pod('server') };
  }
  const missing = Object.entries(mesh.pods).flatMap(([t, p]) => Object.entries(p).filter(([, v]) => !v).map(([role]) => `${TOPOLOGIES[t]}/${role}`));
  return missing.length ? `no running pod for ${missing.join(', ')}` : undefined;
}

/**
 * SIGTERM to `up` (it drains the pods and removes what it made), then `weftctl local down` for
 * whatever is left; returns what could not be removed.
 */
async function stopMesh(mesh) {
  const { child, exited } = mesh.server;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    await Promise.race([exited, deadline(STOP_TIMEOUT_MS)]);
  }
  const down = await weftctl(['down'], STOP_TIMEOUT_MS + CLI_TIMEOUT_MS);
  const pods = Object.values(mesh.pods).flatMap((p) => Object.values(p)).filter(Boolean);
  const list = await runCommand('ip', ['netns', 'list'], { timeoutMs: CLI_TIMEOUT_MS }).catch(() => ({ stdout: '' }));
  const netns = new Set(list.stdout.split('\n').map((l) => l.split(' ')[0]));
  const left = [...pods.map((p) => p.netns), NODE_NETNS].filter((n) => netns.has(n)).map((n) => `network namespace ${n}`);
  if (down.code !== 0) left.push(`weftctl local down exited ${down.code}: ${down.stderr.trim()}`);
  return left;
}

/** The weft-proxy processes (and their workers) of a pod with a sidecar. */
async function sidecarPids(pod) {
  const r = await runCommand('ip', ['netns', 'pids', pod.netns], { timeoutMs: CLI_TIMEOUT_MS });
  const roots = r.stdout.split('\n').map(Number).filter((pid) => pid > 0 && cmdline(pid).includes('weft-proxy'));
  return [...new Set(roots.flatMap(processTree))];
}

function cmdline(pid) {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return '';
  }
}

/**
 * fortio in the client pod of one topology against its server's Service (1 KB echo).
 * @param {{ seconds: number, qps: number, connections: number, cpus?: string }} o qps 0: as fast as it goes
 */
async function fortioInPod(mesh, topology, o) {
  const { client } = mesh.pods[topology];
  const url = `http://server.${TOPOLOGIES[topology]}:8080/echo?size=1024`;
  const load = [fortioPath(), 'load', '-qps', String(o.qps), '-c', String(o.connections), '-t', `${o.seconds}s`, '-p', '50,90,99', '-loglevel', 'Warning', '-json', '-', url];
  const r = await weftctl(['exec', client.name, '-n', client.namespace, '--', ...load], o.seconds * 1000 + GRACE_MS, o.cpus);
  if (r.code !== 0) throw new Error(`fortio in ${client.namespace}/${client.name} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr.trim().slice(-2000)}`);
  return parseFortio(JSON.parse(r.stdout));
}

/** Both topologies at full speed for a few seconds: the sidecars' JIT warms up as the other peers' does. */
async function warmUpMesh(mesh, o, cpus) {
  for (const topology of Object.keys(TOPOLOGIES)) await fortioInPod(mesh, topology, { seconds: o.warmupSeconds, qps: 0, connections: o.connections, cpus });
}

/**
 * One fortio phase (1,000 qps, 16 connections) per topology and run, interleaved (the order flips
 * every run), each after a second's pause; on the mesh side the two sidecars are watched.
 * @param {(text: string) => void} progress
 */
async function measureMesh(mesh, o, cpus, warnings, progress) {
  const sidecars = { client: await sidecarPids(mesh.pods.mesh.client), server: await sidecarPids(mesh.pods.mesh.server) };
  for (const [role, pids] of Object.entries(sidecars)) if (pids.length === 0) warnings.push(`mesh: no weft-proxy process found in the ${role} pod: its CPU and RSS are not measured`);
  const runs = [];
  const order = Object.keys(TOPOLOGIES);
  for (let run = 0; run < o.runs; run++) {
    for (const topology of run % 2 ? [...order].reverse() : order) {
      progress(`bench: mesh run ${run + 1} ${topology} (${TOPOLOGIES[topology]})`);
      await sleep(1_000);
      const foreign = watchForeign();
      const started = Date.now();
      const watches = topology === 'mesh' ? Object.entries(sidecars).map(([role, pids]) => [role, watchPids(pids)]) : [];
      const fortio = await fortioInPod(mesh, topology, { seconds: o.fortioSeconds, qps: o.qps, connections: o.connections, cpus });
      const entry = { run, topology, fortio, ...(watches.length ? { sidecars: Object.fromEntries(watches.map(([role, w]) => [role, w.end()])) } : {}) };
      const other = foreign.end();
      entry.foreignCpuShare = other.cpuSeconds / ((Date.now() - started) / 1000);
      if (entry.foreignCpuShare > 0.1) warnings.push(`mesh ${topology} run ${run + 1}: other processes used ${(100 * entry.foreignCpuShare).toFixed(0)} % of a CPU meanwhile (most: ${other.busiest})`);
      if (fortio.actualQps < 0.95 * o.qps) warnings.push(`mesh ${topology} run ${run + 1}: fortio reached ${fortio.actualQps.toFixed(0)} of ${o.qps} qps`);
      runs.push(entry);
    }
  }
  return runs;
}

/**
 * The whole peer: start, warm up, measure, stop. Never throws: a platform that cannot run gives
 * `{ status: 'skipped', reason }`, which the goal reports as n/a.
 * @param {string} dir @param {any} o the bench options @param {string | undefined} cpus the load generator's CPUs
 */
export async function runMeshPeer(dir, o, cpus, warnings, progress) {
  const problem = meshProblem();
  if (problem) return { status: 'skipped', reason: problem };
  progress(`bench: mesh: weftctl local up -f bench/peers/mesh --state-dir ${STATE_DIR}`);
  const started = Date.now();
  const up = await startMesh(join(dir, 'mesh')).catch((e) => ({ problem: e instanceof Error ? e.message : String(e) }));
  if (!up.mesh) return { status: 'skipped', reason: up.problem };
  const { mesh } = up;
  const startSeconds = (Date.now() - started) / 1000;
  try {
    progress(`bench: mesh: ready after ${startSeconds.toFixed(0)} s; warming up each topology for ${o.warmupSeconds} s`);
    await warmUpMesh(mesh, o, cpus);
    const runs = await measureMesh(mesh, o, cpus, warnings, progress);
    return { status: 'measured', startSeconds, pods: mesh.pods, runs };
  } catch (e) {
    return { status: 'skipped', reason: e instanceof Error ? e.message : String(e) };
  } finally {
    const left = await stopMesh(mesh);
    if (left.length) warnings.push(`mesh: left behind after weftctl local down: ${left.join(', ')}`);
  }
}

