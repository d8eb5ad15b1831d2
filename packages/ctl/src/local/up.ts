// `weftctl local up`: validates every input first, then creates the node's network namespace, binds
// the published host ports, and runs the node process inside the namespace (nsenter --net) with
// those sockets. When the node process ends (Ctrl-C, `down`, a failure or a crash) this process
// removes whatever is left and checks that nothing remains.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { formatIssue } from '@weft/api';
import type { CommandIO, Logger } from '@weft/base';
import { findBinaries, worldReadable } from './binaries.js';
import { cleanupRun } from './cleanup.js';
import { GATEWAY_PORTS } from './cluster.js';
import { haveCommand, hasNetworkAdmin, mustRun } from './host-commands.js';
import type { ImageMap } from './image-map.js';
import { overlaps, type Cidr } from './ipam.js';
import { checkImages, loadImageMaps, loadManifests, type ManifestSet } from './manifests.js';
import { PlatformState, readState } from './platform-state.js';
import type { Binaries } from './pod-plan.js';

export const NODE_NETNS = 'weft-node';
/** Set (to the node options, JSON) in the environment of the node process `up` starts. */
export const NODE_ENV = 'WEFT_LOCAL_NODE';

export interface UpSettings {
  readonly files: readonly string[];
  readonly namespace: string;
  readonly images?: string;
  readonly stateDir: string;
  readonly podCidr: Cidr;
  readonly serviceCidr: Cidr;
  readonly domain: string;
  readonly host: string;
  /** Host port per gateway Service port (80, 443, 31400); 0 = not published. */
  readonly ports: Readonly<Record<number, number>>;
  readonly timeoutMs: number;
}

/** What the node process receives (through NODE_ENV). */
export interface NodeHandoff {
  readonly settings: UpSettings;
  readonly binaries: Binaries;
  readonly readCaps: readonly string[];
  readonly published: readonly { fd: number; hostAddress: string; port: number }[];
}

function alive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Platform prerequisites: Linux, root (CAP_NET_ADMIN + CAP_SYS_ADMIN), and the commands it runs. */
export function checkHost(): string[] {
  const problems: string[] = [];
  if (process.platform !== 'linux') return ['weftctl local runs on Linux only (network namespaces and iptables)'];
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // not Linux enough
  }
  if (!hasNetworkAdmin(status)) problems.push('weftctl local needs root (CAP_NET_ADMIN and CAP_SYS_ADMIN) to create network namespaces and iptables rules: run it as root, e.g. with sudo');
  for (const cmd of ['ip', 'iptables', 'iptables-restore', 'nsenter', 'setpriv']) {
    if (!haveCommand(cmd)) problems.push(`${cmd} is not installed (Debian: apt-get install iproute2 iptables util-linux)`);
  }
  return problems;
}

/** Every container image must map to a command before anything starts. */

/** Loads and validates the inputs; prints every problem. */
/**
 * Validates `up`'s (or `apply`'s) inputs. `apply` passes `runningMaps: true`: without an image map
 * beside its files, images are checked by the running platform against the maps `up` loaded.
 */
export async function validateInputs(s: Pick<UpSettings, 'files' | 'namespace' | 'images'> & { readonly runningMaps?: boolean }, io: CommandIO): Promise<{ set: ManifestSet; maps: ImageMap[] } | undefined> {
  const set = await loadManifests(s.files, io, s.namespace);
  const { maps, errors: mapErrors } = await loadImageMaps(s.files, s.images);
  const errors = [...set.errors, ...mapErrors, ...(s.runningMaps && maps.length === 0 ? [] : checkImages(set, maps))];
  for (const w of set.warnings) io.stderr(`warning: ${formatIssue(w)}\n`);
  for (const e of errors) io.stderr(`error: ${formatIssue(e)}\n`);
  if (errors.length > 0) {
    io.stderr(`weftctl local: ${errors.length} error${errors.length === 1 ? '' : 's'}; nothing was changed\n`);
    return undefined;
  }
  return { set, maps };
}

function listen(host: string, port: number): Promise<net.Server> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port, backlog: 511 }, () => resolve(server));
  });
}

