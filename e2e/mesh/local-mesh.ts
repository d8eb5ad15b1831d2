// Drives `weftctl local` as a user does, for the mesh stories: `up` as a real process (the built
// binary), `status`, `apply` and `exec` through the CLI, HTTP and TCP through the published ingress,
// and a check of everything on the host that a run could leave behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { request } from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT, run, type RunResult } from '../src/workspace.js';

export const WEFTCTL = join(REPO_ROOT, 'packages', 'ctl', 'bin', 'weftctl.js');
export const SAMPLE = join(REPO_ROOT, 'samples', 'weather');

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface PodStatus {
  readonly namespace: string;
  readonly name: string;
  readonly ip: string;
  readonly ready: string;
  readonly status: string;
  readonly sidecar: boolean;
  readonly deployment: string;
  readonly restarts: number;
}

export interface Status {
  readonly pods: readonly PodStatus[];
  readonly services: readonly { readonly namespace: string; readonly name: string; readonly vip: string; readonly ports: readonly unknown[] }[];
  readonly ready: boolean;
}

export interface HttpResult {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly ms: number;
}

export class LocalMesh {
  child: ChildProcess | undefined;
  stdout = '';
  stderr = '';
  readonly ports: { http: number; https: number; tcp: number };
  private exitCode: Promise<number | null> | undefined;

  constructor(
    readonly stateDir: string,
    ports: { http: number; https: number; tcp: number },
  ) {
    this.ports = ports;
  }

  get ingress(): string {
    return `http://127.0.0.1:${this.ports.http}`;
  }

  /** Starts `weftctl local up` and resolves once it printed `weft local: ready` (rejects if it exits first). */
  async up(files: readonly string[], timeoutMs = 300_000, extra: readonly string[] = []): Promise<void> {
    const args = [WEFTCTL, 'local', 'up', ...files.flatMap((f) => ['-f', f]), ...extra, '--ingress-port', String(this.ports.http), '--ingress-https-port', String(this.ports.https), '--ingress-tcp-port', String(this.ports.tcp), '--state-dir', this.stateDir, '--log-level', 'warn'];
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.exitCode = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (this.stderr = (this.stderr + d).slice(-200_000)));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`not ready after ${timeoutMs} ms:\n${this.stdout}\n${this.stderr.slice(-5000)}`)), timeoutMs);
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        this.stdout += d;
        if (/weft local: ready/.test(this.stdout)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`weftctl local up exited with ${code} before it was ready:\n${this.stdout}\n${this.stderr.slice(-5000)}`));
      });
    });
  }

  /** Sends a signal to `up` (SIGINT is Ctrl-C) and waits for it to exit. */
  async stop(signal: NodeJS.Signals = 'SIGINT', timeoutMs = 120_000): Promise<number | null> {
    if (!this.child || !this.exitCode) return null;
    if (this.child.exitCode === null) this.child.kill(signal);
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`weftctl local up did not exit within ${timeoutMs} ms of ${signal}`)), timeoutMs).unref());
    return Promise.race([this.exitCode, timeout]);
  }

  /** Waits for `up` to exit (after `down`). */
  async exited(timeoutMs = 120_000): Promise<number | null> {
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('weftctl local up did not exit')), timeoutMs).unref());
    return Promise.race([this.exitCode ?? Promise.resolve(null), timeout]);
  }

  cli(args: readonly string[]): Promise<RunResult> {
    return run(process.execPath, [WEFTCTL, 'local', ...args, '--state-dir', this.stateDir]);
  }

  async status(): Promise<Status> {
    const r = await this.cli(['status', '-o', 'json']);
    if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
    return JSON.parse(r.stdout) as Status;
  }

  async pods(deployment: string): Promise<PodStatus[]> {
    return (await this.status()).pods.filter((p) => p.deployment === deployment && p.status !== 'Terminating');
  }

  async pod(deployment: string): Promise<PodStatus> {
    const pods = await this.pods(deployment);
    if (!pods[0]) throw new Error(`no pod of ${deployment}`);
    return pods[0];
  }

  async apply(...files: string[]): Promise<RunResult> {
    const r = await this.cli(['apply', ...files.flatMap((f) => ['-f', f])]);
    if (r.code !== 0) throw new Error(`apply ${files.join(' ')} failed (${r.code}): ${r.stderr}${r.stdout}`);
    return r;
  }

  /** Runs CMD inside a pod's network namespace (as `kubectl exec`). */
  async exec(pod: PodStatus, cmd: readonly string[]): Promise<RunResult> {
    return run(process.execPath, [WEFTCTL, 'local', 'exec', pod.name, '-n', pod.namespace, '--state-dir', this.stateDir, '--', ...cmd]);
  }

  /** A pod sidecar's counters from its admin API (`/stats`, Envoy's text form). */
  async proxyStats(pod: PodStatus): Promise<Map<string, number>> {
    const r = await this.exec(pod, ['curl', '-s', '--max-time', '5', 'http://127.0.0.1:15000/stats']);
    if (r.code !== 0) throw new Error(`stats of ${pod.name}: ${r.stderr}`);
    const out = new Map<string, number>();
    for (const line of r.stdout.split('\n')) {
      const m = /^(.+): (\d+)$/.exec(line);
      if (m) out.set(m[1] as string, Number(m[2]));
    }
    return out;
  }
}

