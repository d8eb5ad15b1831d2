// Story: pilot-agent runs weft-proxy for a pod as the local platform starts it — the bootstrap it writes,
// readiness (503 until the proxy is LIVE with config from Pilot), restart after a crash, and the
// termination sequence (503 at once, wait for Pilot to push the pod's removal to peers, drain, exit 0).
// The sidecar runs in a network namespace this story creates (its proxy binds :15001/:15006 and the
// agent :15020/:15021/:15090, which must not clash with other tests), joined to the host by a veth pair;
// Pilot and a peer gateway (a second agent, router role) run on the host side.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './gateway-fixture.js';
import { startProcess, type RunningProcess } from './processes.js';
import { REPO_ROOT, waitFor } from './workspace.js';

const AGENT = join(REPO_ROOT, 'packages', 'pilot-agent', 'bin', 'pilot-agent.js');
const PROXY = join(REPO_ROOT, 'packages', 'proxy', 'bin', 'weft-proxy.js');
const canRun = process.platform === 'linux' && process.getuid?.() === 0 && spawnSync('ip', ['-V']).status === 0;

const NS = `weft-agent-${process.pid}`;
const SUBNET = 20 + (process.pid % 200);
const HOST_IP = `10.250.${SUBNET}.1`;
const POD_IP = `10.250.${SUBNET}.2`;
const VETH_HOST = `wa${process.pid % 100000}h`;
const VETH_POD = `wa${process.pid % 100000}p`;
const NODE_ID = `sidecar~${POD_IP}~web-1.weather~weather.svc.cluster.local`;

/** The registry entry of web (the sidecar's pod among its endpoints), and a gateway routing to it. */
function meshConfig(endpoints: readonly string[], gatewayPort: number): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata:
  name: web
  namespace: weather
spec:
  hosts: [web.weather.svc.cluster.local]
  addresses: [10.96.0.10]
  ports:
  - number: 80
    name: http
    protocol: HTTP
  location: MESH_INTERNAL
  resolution: STATIC
  endpoints:
${endpoints.map((a) => `  - address: ${a}\n    ports: { http: 3002 }`).join('\n')}
---
apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: web-gateway, namespace: weather}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: ${gatewayPort}, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: web, namespace: weather}
spec:
  hosts: ["*"]
  gateways: [web-gateway]
  http:
  - route: [{destination: {host: web.weather.svc.cluster.local, port: {number: 80}}}]
`;
}

/** The environment pod-plan.ts gives the istio-proxy container. */
function podEnv(name: string, namespace: string, ip: string, role: 'sidecar' | 'router', labels: Record<string, string>): Record<string, string> {
  return {
    POD_NAME: name,
    POD_NAMESPACE: namespace,
    INSTANCE_IP: ip,
    SERVICE_ACCOUNT: 'default',
    HOST_IP: HOST_IP,
    ISTIO_META_POD_NAME: name,
    ISTIO_META_CONFIG_NAMESPACE: namespace,
    ISTIO_META_INTERCEPTION_MODE: role === 'router' ? 'NONE' : 'REDIRECT',
    ISTIO_META_INCLUDE_INBOUND_PORTS: '3002',
    ISTIO_META_CLUSTER_ID: 'Kubernetes',
    ISTIO_META_WORKLOAD_NAME: name.replace(/-\d+$/, ''),
    ISTIO_META_OWNER: `kubernetes://apis/apps/v1/namespaces/${namespace}/deployments/${name.replace(/-\d+$/, '')}`,
    ISTIO_META_POD_PORTS: '[{"containerPort":3002,"protocol":"TCP"}]',
    ISTIO_METAJSON_LABELS: JSON.stringify(labels),
    ISTIO_METAJSON_ANNOTATIONS: '{"sidecar.istio.io/status":"{}"}',
  };
}

interface Agent {
  readonly child: ChildProcess;
  readonly logs: Record<string, unknown>[];
  readonly exited: Promise<number | null>;
  line(msg: string, match?: (l: Record<string, unknown>) => boolean): Record<string, unknown> | undefined;
  all(msg: string): Record<string, unknown>[];
  dump(): string;
}

