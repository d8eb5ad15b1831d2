// Shared setup for ingress-gateway stories: pilot-discovery reading Istio YAML from a directory and
// weft-proxy as its ingress gateway (node type router, labels istio: ingressgateway), on 127.0.0.1.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startProcess, type RunningProcess } from './processes.js';
import { waitFor } from './workspace.js';

/** A port that was free a moment ago on 127.0.0.1 (for Gateway servers, which Pilot binds by config). */
export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** pilot-agent's bootstrap for a gateway: ADS over gRPC to Pilot, the admin API on an ephemeral port. */
export function gatewayBootstrap(pilotGrpc: string): string {
  const [host, port] = pilotGrpc.split(':');
  return JSON.stringify({
    node: { id: 'router~127.0.0.1~istio-ingressgateway-1.istio-system~istio-system.svc.cluster.local', cluster: 'istio-ingressgateway', metadata: { LABELS: { istio: 'ingressgateway' }, NAMESPACE: 'istio-system' } },
    admin: { address: { socketAddress: { address: '127.0.0.1', portValue: 0 } } },
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

export interface GatewayOptions {
  /** Names the temporary directory (`weft-e2e-<story>-…`). */
  readonly story: string;
  /** The Istio YAML Pilot reads (ServiceEntry, DestinationRule, Gateway, VirtualService…). */
  readonly config: string;
  /** True once the gateway serves what the story needs (the listener is up and routes). */
  readonly ready: () => Promise<boolean>;
  /** MeshConfig YAML handed to Pilot as `--meshConfig` (Istio 1.3 defaults when unset). */
  readonly meshConfig?: string;
}

export interface Gateway {
  readonly pilot: RunningProcess;
  readonly proxy: RunningProcess;
  /** host:port of the proxy's admin API. */
  readonly admin: string;
  /** host:port of Pilot's debug HTTP server (/debug/…) and monitoring server (/metrics). */
  readonly pilotHttp: string;
  readonly pilotMonitoring: string;
  /** The temporary directory of this gateway (config, bootstrap, mesh config). */
  readonly dir: string;
  /** `/stats` as a map of stat name → value (counters and gauges). */
  stats(filter?: string): Promise<Map<string, number>>;
  /** One stat's value (0 when the proxy has not created it yet). */
  stat(name: string): Promise<number>;
  /** `/clusters` text (`<cluster>::<host:port>::<stat>::<value>` lines). */
  clusters(): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Pilot on the config, then the proxy against Pilot, and waits until the proxy is LIVE and
 * `ready` holds. Whatever has started is stopped again if a later step fails.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const dir = await mkdtemp(join(tmpdir(), `weft-e2e-${options.story}-`));
  const configDir = join(dir, 'config');
  const started: RunningProcess[] = [];
  const stop = async () => {
    for (const p of started.reverse()) await p.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await mkdir(configDir);
    await writeFile(join(configDir, 'story.yaml'), options.config);
    const meshArgs: string[] = [];
    if (options.meshConfig !== undefined) {
      await writeFile(join(dir, 'mesh.yaml'), options.meshConfig);
      meshArgs.push(`--meshConfig=${join(dir, 'mesh.yaml')}`);
    }
    const pilot = await startProcess('pilot', 'pilot-discovery', ['discovery', `--configDir=${configDir}`, ...meshArgs, '--grpcAddr=127.0.0.1:0', '--httpAddr=127.0.0.1:0', '--monitoringAddr=127.0.0.1:0'], ['ADS (gRPC) listening', 'debug HTTP listening', 'monitoring HTTP listening'], { PILOT_DEBOUNCE_AFTER: '20ms' });
    started.push(pilot);
    const bootstrapFile = join(dir, 'bootstrap.json');
    await writeFile(bootstrapFile, gatewayBootstrap(pilot.addresses['ADS (gRPC) listening']!));
    const proxy = await startProcess('proxy', 'weft-proxy', ['-c', bootstrapFile, '--drain-time-s=1'], ['admin listening']);
    started.push(proxy);
    const admin = proxy.addresses['admin listening']!;
    // Within the stories' 60 s hook timeout, so that a gateway that never serves fails here, with its logs.
    await waitFor('the proxy to be LIVE', async () => (await fetch(`http://${admin}/ready`)).status === 200, 20_000);
    await waitFor(`the ${options.story} gateway to serve`, options.ready, 25_000);
    const stats = async (filter?: string) => {
      const text = await (await fetch(`http://${admin}/stats${filter ? `?filter=${encodeURIComponent(filter)}` : ''}`)).text();
      const out = new Map<string, number>();
      for (const line of text.split('\n')) {
        const m = /^(.+): (-?\d+(?:\.\d+)?)$/.exec(line);
        if (m) out.set(m[1]!, Number(m[2]));
      }
      return out;
    };
    return {
      pilot,
      proxy,
      admin,
      pilotHttp: pilot.addresses['debug HTTP listening']!,
      pilotMonitoring: pilot.addresses['monitoring HTTP listening']!,
      dir,
      stats,
      stat: async (name) => (await stats(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`)).get(name) ?? 0,
      clusters: async () => (await fetch(`http://${admin}/clusters`)).text(),
      stop,
    };
  } catch (e) {
    // What the processes said last is usually why the gateway never served.
    const tail = started.flatMap((p) => p.logs.slice(-10).map((l) => JSON.stringify(l))).join('\n');
    await stop();
    throw new Error(`${e instanceof Error ? e.message : String(e)}${tail ? `\n${tail}` : ''}`, { cause: e });
  }
}
