// Story: the Weather sample's services (samples/weather/apps) as real processes on 127.0.0.1 with
// ephemeral ports and their backends wired by env: the dashboard names every backend that answered,
// forecast v2 adds recommendation, request ids / B3 headers / cookie / user-agent reach every hop,
// any failed backend call makes the dashboard a 502 naming it, tcp-echo prefixes its version, /stats
// counts, and SIGTERM lets an in-flight request finish before the process exits 0.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { request } from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../mesh/local-mesh.js';
import { REPO_ROOT } from './workspace.js';

const SAMPLE = join(REPO_ROOT, 'samples', 'weather');

interface App {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

const started: App[] = [];

/** Starts apps/<script>.mjs with PORT=0 and resolves once it logged `listening` with its port. */
async function startApp(script: string, env: Record<string, string> = {}): Promise<App> {
  const child = spawn(process.execPath, [join('apps', `${script}.mjs`)], {
    cwd: SAMPLE,
    env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', PORT: '0', BIND_ADDRESS: '127.0.0.1', POD_NAME: `${script}-${env['VERSION'] ?? 'v1'}-test`, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const logs: Record<string, unknown>[] = [];
  let stderr = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not log "listening" within 10 s:\n${stderr}`)), 10_000);
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      const lines = (partial + d).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { raw: line };
        }
        logs.push(entry);
        if (entry['msg'] === 'listening') {
          clearTimeout(timer);
          resolve(Number(entry['port']));
        }
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`${script} exited with ${code} before listening:\n${stderr}`));
    });
  });
  const app = { name: script, port, url: `http://127.0.0.1:${port}`, child, logs, exited };
  started.push(app);
  return app;
}

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: any;
  readonly ms: number;
}

/** One GET on its own connection. */
function get(url: string, headers: Record<string, string> = {}): Promise<Reply> {
  const t0 = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false, timeout: 20_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(body);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json, ms: Date.now() - t0 });
      });
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

/** Writes `lines` on one connection, half-closes, and returns everything the server sent back. */
function tcpExchange(port: number, lines: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect(port, '127.0.0.1');
    let got = '';
    const timer = setTimeout(() => s.destroy(new Error(`tcp-echo answered only ${JSON.stringify(got)}`)), 10_000);
    s.setEncoding('utf8');
    s.on('connect', () => s.end(lines.map((l) => `${l}\n`).join('')));
    s.on('data', (d: string) => (got += d));
    s.on('error', (e) => (clearTimeout(timer), reject(e)));
    s.on('close', () => (clearTimeout(timer), resolve(got)));
  });
}