/** Starts pilot-agent (in `netns` when given), reading its JSON log lines (the proxy's come through too). */
function startAgent(args: readonly string[], env: Record<string, string>, netns?: string): Agent {
  const argv = [process.execPath, AGENT, ...args];
  const child = netns ? spawn('ip', ['netns', 'exec', netns, ...argv], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] }) : spawn(argv[0]!, argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  let buffered = '';
  child.stdout!.resume();
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    buffered += d;
    let nl: number;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      try {
        logs.push(JSON.parse(text) as Record<string, unknown>);
      } catch {
        logs.push({ raw: text });
      }
    }
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return {
    child,
    logs,
    exited,
    line: (msg, match = () => true) => logs.find((l) => l['msg'] === msg && match(l)),
    all: (msg) => logs.filter((l) => l['msg'] === msg),
    dump: () => logs.map((l) => JSON.stringify(l)).join('\n'),
  };
}

async function status(url: string): Promise<{ code: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { code: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
}

describe('pilot-agent proxy: refuses bad invocations', () => {
  it.each([
    [['proxy', 'foo'], 'WEFT_AGENT_PROXY_BAD_ROLE', /unknown proxy role "foo" \(allowed: sidecar, router\)/],
    [['proxy', 'sidecar', '--controlPlaneAuthPolicy', 'MUTUAL_TLS'], 'WEFT_AGENT_PROXY_AUTH_POLICY', /only NONE works until Citadel lands/],
    [['proxy', 'router', '--discoveryAddress', 'istio-pilot'], 'WEFT_AGENT_PROXY_BAD_FLAG', /--discoveryAddress/],
  ])('%j exits non-zero with %s', async (args, code, message) => {
    const agent = startAgent(args, { POD_NAME: 'p', POD_NAMESPACE: 'ns', INSTANCE_IP: '127.0.0.1' });
    expect(await agent.exited).toBe(2);
    const text = agent.logs.map((l) => String(l['raw'] ?? JSON.stringify(l))).join('\n');
    expect(text).toContain(`[${code}]`);
    expect(text).toMatch(message);
  });
});

describe.runIf(canRun)('pilot-agent proxy sidecar in a pod network namespace', () => {
  let dir: string;
  let configDir: string;
  let pilot: RunningProcess | undefined;
  let peer: Agent | undefined;
  let sidecar: Agent | undefined;
  let pilotGrpc: string;
  let pilotHttp: string;
  let peerAdmin: number;
  let peerStatus: number;
  let gatewayPort: number;
  const proxyPids: number[] = [];
  const podUrl = (port: number, path: string) => `http://${POD_IP}:${port}${path}`;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'weft-e2e-pilot-agent-'));
    configDir = join(dir, 'config');
    await mkdir(configDir);
    gatewayPort = await freePort();
    await writeFile(join(configDir, 'web.yaml'), meshConfig([POD_IP, '10.250.0.9'], gatewayPort));
    sh('ip', ['netns', 'add', NS]);
    sh('ip', ['link', 'add', VETH_HOST, 'type', 'veth', 'peer', 'name', VETH_POD]);
    sh('ip', ['link', 'set', VETH_POD, 'netns', NS]);
    sh('ip', ['addr', 'add', `${HOST_IP}/30`, 'dev', VETH_HOST]);
    sh('ip', ['link', 'set', VETH_HOST, 'up']);
    sh('ip', ['-n', NS, 'addr', 'add', `${POD_IP}/30`, 'dev', VETH_POD]);
    sh('ip', ['-n', NS, 'link', 'set', VETH_POD, 'up']);
    sh('ip', ['-n', NS, 'link', 'set', 'lo', 'up']);
    pilot = await startProcess('pilot', 'pilot-discovery', ['discovery', `--configDir=${configDir}`, `--grpcAddr=${HOST_IP}:0`, `--httpAddr=${HOST_IP}:0`, '--monitoringAddr=127.0.0.1:0'], ['ADS (gRPC) listening', 'debug HTTP listening'], { PILOT_DEBOUNCE_AFTER: '20ms' });
    pilotGrpc = pilot.addresses['ADS (gRPC) listening']!;
    pilotHttp = pilot.addresses['debug HTTP listening']!;
    // The peer: a gateway on the host side that routes to web, so Pilot must tell it when web-1 goes.
    [peerAdmin, peerStatus] = [await freePort(), await freePort()];
    peer = startAgent(
      ['proxy', 'router', '--serviceCluster', 'istio-ingressgateway', '--discoveryAddress', pilotGrpc, '--pilotDebugAddress', pilotHttp, '--configPath', join(dir, 'peer'), '--binaryPath', PROXY,
        '--proxyAdminPort', String(peerAdmin), '--statusPort', String(peerStatus), '--readinessPort', '0', '--prometheusPort', '0', '--drainDuration', '1s', '--parentShutdownDuration', '5s'],
      podEnv('istio-ingressgateway-1', 'istio-system', '127.0.0.1', 'router', { istio: 'ingressgateway' }),
    );
    await waitFor('the peer gateway to be ready', async () => (await status(`http://127.0.0.1:${peerStatus}/healthz/ready`))?.code === 200);
    await waitFor("the peer gateway to have web's endpoints", async () => (await (await fetch(`http://127.0.0.1:${peerAdmin}/clusters`)).text()).includes(`::${POD_IP}:3002::`));
  });

  afterAll(async () => {
    for (const a of [sidecar, peer]) if (a && a.child.exitCode === null && a.child.signalCode === null) a.child.kill('SIGKILL');
    for (const a of [sidecar, peer]) if (a) await a.exited;
    for (const pid of proxyPids) if (alive(pid)) process.kill(pid, 'SIGKILL');
    await pilot?.stop();
    if (canRun) {
      spawnSync('ip', ['netns', 'del', NS]);
      spawnSync('ip', ['link', 'del', VETH_HOST]);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('starts the sidecar as the local platform does: readiness 503, then 200 once the proxy is LIVE', async () => {
    sidecar = startAgent(
      ['proxy', 'sidecar', '--domain', 'weather.svc.cluster.local', '--configPath', join(dir, 'proxy'), '--binaryPath', PROXY, '--serviceCluster', 'web.weather',
        '--drainDuration', '2s', '--parentShutdownDuration', '10s', '--discoveryAddress', pilotGrpc, '--pilotDebugAddress', pilotHttp, '--proxyLogLevel', 'warning',
        '--connectTimeout', '10s', '--proxyAdminPort', '15000', '--controlPlaneAuthPolicy', 'NONE', '--statusPort', '15020', '--applicationPorts', '3002'],
      podEnv('web-1', 'weather', POD_IP, 'sidecar', { app: 'web', version: 'v1' }),
      NS,
    );
    const agent = sidecar;
    // The two servers start concurrently and log when each is up: wait for both lines.
    await waitFor('the status and readiness servers', async () => (agent.line('status server listening') !== undefined && agent.line('readiness server listening') !== undefined) || agent.child.exitCode !== null);
    expect(agent.line('status server listening'), agent.dump()).toMatchObject({ address: '0.0.0.0:15020', component: 'pilot-agent' });
    expect(agent.line('readiness server listening')).toMatchObject({ address: '0.0.0.0:15021' });
    const seen: number[] = [];
    await waitFor('readiness 200', async () => {
      const r = await status(podUrl(15020, '/healthz/ready'));
      if (r) seen.push(r.code);
      return r?.code === 200;
    });
    expect(seen[0]).toBe(503);
    expect(seen.at(-1)).toBe(200);
    expect((await status(podUrl(15021, '/healthz/ready')))?.code).toBe(200);
    const started = agent.line('proxy started')!;
    proxyPids.push(started['pid'] as number);
    expect(started['args']).toEqual(expect.arrayContaining(['-c', join(dir, 'proxy', 'envoy-rev0.json'), '--service-node', NODE_ID, '--service-cluster', 'web.weather', '--drain-time-s', '2', '-l', 'warning']));
  });

  it('wrote envoy-rev0.json: node ID and metadata from the environment, ADS to Pilot', async () => {
    const b = JSON.parse(await readFile(join(dir, 'proxy', 'envoy-rev0.json'), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(b['node']['id']).toBe(NODE_ID);
    expect(b['node']['cluster']).toBe('web.weather');
    expect(b['node']['metadata']).toMatchObject({
      LABELS: { app: 'web', version: 'v1' },
      NAMESPACE: 'weather',
      CONFIG_NAMESPACE: 'weather',
      POD_NAME: 'web-1',
      INSTANCE_IPS: POD_IP,
      INTERCEPTION_MODE: 'REDIRECT',
      CLUSTER_ID: 'Kubernetes',
      SERVICE_ACCOUNT: 'default',
      WORKLOAD_NAME: 'web',
      ISTIO_VERSION: expect.stringMatching(/^1\.3\.0-weft/),
    });
    const [host, port] = pilotGrpc.split(':');
    const xds = b['static_resources']['clusters'].find((c: { name: string }) => c.name === 'xds-grpc');
    expect(xds.type).toBe('STATIC');
    expect(xds.load_assignment.endpoints[0].lb_endpoints[0].endpoint.address.socket_address).toMatchObject({ address: host, port_value: Number(port) });
    expect(b['dynamic_resources']['ads_config']).toMatchObject({ api_type: 'GRPC', transport_api_version: 'V3' });
    expect(b['admin']['address']['socket_address']).toMatchObject({ address: '127.0.0.1', port_value: 15000 });
  });

  it("is listed in Pilot's /debug/syncz with its node ID, and serves /stats/prometheus on :15090", async () => {
    const rows = (await (await fetch(`http://${pilotHttp}/debug/syncz`)).json()) as Array<Record<string, unknown>>;
    expect(rows.find((r) => r['node_id'] === NODE_ID)).toMatchObject({ proxy: 'web-1.weather', cluster_synced: true, listener_synced: true });
    const prom = await (await fetch(podUrl(15090, '/stats/prometheus'))).text();
    expect(prom).toMatch(/envoy_cluster_manager_cds_update_success\S* [1-9]/);
  });

  it('restarts the proxy after it is killed, and readiness comes back', async () => {
    const agent = sidecar!;
    const pid = agent.line('proxy started')!['pid'] as number;
    process.kill(pid, 'SIGKILL');
    await waitFor('proxy exited / restarting proxy', async () => agent.line('restarting proxy') !== undefined);
    expect(agent.line('proxy exited')).toMatchObject({ signal: 'SIGKILL', level: 'warn' });
    expect(agent.line('restarting proxy')).toMatchObject({ attempt: 1, delayMs: 200 });
    await waitFor('a second proxy', async () => agent.all('proxy started').length === 2);
    const second = agent.all('proxy started')[1]!['pid'] as number;
    proxyPids.push(second);
    expect(second).not.toBe(pid);
    await waitFor('readiness 200 again', async () => (await status(podUrl(15020, '/healthz/ready')))?.code === 200);
  });

  it('on SIGTERM: 503 at once, waits for Pilot to tell the peer, stops the proxy and exits 0', async () => {
    const agent = sidecar!;
    const proxyPid = agent.all('proxy started')[1]!['pid'] as number;
    const peerHas = async () => (await (await fetch(`http://127.0.0.1:${peerAdmin}/clusters`)).text()).includes(`::${POD_IP}:3002::`);
    expect(await peerHas()).toBe(true);
    const endpointz = (await (await fetch(`http://${pilotHttp}/debug/endpointz`)).json()) as Array<{ endpoint: { address: string } }>;
    expect(endpointz.map((e) => e.endpoint.address)).toContain(POD_IP);
    // The platform's order: the pod leaves the registry as its agent gets SIGTERM.
    await writeFile(join(configDir, 'web.yaml'), meshConfig(['10.250.0.9'], gatewayPort));
    agent.child.kill('SIGTERM');
    await waitFor('readiness 503', async () => {
      const r = await status(podUrl(15020, '/healthz/ready'));
      return r?.code === 503 && r.body.includes('draining');
    });
    expect(await agent.exited).toBe(0);
    const converged = agent.line('drain: pilot converged');
    expect(converged, agent.dump()).toMatchObject({ reason: 'endpoint removed and 1 peer stream synced' });
    expect(converged!['waitedMs']).toBeTypeOf('number');
    expect(agent.line('proxy stopped')).toBeDefined();
    expect(agent.line('pilot-agent exiting')).toMatchObject({ code: 0 });
    expect(alive(proxyPid)).toBe(false);
    // What "converged" promised: the peer no longer has the pod's endpoint.
    expect(await peerHas()).toBe(false);
    const order = ['termination started: readiness now answers 503', 'drain: pilot converged', 'stopping proxy (SIGTERM)', 'proxy stopped', 'pilot-agent exiting'].map((m) => agent.logs.findIndex((l) => l['msg'] === m));
    expect(order).toEqual([...order].sort((a, b) => a - b));
  });

  it('the peer gateway drains on POST /quitquitquit and exits 0', async () => {
    const p = peer!;
    expect((await fetch(`http://127.0.0.1:${peerStatus}/quitquitquit`)).status).toBe(405);
    expect((await fetch(`http://127.0.0.1:${peerStatus}/quitquitquit`, { method: 'POST' })).status).toBe(200);
    expect(await p.exited).toBe(0);
    expect(p.line('termination started: readiness now answers 503')).toMatchObject({ cause: 'POST /quitquitquit' });
    expect(p.line('drain: pilot converged')).toBeDefined();
  });
});
