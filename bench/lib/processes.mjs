// Every process the bench starts, tracked so that all of them are stopped on exit, SIGINT and SIGTERM.
// Each child leads a process group of its own, so that killing the group also ends what it forked
// (nginx workers, weft-proxy's cluster workers) even when the leader itself was killed first.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

/** @type {Set<import('node:child_process').ChildProcess>} */
const children = new Set();

/** Temporary directories removed when the bench exits, however it exits. */
const tempDirs = new Set();

/** Last bytes of a child's output kept for error messages. */
const TAIL_BYTES = 16_384;

/** How long a child may take to exit after SIGTERM before it is killed. */
const STOP_GRACE_MS = 3_000;

/**
 * `taskset -c <cpus>` in front of a command when a CPU list is given (taskset execs the command, so
 * the pid is the command's own).
 * @param {string} command @param {readonly string[]} args @param {string | undefined} cpus
 */
function pinned(command, args, cpus) {
  return cpus ? ['taskset', ['-c', cpus, command, ...args]] : [command, args];
}

/**
 * Starts a long-running child (a server). Its output is read continuously (a full pipe would block
 * it) and the last bytes are kept; `onLine` sees every complete line of stdout and stderr.
 * @param {string} name
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ env?: Record<string, string>, cwd?: string, cpus?: string, onLine?: (line: string) => void }} [options]
 */
export function startServer(name, command, args, options = {}) {
  const [cmd, argv] = pinned(command, args, options.cpus);
  const child = spawn(cmd, argv, { cwd: options.cwd, env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  children.add(child);
  let tail = '';
  // A server stays in `children` after it exits: its group may still hold processes it forked.
  const exited = new Promise((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    child.once('error', (err) => {
      tail += `\n${err.message}`;
      resolve({ code: null, signal: null, error: err });
    });
  });
  for (const stream of [child.stdout, child.stderr]) {
    let partial = '';
    stream.setEncoding('utf8').on('data', (d) => {
      tail = (tail + d).slice(-TAIL_BYTES);
      if (!options.onLine) return;
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) options.onLine(line);
    });
  }
  return {
    name,
    child,
    get pid() {
      return child.pid;
    },
    exited,
    tail: () => tail,
    stop: () => stopChild(child, exited),
  };
}

/**
 * @param {import('node:child_process').ChildProcess} child
 * @param {Promise<unknown>} exited
 */
async function stopChild(child, exited) {
  if (child.pid === undefined) return;
  if (child.exitCode === null && child.signalCode === null) {
    child.kill('SIGTERM');
    const timer = setTimeout(() => killGroup(child), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }
  // Whatever the leader left behind.
  killGroup(child);
}

/** SIGKILL to the child's whole process group (a no-op once the group is empty). */
function killGroup(child) {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // No process is left in the group.
  }
}

/**
 * Runs a command to completion (a load generator), killed after `timeoutMs`.
 * @param {string} command
 * @param {readonly string[]} args
 * @param {{ timeoutMs: number, cpus?: string }} options
 * @returns {Promise<{ code: number | null, stdout: string, stderr: string, timedOut: boolean }>}
 */
export function runCommand(command, args, options) {
  const [cmd, argv] = pinned(command, args, options.cpus);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    children.add(child);
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child);
    }, options.timeoutMs);
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr = (stderr + d).slice(-TAIL_BYTES)));
    child.once('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(new Error(`${command}: ${err.message}`, { cause: err }));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr, timedOut });
    });
  });
}

/** Stops every child still running (SIGTERM, then SIGKILL to its group after a grace period). */
export async function stopAll() {
  await Promise.all(
    [...children].map(
      (child) =>
        new Promise((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) {
            killGroup(child);
            return resolve(undefined);
          }
          const timer = setTimeout(() => killGroup(child), STOP_GRACE_MS);
          child.once('exit', () => {
            clearTimeout(timer);
            killGroup(child);
            resolve(undefined);
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * Installs the handlers that leave nothing running: SIGINT/SIGTERM stop every child and exit, and a
 * last synchronous SIGKILL on exit catches whatever is left (an uncaught error, process.exit).
 */
export function stopChildrenOnExit() {
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      process.stderr.write(`\nbench: ${signal}, stopping ${children.size} child process(es)\n`);
      void stopAll().finally(() => process.exit(130));
    });
  }
  process.on('exit', () => {
    for (const child of children) killGroup(child);
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** @param {string} dir removed on exit (after every child is gone) */
export function removeOnExit(dir) {
  tempDirs.add(dir);
}

/** A port that was free a moment ago on 127.0.0.1 (for servers whose port is set in a config file). */
export async function freePort() {
  const s = net.createServer();
  await new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = s.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => s.close(() => resolve(undefined)));
  return port;
}

/**
 * Polls `check` every 50 ms until it returns true; throws after `timeoutMs` with the last error.
 * @param {string} what @param {() => Promise<boolean>} check @param {number} [timeoutMs]
 */
export async function waitFor(what, check, timeoutMs = 30_000) {
  const end = Date.now() + timeoutMs;
  let last;
  while (Date.now() < end) {
    try {
      if (await check()) return;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/**
 * One GET on a fresh connection: the status and body length (readiness checks, not measurement).
 * @param {string} url
 * @returns {Promise<{ status: number, length: number }>}
 */
export function get(url) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: 2_000 }, (res) => {
      let length = 0;
      res.on('data', (d) => (length += d.length));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, length }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
  });
}
