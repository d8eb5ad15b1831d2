// Interop with the real grpc-js-xds client (SotW ADS): it must resolve xds:///hello through our
// server (LDS api_listener → RDS → CDS EDS → EDS), call a real echo server, and follow an update.
import { spawn, type ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NackEvent } from '../src/callbacks.js';
import { SnapshotCache } from '../src/snapshot-cache.js';
import { helloSnapshot } from './resources.js';
import { startXdsServer, type RunningServer } from './server-harness.js';

const FIXTURE = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'grpc-xds-client.mjs');
const NODE_ID = 'grpc-client-1';

const identity = (b: Buffer): Buffer => b;
const ECHO: grpc.ServiceDefinition = {
  Echo: {
    path: '/weft.test.Echo/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/** A plain gRPC server that answers every Echo call with its own name. */
async function echoServer(name: string): Promise<{ port: number; server: grpc.Server }> {
  const server = new grpc.Server();
  server.addService(ECHO, {
    Echo: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => callback(null, Buffer.from(name)),
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
  return { port, server };
}

interface CallResult {
  ok: boolean;
  from?: string;
  error?: string;
}

describe('grpc-js-xds interop', () => {
  let xds: RunningServer;
  let cache: SnapshotCache;
  let a: { port: number; server: grpc.Server };
  let b: { port: number; server: grpc.Server };
  let child: ChildProcess | undefined;
  const results: CallResult[] = [];
  const nacks: NackEvent[] = [];
  let stderr = '';

  beforeAll(async () => {
    a = await echoServer('server-a');
    b = await echoServer('server-b');
    cache = new SnapshotCache();
    xds = await startXdsServer({ cache, callbacks: { onNack: (_s, n) => nacks.push(n) } });
  });

  afterAll(async () => {
    child?.stdin?.end();
    child?.kill();
    await xds.close();
    a.server.forceShutdown();
    b.server.forceShutdown();
  });

  it('resolves xds:///hello through the server, calls the backend, and follows an EDS update', async () => {
    cache.setSnapshot(NODE_ID, helloSnapshot('v1', [a.port]));
    const bootstrap = {
      xds_servers: [{ server_uri: xds.target, channel_creds: [{ type: 'insecure' }], server_features: ['xds_v3'] }],
      node: { id: NODE_ID, locality: {} },
    };
    child = spawn(process.execPath, [FIXTURE], {
      env: { ...process.env, GRPC_XDS_BOOTSTRAP_CONFIG: JSON.stringify(bootstrap) },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const { stdout, stderr: errors } = child;
    if (!stdout || !errors) throw new Error('child stdio not piped');
    createInterface({ input: stdout }).on('line', (line) => results.push(JSON.parse(line) as CallResult));
    errors.on('data', (d: Buffer) => (stderr += d.toString()));
    const last = (): CallResult | undefined => results.at(-1);

    const until = async (from: string): Promise<void> => {
      try {
        await expect.poll(() => last()?.from, { timeout: 20_000 }).toBe(from);
      } catch (e) {
        throw new Error(`${(e as Error).message}\nlast result: ${JSON.stringify(last())}\nchild stderr: ${stderr}`);
      }
    };

    await until('server-a');
    // The client ACKed every type it asked for: LDS, RDS, CDS, EDS.
    await expect
      .poll(() => xds.xds.connections()[0]?.types.filter((t) => t.ackedNonce !== '' && t.ackedNonce === t.sentNonce).length)
      .toBe(4);
    expect(nacks).toEqual([]);

    cache.setSnapshot(NODE_ID, helloSnapshot('v2', [b.port]));
    await until('server-b');
    expect(nacks).toEqual([]);
  });
});
