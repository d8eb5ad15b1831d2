// Interop with a real xDS client: pilot-discovery serves a config directory; the real grpc-js-xds
// client (node metadata GENERATOR: grpc) calls an echo service registered by ServiceEntry with two
// subsets. Weighted routing, header pinning, fault abort, and live re-routing after a file edit.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPilot, type PilotProcess } from './pilot-process.js';

const CLIENT = fileURLToPath(new URL('./fixtures/grpc-client.mjs', import.meta.url));
const HOST = 'echo.default.svc.cluster.local';

function serviceYaml(ports: { v1: number; v2: number }): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: echo, namespace: default}
spec:
  hosts: [${HOST}]
  location: MESH_INTERNAL
  resolution: STATIC
  ports:
  - {number: 7070, name: grpc, protocol: GRPC}
  endpoints:
  - {address: 127.0.0.1, ports: {grpc: ${ports.v1}}, labels: {app: echo, version: v1}}
  - {address: 127.0.0.1, ports: {grpc: ${ports.v2}}, labels: {app: echo, version: v2}}
---
apiVersion: networking.istio.io/v1alpha3
kind: DestinationRule
metadata: {name: echo, namespace: default}
spec:
  host: ${HOST}
  subsets:
  - {name: v1, labels: {version: v1}}
  - {name: v2, labels: {version: v2}}
`;
}

function routesYaml(w1: number, w2: number): string {
  return `apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: echo, namespace: default}
spec:
  hosts: [${HOST}]
  http:
  - match:
    - headers:
        x-pin: {exact: v2}
    route:
    - destination: {host: ${HOST}, subset: v2}
  - match:
    - headers:
        x-fault: {exact: abort}
    fault:
      abort: {percentage: {value: 100}, httpStatus: 503}
    route:
    - destination: {host: ${HOST}, subset: v1}
  - route:
    - destination: {host: ${HOST}, subset: v1}
      weight: ${w1}
    - destination: {host: ${HOST}, subset: v2}
      weight: ${w2}
`;
}

async function echoServer(name: string): Promise<{ server: grpc.Server; port: number }> {
  const server = new grpc.Server();
  const identity = (b: Buffer) => b;
  server.addService(
    { Echo: { path: '/weft.test.Echo/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity } },
    { Echo: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.from(name)) },
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { server, port };
}

class XdsClient {
  private readonly lines: AsyncIterator<string>;
  constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }
  async run(calls: number, metadata: Record<string, string> = {}): Promise<Record<string, number>> {
    this.child.stdin.write(`${JSON.stringify({ calls, metadata })}\n`);
    const next = await this.lines.next();
    if (next.done) throw new Error('grpc client exited');
    return JSON.parse(next.value) as Record<string, number>;
  }
  stop(): void {
    this.child.stdin.end();
    this.child.kill();
  }
}

let dir = '';
let pilot: PilotProcess;
let client: XdsClient;
const servers: grpc.Server[] = [];

beforeAll(async () => {
  const v1 = await echoServer('v1');
  const v2 = await echoServer('v2');
  servers.push(v1.server, v2.server);
  dir = await mkdtemp(join(tmpdir(), 'weft-pilot-grpc-'));
  await writeFile(join(dir, 'echo-service.yaml'), serviceYaml({ v1: v1.port, v2: v2.port }));
  await writeFile(join(dir, 'echo-routes.yaml'), routesYaml(80, 20));
  pilot = await startPilot([`--configDir=${dir}`], { PILOT_DEBOUNCE_AFTER: '20ms' });
  const bootstrap = {
    xds_servers: [{ server_uri: pilot.grpc, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
    node: { id: 'sidecar~127.0.0.1~client-0.default~default.svc.cluster.local', metadata: { GENERATOR: 'grpc', NAMESPACE: 'default' }, locality: {} },
  };
  const child = spawn(process.execPath, [CLIENT, `xds:///${HOST}:7070`], {
    env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  client = new XdsClient(child);
}, 60_000);

afterAll(async () => {
  client?.stop();
  await pilot?.stop();
  for (const s of servers) s.forceShutdown();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('proxyless gRPC (grpc-js-xds) against pilot-discovery', () => {
  it('splits 80/20 by weight within ±5% over 1000 calls', async () => {
    const counts = await client.run(1000);
    expect((counts['v1'] ?? 0) + (counts['v2'] ?? 0)).toBe(1000);
    expect(counts['v1']! / 1000).toBeGreaterThanOrEqual(0.75);
    expect(counts['v1']! / 1000).toBeLessThanOrEqual(0.85);
  });

  it('pins the v2 subset by header match', async () => {
    expect(await client.run(100, { 'x-pin': 'v2' })).toEqual({ v2: 100 });
  });

  it('applies a fault abort (HTTP 503 → UNAVAILABLE)', async () => {
    expect(await client.run(20, { 'x-fault': 'abort' })).toEqual({ [`error:${grpc.status.UNAVAILABLE}`]: 20 });
  });

  it('re-routes live traffic within 1 s of a file edit', async () => {
    const edited = Date.now();
    await writeFile(join(dir, 'echo-routes.yaml'), routesYaml(0, 100));
    let movedAt = 0;
    for (let i = 0; i < 200 && !movedAt; i++) {
      const counts = await client.run(10);
      if (counts['v2'] === 10) movedAt = Date.now();
    }
    expect(movedAt).toBeGreaterThan(0);
    expect(movedAt - edited).toBeLessThan(1000);
    expect(await client.run(200)).toEqual({ v2: 200 });
  });

  it('reports the proxy as synced in /debug/syncz and counts pushes in /metrics', async () => {
    const rows = (await (await fetch(`http://${pilot.http}/debug/syncz`)).json()) as Record<string, string>[];
    const row = rows.find((r) => r['proxy'] === 'client-0.default');
    expect(row).toBeDefined();
    for (const t of ['cluster', 'listener', 'route', 'endpoint']) {
      expect(row![`${t}_sent`], t).not.toBe('');
      expect(row![`${t}_acked`], t).toBe(row![`${t}_sent`]);
      expect(row![`${t}_synced`], t).toBe(true);
      expect(row![`${t}_latest_version`], t).toBe(row![`${t}_acked_version`]);
    }
    const metrics = await (await fetch(`http://${pilot.monitoring}/metrics`)).text();
    expect(metrics).toMatch(/pilot_xds_pushes\{type="lds"\} [1-9]/);
    expect(metrics).toMatch(/^pilot_xds 1$/m);
  });
});