function connects(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

/** Stops an app: SIGTERM, and SIGKILL if it is still there after 10 s. */
async function stop(app: App): Promise<void> {
  if (app.child.exitCode !== null || app.child.signalCode !== null) return;
  app.child.kill('SIGTERM');
  const timer = setTimeout(() => app.child.kill('SIGKILL'), 10_000);
  await app.exited;
  clearTimeout(timer);
}

afterAll(async () => {
  await Promise.all(started.map(stop));
});

describe('the Weather services', () => {
  let ad: App;
  let rec: App;
  let forecastV1: App;
  let forecastV2: App;
  let frontendV1: App;
  let frontendV2: App;

  beforeAll(async () => {
    [ad, rec] = await Promise.all([startApp('advertisement'), startApp('recommendation', { VERSION: 'v1' })]);
    [forecastV1, forecastV2] = await Promise.all([
      startApp('forecast', { VERSION: 'v1' }),
      startApp('forecast', { VERSION: 'v2', RECOMMENDATION_URL: `${rec.url}/recommendation` }),
    ]);
    [frontendV1, frontendV2] = await Promise.all([
      startApp('frontend', { ADVERTISEMENT_URL: `${ad.url}/ad`, FORECAST_URL: `${forecastV1.url}/forecast` }),
      startApp('frontend', { ADVERTISEMENT_URL: `${ad.url}/ad`, FORECAST_URL: `${forecastV2.url}/forecast` }),
    ]);
  });

  it('answers the dashboard with every backend named by service and version', async () => {
    const r = await get(`${frontendV1.url}/api/dashboard?city=Oslo`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ service: 'frontend', version: 'v1', pod: 'frontend-v1-test', path: '/api/dashboard', city: 'Oslo', errors: {} });
    expect(r.json.backends.advertisement).toMatchObject({ service: 'advertisement', version: 'v1', pod: 'advertisement-v1-test', path: '/ad' });
    expect(r.json.backends.advertisement.ad.text).toEqual(expect.any(String));
    expect(r.json.backends.forecast).toMatchObject({ service: 'forecast', version: 'v1', city: 'Oslo', path: '/forecast' });
    expect(r.json.backends.forecast.days).toHaveLength(3);
    expect(r.json.backends.forecast.recommendation).toBeUndefined();
  });

  it('forecast v2 asks recommendation and includes its answer', async () => {
    const r = await get(`${frontendV2.url}/api/dashboard?city=Oslo`);
    expect(r.status).toBe(200);
    const f = r.json.backends.forecast;
    expect(f).toMatchObject({ service: 'forecast', version: 'v2', city: 'Oslo' });
    expect(f.days).toHaveLength(5);
    expect(f.recommendation).toMatchObject({ service: 'recommendation', version: 'v1', path: '/recommendation', condition: f.days[0].condition });
    expect(f.recommendation.advice).toEqual(expect.any(String));
    // The same city and day get the same weather from every version.
    const v1 = await get(`${forecastV1.url}/forecast?city=Oslo`);
    expect(v1.json.days[0]).toEqual(f.days[0]);
  });

  it('passes x-request-id and the B3 headers on to every backend, forecast v2 to recommendation too', async () => {
    const trace = {
      'x-request-id': 'weather-req-1',
      'x-b3-traceid': '463ac35c9f6413ad48485a3953bb6124',
      'x-b3-spanid': 'a2fb4a1d1a96d312',
      'x-b3-parentspanid': '0020000000000001',
      'x-b3-sampled': '1',
      'x-b3-flags': '0',
      'x-ot-span-context': 'ot-context',
      b3: '463ac35c9f6413ad48485a3953bb6124-a2fb4a1d1a96d312-1',
    };
    const r = await get(`${frontendV2.url}/api/dashboard`, trace);
    expect(r.status).toBe(200);
    expect(r.headers['x-request-id']).toBe('weather-req-1');
    const hops = { frontend: r.json, advertisement: r.json.backends.advertisement, forecast: r.json.backends.forecast, recommendation: r.json.backends.forecast.recommendation };
    for (const [name, hop] of Object.entries(hops)) {
      expect(hop.requestId, name).toBe('weather-req-1');
      expect(hop.received, name).toMatchObject(trace);
    }
  });

  it('passes the cookie and user-agent on, so a backend rule can match what the browser sent', async () => {
    const r = await get(`${frontendV2.url}/api/dashboard`, { cookie: 'theme=dark; user=tester', 'user-agent': 'Mozilla/5.0 Firefox/118.0' });
    expect(r.status).toBe(200);
    for (const hop of [r.json.backends.advertisement, r.json.backends.forecast, r.json.backends.forecast.recommendation]) {
      expect(hop.received).toMatchObject({ cookie: 'theme=dark; user=tester', 'user-agent': 'Mozilla/5.0 Firefox/118.0' });
    }
  });

  it('makes up a request id when the request has none, and its backends share it', async () => {
    const r = await get(`${frontendV1.url}/api/dashboard`);
    expect(r.json.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(r.json.backends.advertisement.requestId).toBe(r.json.requestId);
    expect(r.json.backends.forecast.requestId).toBe(r.json.requestId);
  });

  it('answers 502 naming the backend when a backend is down, still showing the one that answered', async () => {
    const dead = await freePort();
    const fe = await startApp('frontend', { ADVERTISEMENT_URL: `http://127.0.0.1:${dead}/ad`, FORECAST_URL: `${forecastV1.url}/forecast` });
    const r = await get(`${fe.url}/api/dashboard`);
    expect(r.status).toBe(502);
    expect(r.json.errors.advertisement).toMatchObject({ backend: 'advertisement', status: 0 });
    expect(r.json.errors.advertisement.error).toMatch(/ECONNREFUSED/);
    expect(r.json.error).toMatch(/advertisement/);
    expect(r.json.backends.advertisement).toBeUndefined();
    expect(r.json.backends.forecast).toMatchObject({ service: 'forecast', version: 'v1' });
    await stop(fe);
  });

  it('answers 502 with the status when a backend answers non-2xx (forecast ?fail, passed on by the frontend)', async () => {
    const r = await get(`${frontendV1.url}/api/dashboard?fail=503`);
    expect(r.status).toBe(502);
    expect(r.json.errors.forecast).toMatchObject({ backend: 'forecast', status: 503, error: 'HTTP 503' });
    expect(r.json.errors.forecast.detail).toMatchObject({ service: 'forecast', version: 'v1' });
    expect(r.json.backends.advertisement).toMatchObject({ service: 'advertisement' });
  });

  it('answers 502 when forecast v2 cannot reach recommendation, naming both', async () => {
    const dead = await freePort();
    const f = await startApp('forecast', { VERSION: 'v2', RECOMMENDATION_URL: `http://127.0.0.1:${dead}/recommendation` });
    const fe = await startApp('frontend', { ADVERTISEMENT_URL: `${ad.url}/ad`, FORECAST_URL: `${f.url}/forecast` });
    const r = await get(`${fe.url}/api/dashboard`);
    expect(r.status).toBe(502);
    expect(r.json.errors.forecast).toMatchObject({ backend: 'forecast', status: 502 });
    expect(r.json.errors.forecast.detail.errors.recommendation).toMatchObject({ backend: 'recommendation', status: 0 });
    await Promise.all([stop(fe), stop(f)]);
  });

  it('answers 502 when a backend call times out (UPSTREAM_TIMEOUT_MS), and waits for a slow one that is in time', async () => {
    const fe = await startApp('frontend', { ADVERTISEMENT_URL: `${ad.url}/ad`, FORECAST_URL: `${forecastV1.url}/forecast`, UPSTREAM_TIMEOUT_MS: '300' });
    const slow = await get(`${fe.url}/api/dashboard?delay=1500`);
    expect(slow.status).toBe(502);
    expect(slow.json.errors.forecast.error).toMatch(/timed out after 300 ms/);
    expect(slow.ms).toBeLessThan(1500);
    const inTime = await get(`${fe.url}/api/dashboard?delay=100`);
    expect(inTime.status).toBe(200);
    expect(inTime.ms).toBeGreaterThanOrEqual(100);
    await stop(fe);
  });

  it('honours ?delay and ?fail on the backends and refuses bad values with 400', async () => {
    const slow = await get(`${forecastV1.url}/forecast?delay=300`);
    expect(slow.status).toBe(200);
    expect(slow.ms).toBeGreaterThanOrEqual(300);
    const failed = await get(`${ad.url}/ad?fail=500`);
    expect(failed.status).toBe(500);
    expect(failed.json).toMatchObject({ service: 'advertisement', version: 'v1' });
    const never = await get(`${ad.url}/ad?fail=500&failPercent=0`);
    expect(never.status).toBe(200);
    for (const q of ['delay=abc', 'delay=10001', 'fail=200', 'fail=503&failPercent=101']) {
      const bad = await get(`${forecastV1.url}/forecast?${q}`);
      expect(bad.status, q).toBe(400);
      expect(bad.json.error, q).toEqual(expect.any(String));
    }
  });

  it('counts requests by path and Host in /stats, but not probes or stats reads', async () => {
    const before = (await get(`${ad.url}/stats`)).json;
    await get(`${ad.url}/healthz`);
    for (let i = 0; i < 3; i++) await get(`${ad.url}/ad`, { host: 'advertisement-shadow:3003' });
    await get(`${ad.url}/nope`);
    const after = (await get(`${ad.url}/stats`)).json;
    expect(after).toMatchObject({ service: 'advertisement', version: 'v1' });
    expect(after.requests - before.requests).toBe(4);
    expect(after.byPath['/ad'] - (before.byPath['/ad'] ?? 0)).toBe(3);
    expect(after.byPath['/nope']).toBe(1);
    expect(after.byPath['/healthz']).toBeUndefined();
    expect(after.byHost['advertisement-shadow:3003']).toBe(3);
  });

  it('serves the Weather page at / and /healthz', async () => {
    const page = await get(`${frontendV1.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.body).toContain('<title>Weather Forecast</title>');
    expect(page.body).toContain("fetch('api/dashboard");
    const health = await get(`${frontendV1.url}/healthz`);
    expect(health.json).toMatchObject({ service: 'frontend', status: 'ok' });
    expect((await get(`${frontendV1.url}/nope`)).status).toBe(404);
  });

  it('status-board answers who it is', async () => {
    const sb = await startApp('status-board');
    const r = await get(`${sb.url}/`);
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ service: 'status-board', version: 'v1', path: '/' });
    await stop(sb);
  });
});

describe('tcp-echo', () => {
  it('answers each line with its version before it', async () => {
    const [v1, v2] = await Promise.all([startApp('tcp-echo', { VERSION: 'v1' }), startApp('tcp-echo', { VERSION: 'v2' })]);
    expect(await tcpExchange(v1.port, ['hello'])).toBe('v1 hello\n');
    expect(await tcpExchange(v2.port, ['hello', 'weather\r', 'x'])).toBe('v2 hello\nv2 weather\nv2 x\n');
    await Promise.all([stop(v1), stop(v2)]);
  });

  it('on SIGTERM stops accepting, answers what an open connection sent, and exits 0', async () => {
    const echo = await startApp('tcp-echo', { VERSION: 'v1' });
    const s = net.connect(echo.port, '127.0.0.1');
    s.setEncoding('utf8');
    let got = '';
    s.on('data', (d: string) => (got += d));
    const closed = new Promise<void>((resolve) => s.on('close', () => resolve()));
    await new Promise<void>((resolve) => s.once('connect', () => resolve()));
    s.write('first\n');
    await expect.poll(() => got).toBe('v1 first\n');
    echo.child.kill('SIGTERM');
    await expect.poll(() => connects(echo.port)).toBe(false);
    await closed;
    expect((await echo.exited).code).toBe(0);
  });
});

describe('graceful stop on SIGTERM', () => {
  it('lets an in-flight request finish, refuses new connections, then exits 0', async () => {
    const f = await startApp('forecast', { VERSION: 'v1' });
    const inFlight = get(`${f.url}/forecast?city=Lima&delay=1500`);
    // The request has arrived once /stats counts it.
    await expect.poll(async () => (await get(`${f.url}/stats`)).json.byPath['/forecast'] ?? 0).toBe(1);
    f.child.kill('SIGTERM');
    await expect.poll(() => connects(f.port)).toBe(false);
    expect(f.child.exitCode).toBeNull();
    const r = await inFlight;
    expect(r.status).toBe(200);
    expect(r.json).toMatchObject({ service: 'forecast', city: 'Lima' });
    expect(r.headers['connection']).toBe('close');
    expect((await f.exited).code).toBe(0);
    expect(f.logs.map((l) => l['msg'])).toEqual(expect.arrayContaining(['shutting down', 'stopped']));
  });

  it('refuses a bad environment with exit code 2', async () => {
    const child = spawn(process.execPath, [join('apps', 'frontend.mjs')], { cwd: SAMPLE, env: { PATH: process.env['PATH'] ?? '', PORT: 'eighty', BIND_ADDRESS: '127.0.0.1' } });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    expect(code).toBe(2);
    expect(stderr).toMatch(/PORT must be an integer/);
  });
});
