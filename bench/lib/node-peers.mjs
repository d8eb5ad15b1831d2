// The Node peers: @fastify/http-proxy (d) and weft-proxy as an ingress gateway configured by
// pilot-discovery from Istio YAML (e), as the e2e gateway stories run them.
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, get, startServer, waitFor } from './processes.mjs';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FASTIFY_PEER = fileURLToPath(new URL('../peers/fastify-proxy.mjs', import.meta.url));
const PILOT_BIN = join(REPO_ROOT, 'packages', 'pilot', 'bin', 'pilot-discovery.js');
const PROXY_BIN = join(REPO_ROOT, 'packages', 'proxy', 'bin', 'weft-proxy.js');

/** pilot-agent's PROXY_NODE_FLAGS, from its build (`npm run bench:proxy` builds it). */
async function proxyNodeFlags() {
  const launch = join(REPO_ROOT, 'packages', 'pilot-agent', 'dist', 'proxy', 'proxy-launch.js');
  if (!existsSync(launch)) throw new Error('pilot-agent is not built: run `npx nx run pilot-agent:build` (npm run bench:proxy does)');
  return (await import(launch)).PROXY_NODE_FLAGS;
}

/** The built programs the weft peers need (`npx nx run proxy:build` and `pilot:build`). */
export function missingWeftBuilds() {
  return ['pilot', 'proxy', 'pilot-agent'].filter((pkg) => !existsSync(join(REPO_ROOT, 'packages', pkg, 'dist', 'main.js')));
}

/**
 * @param {string} name
 * @param {number} port
 * @param {{ child: { exitCode: number | null }, tail: () => string }} server
 */
function served(name, port, server) {
  return waitFor(`${name} to serve /1k`, async () => {
    if (server.child.exitCode !== null) throw new Error(`${name} exited: ${server.tail()}`);
    const r = await get(`http://127.0.0.1:${port}/1k`);
    return r.status === 200 && r.length === 1024;
  });
}

/** @param {number} upstreamPort @param {string | undefined} cpus */
export async function startFastifyPeer(upstreamPort, cpus) {
  const port = await freePort();
  const h2Port = await freePort();
  const server = startServer('fastify', process.execPath, [FASTIFY_PEER, `http://127.0.0.1:${upstreamPort}`, String(port), String(h2Port)], { cpus, cwd: REPO_ROOT });
  await served('fastify', port, server);
  return { server, port, h2Port };
}

/**
 * Istio config for the weft gateways: a ServiceEntry for the upstream, and per gateway a Gateway
 * selecting it by label with a VirtualService routing everything to the upstream.
 * @param {number} upstreamPort @param {readonly { label: string, port: number }[]} gateways
 */
export function istioConfig(upstreamPort, gateways) {
  const serviceEntry = `apiVersion: networking.istio.io/v1alpha3
kind: ServiceEntry
metadata: {name: upstream, namespace: bench}
spec:
  hosts: [upstream.bench.svc.cluster.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{number: 80, name: http, protocol: HTTP}]
  endpoints:
  - {address: 127.0.0.1, ports: {http: ${upstreamPort}}}
`;
  const perGateway = gateways.map(
    ({ label, port }) => `apiVersion: networking.istio.io/v1alpha3
kind: Gateway
metadata: {name: ${label}, namespace: bench}
spec:
  selector: {bench: ${label}}
  servers:
  - port: {number: ${port}, name: http, protocol: HTTP}
    bind: 127.0.0.1
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1alpha3
kind: VirtualService
metadata: {name: ${label}, namespace: bench}
spec:
  hosts: ["*"]
  gateways: [${label}]
  http:
  - route: [{destination: {host: upstream.bench.svc.cluster.local, port: {number: 80}}}]
`,
  );
  return [serviceEntry, ...perGateway].join('---\n');
}

