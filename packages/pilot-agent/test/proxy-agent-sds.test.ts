// The agent starts its SDS server before the proxy and removes the socket when it exits. The proxy
// is a stand-in (a node script) that reads the bootstrap it was given, connects to the socket its
// `sds-grpc` cluster names, records what happened, and quits (so the agent exits 0 with it).
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadProtoRegistry } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentConfig } from '../src/proxy/agent-config.js';
import { buildBootstrap } from '../src/proxy/bootstrap.js';
import { ProxyAgent } from '../src/proxy/proxy-agent.js';
import { proxyCommand } from '../src/proxy/proxy-launch.js';
import { captureLogs } from './log-capture.js';

const registry = loadProtoRegistry();
let dir: string;
let n = 0;

const STAND_IN = `import { readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
const bootstrap = JSON.parse(readFileSync(process.argv[process.argv.indexOf('-c') + 1], 'utf8'));
const cluster = bootstrap.static_resources.clusters.find((c) => c.name === 'sds-grpc');
const path = cluster.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.pipe.path;
const out = new URL('./seen.json', import.meta.url);
const s = net.connect({ path });
s.on('connect', () => { writeFileSync(out, JSON.stringify({ path, connected: true })); s.destroy(); process.exit(0); });
s.on('error', (e) => { writeFileSync(out, JSON.stringify({ path, error: e.code })); process.exit(0); });
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'weft-agent-sds-'));
  writeFileSync(join(dir, 'proxy.mjs'), STAND_IN);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function config(): AgentConfig {
  return {
    role: 'router',
    node: { id: 'router~127.0.0.1~gw-1.istio-system~istio-system.svc.cluster.local', ip: '127.0.0.1', cluster: 'istio-ingressgateway', metadata: {} },
    discovery: { host: '127.0.0.1', port: 15010 },
    pilotDebug: { host: '127.0.0.1', port: 8080 },
    concurrency: 0,
    statusPort: 0,
    readinessPort: 0,
    prometheusPort: 0,
    proxyAdminPort: 15000,
    proxyLogLevel: 'warning',
    drainDurationMs: 1000,
    parentShutdownDurationMs: 2000,
    terminationDrainDurationMs: 0,
    connectTimeoutMs: 1000,
    dnsRefreshRateMs: 1000,
    configPath: join(dir, `proxy-${++n}`),
    applicationPorts: [],
    agentLogLevel: 'info',
    notEnforced: [],
  };
}

function agent(socketPath: string, logs: ReturnType<typeof captureLogs>): ProxyAgent {
  const c = config();
  return new ProxyAgent({
    config: c,
    bootstrap: buildBootstrap({ ...c, sdsSocketPath: socketPath }),
    command: proxyCommand(join(dir, 'proxy.mjs'), process.execPath),
    accepted: new Set(['config-path']),
    logger: logs.logger,
    sds: { socketPath, registry },
  });
}

const seen = () => JSON.parse(readFileSync(join(dir, 'seen.json'), 'utf8')) as { path: string; connected?: boolean; error?: string };

describe('ProxyAgent with SDS', () => {
  it('serves SDS on the socket before the proxy starts, and removes it on exit', async () => {
    const logs = captureLogs();
    const socket = join(dir, 'a', 'var', 'run', 'secrets', 'workload-spiffe-uds', 'socket');
    expect(await agent(socket, logs).run()).toBe(0);
    expect(seen()).toEqual({ path: socket, connected: true });
    const order = logs.lines.map((l) => l['msg']);
    expect(order.indexOf('SDS server listening')).toBeGreaterThanOrEqual(0);
    // Listening before the proxy is spawned (not merely before it happens to connect).
    expect(order.indexOf('SDS server listening')).toBeLessThan(order.indexOf('pilot-agent starting the proxy'));
    expect(order.indexOf('SDS server closed')).toBeGreaterThan(order.indexOf('proxy exited'));
    expect(existsSync(socket)).toBe(false);
  });

  it('runs the proxy without SDS when the socket is taken, logging why', async () => {
    const logs = captureLogs();
    const socket = join(dir, 'taken.sock');
    const other = net.createServer((c) => c.destroy());
    await new Promise<void>((r) => other.listen(socket, () => r()));
    try {
      expect(await agent(socket, logs).run()).toBe(0);
      const line = await logs.waitFor(`the SDS server cannot listen on ${socket}: another process is serving on ${socket}; secrets are not served to the proxy`);
      expect(line).toMatchObject({ level: 'error', code: 'WEFT_AGENT_SDS_LISTEN', module: 'proxy.agent' });
      expect(logs.lines.some((l) => l['msg'] === 'proxy started')).toBe(true);
      expect(existsSync(socket)).toBe(true);
    } finally {
      await new Promise((r) => other.close(r));
    }
  });
});
