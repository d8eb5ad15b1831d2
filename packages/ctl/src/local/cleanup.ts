// Removes everything a run of `weftctl local up` created, from its state record: the processes in
// its network namespaces (found by namespace, so none escapes), the namespaces themselves (their
// links, addresses and iptables rules go with them), the per-pod /etc/netns directories, and the
// state directory. Idempotent: it is run after every stop, by `down`, and by `up` after a crash.
import { rm, rmdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Logger } from '@weft/base';
import { listNetns, netnsPids, runCommand } from './host-commands.js';
import { readState } from './platform-state.js';

export interface CleanupReport {
  readonly killed: number;
  readonly namespaces: readonly string[];
  readonly hostsDirs: readonly string[];
  /** What could not be removed (each with the reason); empty when all is gone. */
  readonly leftovers: readonly string[];
}

function kill(pid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

async function pidsIn(namespaces: readonly string[]): Promise<number[]> {
  const all = await Promise.all(namespaces.map((ns) => netnsPids(ns)));
  return [...new Set(all.flat())].filter((p) => p !== process.pid);
}

/**
 * `graceMs` > 0 sends SIGTERM first and waits that long for the processes to go before SIGKILL
 * (a normal stop has already drained the pods; this is the backstop).
 */
export async function cleanupRun(stateDir: string, logger: Logger, graceMs = 0): Promise<CleanupReport> {
  const state = readState(stateDir);
  const leftovers: string[] = [];
  if (!state) {
    await rm(stateDir, { recursive: true, force: true });
    return { killed: 0, namespaces: [], hostsDirs: [], leftovers };
  }
  const present = new Set(await listNetns());
  const namespaces = state.netns.filter((n) => present.has(n));
  let pids = await pidsIn(namespaces);
  const killed = pids.length;
  if (graceMs > 0 && pids.length > 0) {
    for (const pid of pids) kill(pid, 'SIGTERM');
    const deadline = Date.now() + graceMs;
    while (pids.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      pids = await pidsIn(namespaces);
    }
  }
  for (const pid of pids) kill(pid, 'SIGKILL');
  // The inner (node) process lives in the node namespace and is gone with it; the outer is the caller or dead.
  if (state.innerPid && state.innerPid !== process.pid) kill(state.innerPid, 'SIGKILL');
  for (let i = 0; i < 50 && (await pidsIn(namespaces)).length > 0; i++) await new Promise((r) => setTimeout(r, 20));
  // Pods first, the node (which holds the bridge) last.
  for (const ns of [...namespaces].reverse()) {
    const r = await runCommand(['ip', 'netns', 'del', ns]);
    if (r.code !== 0 && !/No such file/.test(r.stderr)) leftovers.push(`network namespace ${ns}: ${r.stderr.trim()}`);
  }
  const hostsDirs: string[] = [];
  for (const dir of state.hostsDirs) {
    // Only ever below /etc/netns: the state file is ours, but a damaged one must not delete elsewhere.
    if (!resolve(dir).startsWith('/etc/netns/')) {
      leftovers.push(`${dir}: not under /etc/netns, left alone`);
      continue;
    }
    await rm(dir, { recursive: true, force: true });
    hostsDirs.push(dir);
  }
  if (state.createdEtcNetns) await rmdir('/etc/netns').catch(() => undefined);
  const still = new Set(await listNetns());
  for (const ns of namespaces) if (still.has(ns)) leftovers.push(`network namespace ${ns} still exists`);
  await rm(stateDir, { recursive: true, force: true });
  logger.info({ killed, namespaces, hostsDirs, leftovers }, 'local platform cleaned up');
  return { killed, namespaces, hostsDirs, leftovers };
}
