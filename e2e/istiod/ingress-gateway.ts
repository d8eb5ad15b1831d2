// weft-proxy as an Istio ingress gateway under a real istiod: `pilot-agent proxy router` writes the
// bootstrap (node router~127.0.0.1~istio-ingressgateway-<id>.istio-system~istio-system.svc.cluster.local,
// labels istio=ingressgateway) and supervises weft-proxy, whose ADS stream goes to istiod's plaintext xDS port.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, get } from '../mesh/local-mesh.js';
import { REPO_ROOT } from '../src/workspace.js';
import { ISTIO_NAMESPACE, type IstiodPeer } from './istiod-peer.js';
import { PeerProcess } from './peer-process.js';

export const PILOT_AGENT = join(REPO_ROOT, 'packages', 'pilot-agent', 'bin', 'pilot-agent.js');
export const WEFT_PROXY = join(REPO_ROOT, 'packages', 'proxy', 'bin', 'weft-proxy.js');

export interface IngressGatewayOptions {
  readonly podName?: string;
  readonly labels?: Record<string, string>;
  /** Extra environment for pilot-agent (ISTIO_META_* reach the node metadata). */
  readonly env?: Record<string, string>;
  readonly proxyLogLevel?: string;
}

export class IngressGateway {
  private constructor(
    readonly agent: PeerProcess,
    readonly nodeId: string,
    /** How istiod names the proxy in /debug/syncz and ?proxyID=: `<pod>.<namespace>`. */
    readonly proxyId: string,
    readonly adminPort: number,
    private readonly dir: string,
  ) {}

  get admin(): string {
    return `http://127.0.0.1:${this.adminPort}`;
  }

  static async start(istiod: IstiodPeer, options: IngressGatewayOptions = {}): Promise<IngressGateway> {
    const podName = options.podName ?? 'istio-ingressgateway-weft-e2e';
    const dir = mkdtempSync(join(tmpdir(), 'weft-istiod-gw-'));
    const adminPort = await freePort();
    const nodeId = `router~127.0.0.1~${podName}.${ISTIO_NAMESPACE}~${ISTIO_NAMESPACE}.svc.cluster.local`;
    const agent = PeerProcess.start(
      'pilot-agent',
      process.execPath,
      [
        PILOT_AGENT,
        'proxy',
        'router',
        '--discoveryAddress',
        istiod.discoveryAddress,
        '--pilotDebugAddress',
        istiod.debugAddress,
        '--serviceCluster',
        `istio-ingressgateway.${ISTIO_NAMESPACE}`,
        '--domain',
        `${ISTIO_NAMESPACE}.svc.cluster.local`,
        '--proxyAdminPort',
        String(adminPort),
        // pilot-agent binds its status servers and the Prometheus listener on 0.0.0.0 and has no flag to
        // choose the address; the story binds only 127.0.0.1, so they are off and readiness is the admin /ready.
        '--statusPort',
        '0',
        '--readinessPort',
        '0',
        '--prometheusPort',
        '0',
        '--configPath',
        dir,
        '--binaryPath',
        WEFT_PROXY,
        '--proxyLogLevel',
        options.proxyLogLevel ?? 'info',
        '--drainDuration',
        '1s',
        '--parentShutdownDuration',
        '5s',
      ],
      {
        POD_NAME: podName,
        POD_NAMESPACE: ISTIO_NAMESPACE,
        INSTANCE_IP: '127.0.0.1',
        SERVICE_ACCOUNT: 'istio-ingressgateway-service-account',
        ISTIO_METAJSON_LABELS: JSON.stringify(options.labels ?? { istio: 'ingressgateway', app: 'istio-ingressgateway' }),
        ...options.env,
      },
    );
    const gw = new IngressGateway(agent, nodeId, `${podName}.${ISTIO_NAMESPACE}`, adminPort, dir);
    // The admin API answering at all means weft-proxy is up; /ready's LIVE comes after the first config.
    await agent.waitReady('weft-proxy admin API', async () => (await get(`${gw.admin}/server_info`, {}, 2000)).status === 200, 60_000);
    return gw;
  }

  /** weft-proxy's own view: `/config_dump` (the resources it accepted). */
  async configDump(): Promise<unknown> {
    const r = await get(`${this.admin}/config_dump`, {}, 10_000);
    if (r.status !== 200) throw new Error(`GET /config_dump: HTTP ${r.status}`);
    return JSON.parse(r.body);
  }

  /** Names of the listeners weft-proxy runs (dynamic_listeners of its config_dump). */
  async listenerNames(): Promise<string[]> {
    const dump = (await this.configDump()) as { configs?: Array<{ dynamic_listeners?: Array<{ name?: string }> }> };
    return (dump.configs ?? []).flatMap((c) => (c.dynamic_listeners ?? []).map((l) => l.name ?? '?'));
  }

  /** Lines of the agent's and proxy's output that speak of a rejected (NACKed) xDS update. */
  nackLogLines(): string[] {
    return this.agent.logs.split('\n').filter((l) => /nack|reject|invalid|unsupported|not supported|unknown/i.test(l));
  }

  async stop(): Promise<void> {
    await this.agent.stop(15_000);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
