// The load generators (none of them ours): wrk for maximum HTTP/1.1 throughput, fortio for latency
// percentiles at a fixed rate, h2load for HTTP/2 (h2c) throughput. Each run returns plain numbers.
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { removeOnExit, runCommand } from './processes.mjs';

/** Where `bench/setup.sh` installs fortio (FORTIO_DIR, as there). */
const FORTIO = join(process.env.FORTIO_DIR || '/var/cache/weft-peers/fortio', 'fortio');

/** Extra time a generator gets beyond its run before it is killed. */
const GRACE_MS = 20_000;

export function fortioPath() {
  return existsSync(FORTIO) ? FORTIO : undefined;
}

/**
 * wrk, keep-alive, fixed connections: requests per second at saturation.
 * @param {string} url
 * @param {{ seconds: number, connections: number, threads: number, cpus?: string }} o
 */
export async function wrk(url, o) {
  const r = await runCommand('wrk', [`-t${o.threads}`, `-c${o.connections}`, `-d${o.seconds}s`, url], { timeoutMs: o.seconds * 1000 + GRACE_MS, cpus: o.cpus });
  if (r.code !== 0) throw new Error(`wrk ${url} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr}${r.stdout}`);
  return parseWrk(r.stdout);
}

/** @param {string} text wrk's report */
export function parseWrk(text) {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const total = /^\s*(\d+) requests in ([\d.]+)(m?s)/m.exec(text);
  if (!rps || !total) throw new Error(`unexpected wrk output:\n${text}`);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  const errors = (socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0) + (non2xx ? Number(non2xx[1]) : 0);
  return { rps: Number(rps[1]), requests: Number(total[1]), errors };
}

/**
 * fortio at a fixed rate: latency percentiles in milliseconds.
 * @param {string} url
 * @param {{ seconds: number, qps: number, connections: number, cpus?: string }} o
 */
export async function fortio(url, o) {
  const bin = fortioPath();
  if (!bin) throw new Error('fortio not found: run bench/setup.sh');
  const dir = await mkdtemp(join(tmpdir(), 'weft-bench-fortio-'));
  removeOnExit(dir);
  const out = join(dir, 'result.json');
  try {
    const args = ['load', '-qps', String(o.qps), '-c', String(o.connections), '-t', `${o.seconds}s`, '-p', '50,90,99', '-loglevel', 'Warning', '-json', out, url];
    const r = await runCommand(bin, args, { timeoutMs: o.seconds * 1000 + GRACE_MS, cpus: o.cpus });
    if (r.code !== 0) throw new Error(`fortio ${url} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr}`);
    return parseFortio(JSON.parse(await readFile(out, 'utf8')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** @param {any} result fortio's JSON result */
export function parseFortio(result) {
  const h = result.DurationHistogram;
  const at = (p) => {
    const found = h.Percentiles.find((x) => x.Percentile === p);
    if (!found) throw new Error(`fortio result has no p${p}`);
    return found.Value * 1000;
  };
  const ok = Number(result.RetCodes?.['200'] ?? 0);
  return { p50: at(50), p90: at(90), p99: at(99), requests: h.Count, errors: h.Count - ok, actualQps: result.ActualQPS };
}

/**
 * h2load over h2c (prior knowledge), one stream per connection so that concurrency matches wrk's.
 * @param {string} url
 * @param {{ seconds: number, connections: number, threads: number, cpus?: string }} o
 */
export async function h2load(url, o) {
  const args = [`-t${o.threads}`, `-c${o.connections}`, '-m1', '-D', String(o.seconds), url];
  const r = await runCommand('h2load', args, { timeoutMs: o.seconds * 1000 + GRACE_MS, cpus: o.cpus });
  if (r.code !== 0) throw new Error(`h2load ${url} failed (${r.timedOut ? 'timed out' : `exit ${r.code}`}): ${r.stderr}${r.stdout}`);
  return parseH2load(r.stdout);
}

/** @param {string} text h2load's report */
export function parseH2load(text) {
  const finished = /^finished in ([\d.]+)s, ([\d.]+) req\/s/m.exec(text);
  const requests = /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(text);
  const status = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(text);
  if (!finished || !requests || !status) throw new Error(`unexpected h2load output:\n${text}`);
  // Failed, errored and timed-out streams, and answers that are not 2xx.
  const errors = [5, 6, 7].reduce((a, i) => a + Number(requests[i]), 0) + Number(status[2]) + Number(status[3]) + Number(status[4]);
  return { rps: Number(finished[2]), requests: Number(requests[4]), errors };
}
