// The supervisor with stand-in proxies (tiny node scripts: one that fails, one that ignores SIGTERM,
// one that quits cleanly) as real child processes; restart delays are shortened through the policy.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyCommand } from '../src/proxy/proxy-launch.js';
import { ProxySupervisor, type SupervisorOptions } from '../src/proxy/proxy-supervisor.js';
import { captureLogs } from './log-capture.js';

let dir: string;
const NODE = { id: 'sidecar~10.0.0.1~p.ns~ns.svc.cluster.local', ip: '10.0.0.1', cluster: 'app.ns', metadata: {} };
const ACCEPTED = new Set(['config-path', 'drain-time-s', 'service-node', 'log-level']);
const FAST = { initialDelayMs: 20, maxDelayMs: 80, maxFailures: 4, stableAfterMs: 10_000 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'weft-agent-supervisor-'));
  await writeFile(join(dir, 'fail.mjs'), 'process.exit(3);\n');
  await writeFile(join(dir, 'quit.mjs'), 'setTimeout(() => process.exit(0), 50);\n');
  // Ignores SIGTERM (only SIGKILL stops it), then records its argv (so the file also says "handler installed").
  await writeFile(
    join(dir, 'stubborn.mjs'),
    "import { writeFileSync } from 'node:fs';\nprocess.on('SIGTERM', () => {});\nsetInterval(() => {}, 1000);\nwriteFileSync(new URL('./argv.json', import.meta.url), JSON.stringify(process.argv.slice(2)));\n",
  );
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function argvWritten(): Promise<void> {
  await expect.poll(async () => readFile(join(dir, 'argv.json'), 'utf8').catch(() => ''), { timeout: 10_000 }).not.toBe('');
}

function supervisor(script: string, logs: ReturnType<typeof captureLogs>, over: Partial<SupervisorOptions> = {}): ProxySupervisor {
  return new ProxySupervisor({
    command: proxyCommand(join(dir, script), process.execPath),
    configPath: join(dir, 'proxy'),
    bootstrap: { node: { id: NODE.id } },
    launch: { node: NODE, drainDurationMs: 2000, parentShutdownDurationMs: 3000, proxyLogLevel: 'warning', concurrency: 0 },
    accepted: ACCEPTED,
    logger: logs.logger,
    policy: FAST,
    ...over,
  });
}

describe('ProxySupervisor', () => {
  it('restarts a failing proxy with backoff, then gives up with the reason', async () => {
    const logs = captureLogs();
    const s = supervisor('fail.mjs', logs);
    s.start();
    const end = await s.ended;
    expect(end.code).toBe(1);
    expect(end.error?.code).toBe('WEFT_AGENT_PROXY_GAVE_UP');
    expect(end.error?.message).toMatch(/failed 4 times in a row.*exit code 3/);
    const exits = logs.lines.filter((l) => l['msg'] === 'proxy exited');
    expect(exits.map((l) => [l['code'], l['signal']])).toEqual([[3, null], [3, null], [3, null], [3, null]]);
    expect(logs.lines.filter((l) => l['msg'] === 'restarting proxy').map((l) => [l['attempt'], l['delayMs']])).toEqual([[1, 20], [2, 40], [3, 80]]);
    expect(s.running).toBe(false);
  });

  it('writes envoy-rev0.json and passes the advertised flags', async () => {
    const logs = captureLogs();
    await rm(join(dir, 'argv.json'), { force: true });
    const s = supervisor('stubborn.mjs', logs);
    s.start();
    await logs.waitFor('proxy started');
    const bootstrapPath = join(dir, 'proxy', 'envoy-rev0.json');
    expect(JSON.parse(await readFile(bootstrapPath, 'utf8'))).toEqual({ node: { id: NODE.id } });
    await argvWritten();
    expect(JSON.parse(await readFile(join(dir, 'argv.json'), 'utf8'))).toEqual(['-c', bootstrapPath, '--drain-time-s', '2', '--service-node', NODE.id, '-l', 'warning']);
    await s.stop(200);
  });

  it('SIGKILLs a proxy still alive after the grace period and does not restart it', async () => {
    const logs = captureLogs();
    await rm(join(dir, 'argv.json'), { force: true });
    const s = supervisor('stubborn.mjs', logs);
    s.start();
    await logs.waitFor('proxy started');
    await argvWritten();
    const pid = s.pid!;
    const t0 = Date.now();
    await s.stop(300);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(logs.lines.some((l) => l['msg'] === 'proxy still running after parentShutdownDuration; sending SIGKILL')).toBe(true);
    expect((await logs.waitFor('proxy stopped'))['signal']).toBe('SIGKILL');
    expect(() => process.kill(pid, 0)).toThrow();
    expect(logs.lines.some((l) => l['msg'] === 'restarting proxy')).toBe(false);
  });

  it('ends with 0 when the proxy quits on its own', async () => {
    const logs = captureLogs();
    const s = supervisor('quit.mjs', logs);
    s.start();
    expect(await s.ended).toEqual({ code: 0 });
    expect((await logs.waitFor('proxy exited'))['code']).toBe(0);
  });

  it('counts a proxy that cannot be spawned as a failure', async () => {
    const logs = captureLogs();
    const s = supervisor('fail.mjs', logs, { command: { file: join(dir, 'no-such-binary'), prefix: [] }, policy: { ...FAST, maxFailures: 2 } });
    s.start();
    const end = await s.ended;
    expect(end.error?.message).toMatch(/cannot start the proxy .*no-such-binary: ENOENT/);
  });

  it('reports a bootstrap it cannot write', async () => {
    const logs = captureLogs();
    await writeFile(join(dir, 'a-file'), '');
    const s = supervisor('fail.mjs', logs, { configPath: join(dir, 'a-file', 'sub') });
    s.start();
    const end = await s.ended;
    expect(end.code).toBe(1);
    expect(end.error?.code).toBe('WEFT_AGENT_PROXY_BOOTSTRAP_WRITE');
  });
});