export function get(url: string, headers: Record<string, string> = {}, timeoutMs = 20_000): Promise<HttpResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: Date.now() - started }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

export async function getJson(url: string, headers: Record<string, string> = {}): Promise<{ status: number; json: any; ms: number }> {
  const r = await get(url, headers);
  try {
    return { status: r.status, json: JSON.parse(r.body), ms: r.ms };
  } catch {
    throw new Error(`GET ${url}: HTTP ${r.status}, not JSON: ${r.body.slice(0, 300)}`);
  }
}

/** Sends one line over a new TCP connection and returns the first line that comes back. */
export function tcpLine(port: number, line: string, timeoutMs = 10_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => s.destroy(new Error('tcp echo timed out')), timeoutMs);
    s.setEncoding('utf8');
    s.on('connect', () => s.write(`${line}\n`));
    s.on('data', (d: string) => {
      got += d;
      const nl = got.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        s.end();
        resolve(got.slice(0, nl));
      }
    });
    s.on('error', (e) => (clearTimeout(timer), reject(e)));
    s.on('close', () => (clearTimeout(timer), got.includes('\n') ? undefined : reject(new Error(`connection closed after ${JSON.stringify(got)}`))));
  });
}

/** Polls `check` until it returns a value (bounded). */
export async function eventually<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not reached within ${timeoutMs} ms${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Everything on the host a run may leave behind; each list must be empty after `down` or Ctrl-C. */
export async function leftovers(stateDir: string): Promise<Record<string, string[]>> {
  const netns = (await run('ip', ['netns', 'list'])).stdout.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.startsWith('weft-'));
  const links = (await run('ip', ['-o', 'link', 'show'])).stdout.split('\n').map((l) => l.split(': ')[1]?.split('@')[0] ?? '').filter((n) => /^(weft|vw|veth-weft)/.test(n));
  const rules = [...(await run('iptables-save', [])).stdout.split('\n'), ...(await run('iptables-save', ['-t', 'nat'])).stdout.split('\n')].filter((l) => /WEFT|ISTIO/.test(l));
  const hosts = existsSync('/etc/netns') ? readdirSync('/etc/netns').filter((n) => n.startsWith('weft-')) : [];
  const files = existsSync(stateDir) ? [stateDir] : [];
  const ps = (await run('ps', ['-eo', 'pid=,args='])).stdout.split('\n');
  // The mesh's own processes: by their arguments or their working directory (a sidecar runs in its pod's
  // directory), not every weft process on the machine (a benchmark or another test may be running).
  const cwdOf = (line: string): string => {
    try {
      return readlinkSync(`/proc/${line.trim().split(/\s+/)[0]}/cwd`);
    } catch {
      return '';
    }
  };
  const ours = (l: string) => l.includes(stateDir) || cwdOf(l).startsWith(stateDir);
  const processes = ps.filter((l) => ours(l) || / apps\/[\w-]+\.mjs/.test(l) || / proxy (sidecar|router) /.test(l));
  return { netns, links, rules, hosts, files, processes };
}