/** pilot-agent's bootstrap for a gateway labelled `bench: <label>`: ADS over gRPC to Pilot. */
function gatewayBootstrap(label, pilotGrpc, adminPort) {
  const [host, port] = pilotGrpc.split(':');
  return JSON.stringify({
    node: { id: `router~127.0.0.1~${label}.bench~bench.svc.cluster.local`, cluster: label, metadata: { LABELS: { bench: label }, NAMESPACE: 'bench' } },
    admin: { address: { socketAddress: { address: '127.0.0.1', portValue: adminPort } } },
    dynamicResources: { adsConfig: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'xds-grpc' } }] }, cdsConfig: { ads: {}, resourceApiVersion: 'V3' }, ldsConfig: { ads: {}, resourceApiVersion: 'V3' } },
    staticResources: {
      clusters: [
        {
          name: 'xds-grpc',
          type: 'STATIC',
          connectTimeout: '1s',
          loadAssignment: { clusterName: 'xds-grpc', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: host, portValue: Number(port) } } } }] }] },
          typedExtensionProtocolOptions: { 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': { '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions', explicitHttpConfig: { http2ProtocolOptions: {} } } },
        },
      ],
    },
  });
}

/**
 * Pilot (reading `config` from a directory) and one weft-proxy per concurrency, each a gateway of
 * its own. Pilot is not measured; it idles once the proxies have their config.
 * @param {string} dir
 * @param {number} upstreamPort
 * @param {readonly { name: string, concurrency: number, cpus?: string }[]} proxies
 * @param {{ nodeArgs?: readonly string[], accessLogFile?: string }} [extra] `node` flags for weft-proxy
 *   (`--cpu-prof` to profile it); MeshConfig.accessLogFile (none by default)
 */
export async function startWeftPeers(dir, upstreamPort, proxies, { nodeArgs = [], accessLogFile = '' } = {}) {
  const configDir = join(dir, 'config');
  await mkdir(configDir, { recursive: true });
  const gateways = [];
  for (const p of proxies) gateways.push({ ...p, label: p.name.replace(/[^a-z0-9]/g, '-'), port: await freePort(), adminPort: await freePort() });
  await writeFile(join(configDir, 'bench.yaml'), istioConfig(upstreamPort, gateways));
  // Istio 1.3's Helm install turns access logs off (the code default is /dev/stdout); no other peer
  // logs requests either.
  const meshConfig = join(dir, 'mesh.yaml');
  await writeFile(meshConfig, `accessLogFile: "${accessLogFile}"\n`);
  let grpc = '';
  const pilot = startServer('pilot', process.execPath, [PILOT_BIN, 'discovery', `--configDir=${configDir}`, `--meshConfig=${meshConfig}`, '--grpcAddr=127.0.0.1:0', '--httpAddr=127.0.0.1:0', '--monitoringAddr=127.0.0.1:0'], {
    env: { PILOT_DEBOUNCE_AFTER: '20ms' },
    onLine: (line) => {
      const address = logAddress(line, 'ADS (gRPC) listening');
      if (address) grpc = address;
    },
  });
  await waitFor('pilot-discovery to listen', async () => {
    if (pilot.child.exitCode !== null) throw new Error(`pilot-discovery exited: ${pilot.tail()}`);
    return grpc !== '';
  });
  const peers = [];
  for (const g of gateways) {
    const bootstrap = join(dir, `${g.label}.bootstrap.json`);
    await writeFile(bootstrap, gatewayBootstrap(g.label, grpc, g.adminPort));
    // The node flags pilot-agent starts weft-proxy with (a sidecar or gateway runs with them).
    const server = startServer(g.name, process.execPath, [...(await proxyNodeFlags()), ...nodeArgs, PROXY_BIN, '-c', bootstrap, '--concurrency', String(g.concurrency), '--drain-time-s=1'], { cpus: g.cpus });
    peers.push({ server, port: g.port, h2Port: g.port, adminPort: g.adminPort, name: g.name });
  }
  for (const p of peers) await served(p.name, p.port, p.server);
  return { pilot, peers };
}

/** The `address` of a pino log line with message `msg`, without its scheme. */
function logAddress(line, msg) {
  try {
    const entry = JSON.parse(line);
    return entry.msg === msg && typeof entry.address === 'string' ? entry.address.replace(/^https?:\/\//, '') : undefined;
  } catch {
    return undefined;
  }
}