export async function up(s: UpSettings, io: CommandIO, logger: Logger, ctlMain: string): Promise<number> {
  const say = (line: string) => io.stdout(`weft local: ${line}\n`);
  const problems = checkHost();
  if (overlaps(s.podCidr, s.serviceCidr)) problems.push(`--pod-cidr ${s.podCidr.text} and --service-cidr ${s.serviceCidr.text} overlap`);
  const found = findBinaries(io.env['PATH']);
  problems.push(...found.problems);
  if (problems.length > 0 || !found.binaries) {
    for (const p of problems) io.stderr(`weftctl local: ${p}\n`);
    return 1;
  }
  const inputs = await validateInputs(s, io);
  if (!inputs) return 1;
  say(`validated ${inputs.set.kube.length + inputs.set.istio.length + (inputs.set.meshConfig ? 1 : 0)} objects from ${inputs.set.files.length} files`);

  const previous = readState(s.stateDir);
  if (previous && (alive(previous.outerPid) || alive(previous.innerPid))) {
    io.stderr(`weftctl local: already running (pid ${previous.outerPid}); stop it with \`weftctl local down\`\n`);
    return 1;
  }
  if (previous) {
    say('cleaning up after a previous run that did not stop');
    const r = await cleanupRun(s.stateDir, logger, 0);
    if (r.leftovers.length > 0) {
      for (const l of r.leftovers) io.stderr(`weftctl local: could not remove ${l}\n`);
      return 1;
    }
  }

  // The node's network namespace (and its bridge) is the machine's, whatever the state dir: a
  // platform started from another state dir owns it, and cleaning up here would tear that one down.
  if (existsSync(`/run/netns/${NODE_NETNS}`)) {
    io.stderr(`weftctl local: another platform is running on this machine (network namespace ${NODE_NETNS} exists); stop it with \`weftctl local down --state-dir DIR\` (its state dir), or remove a stale one with \`ip netns del ${NODE_NETNS}\`\n`);
    return 1;
  }

  const servers: { server: net.Server; hostAddress: string; port: number }[] = [];
  for (const gp of GATEWAY_PORTS) {
    const hostPort = s.ports[gp.port] ?? 0;
    if (hostPort === 0) continue;
    try {
      servers.push({ server: await listen(s.host, hostPort), hostAddress: `${s.host}:${hostPort}`, port: gp.port });
    } catch (e) {
      for (const x of servers) x.server.close();
      io.stderr(`weftctl local: cannot listen on ${s.host}:${hostPort} for the ingress gateway's port ${gp.port}: ${(e as Error).message}\n`);
      return 1;
    }
  }

  const state = PlatformState.create(s.stateDir, process.pid);
  state.update((d) => (d.published = servers.map((x) => `${x.hostAddress} -> ${x.port}`)));
  state.recordNetns(NODE_NETNS);
  let code = 1;
  try {
    await mustRun(['ip', 'netns', 'add', NODE_NETNS]);
    const readable = [found.binaries.pilotDiscovery, found.binaries.pilotAgent, found.binaries.weftProxy, ...inputs.maps.map((m) => m.file)].every(worldReadable);
    const handoff: NodeHandoff = {
      settings: s,
      binaries: found.binaries,
      readCaps: readable ? [] : ['dac_read_search'],
      published: servers.map((x, i) => ({ fd: 3 + i, hostAddress: x.hostAddress, port: x.port })),
    };
    const fds = servers.map((x) => (x.server as unknown as { _handle: { fd: number } })._handle.fd);
    const child = spawn('nsenter', [`--net=/run/netns/${NODE_NETNS}`, '--', process.execPath, ctlMain, ...process.argv.slice(2)], {
      env: { ...io.env, [NODE_ENV]: JSON.stringify(handoff) },
      stdio: ['ignore', 'inherit', 'inherit', ...fds],
    });
    // The node process holds the sockets now; this process must not accept on them.
    for (const x of servers) x.server.close();
    // ^C from a terminal reaches both processes, a kill only this one: pass it on either way (the node
    // process treats repeats as one), it drains, then this one cleans up.
    const onInt = () => child.kill('SIGINT');
    const onTerm = () => child.kill('SIGTERM');
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    code = await new Promise<number>((resolve) => child.once('exit', (c, sig) => resolve(c ?? (sig ? 1 : 0))));
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  } catch (e) {
    io.stderr(`weftctl local: ${(e as Error).message}\n`);
  }
  const report = await cleanupRun(s.stateDir, logger, 5000);
  if (report.leftovers.length > 0) {
    for (const l of report.leftovers) io.stderr(`weftctl local: could not remove ${l}\n`);
    return 1;
  }
  say(`stopped; removed ${report.namespaces.length} network namespaces and ${report.hostsDirs.length} hosts files${report.killed > 0 ? `, killed ${report.killed} leftover processes` : ''}`);
  return code;
}
