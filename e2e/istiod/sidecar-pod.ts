// weft-proxy as a sidecar under a real istiod: a "pod" that is a network namespace this story creates,
// joined to the host by a veth pair (host side <prefix>.1, pod <prefix>.2), with Istio's iptables capture
// written by `pilot-agent istio-iptables`, and `pilot-agent proxy sidecar` running weft-proxy inside it.
// istiod listens on 127.0.0.1 of the host, which a pod cannot reach: a forwarder on the host side of the
// veth carries the pod's xDS connections to it.
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TcpForwarder } from '@weft/ctl';
import type { IstiodPeer } from './istiod-peer.js';
import { PILOT_AGENT, WEFT_PROXY } from './ingress-gateway.js';
import { PeerProcess } from './peer-process.js';

/** The proxy and agent run as root in the pod; uid 0 is excluded from capture, an app runs as this uid. */
export const APP_UID = 1000;
export const PROXY_ADMIN_PORT = 15000;

export const canRunPods = (): boolean =>
  process.platform === 'linux' &&
  process.getuid?.() === 0 &&
  spawnSync('ip', ['-V']).status === 0 &&
  spawnSync('iptables', ['-V']).status === 0 &&
  spawnSync('curl', ['--version']).status === 0 &&
  spawnSync('setpriv', ['--version']).status === 0;

function sh(args: readonly string[]): string {
  return execFileSync(args[0] as string, args.slice(1), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

export interface SidecarPodOptions {
  /** Three octets, e.g. `10.251.7`: the host side gets .1, the pod .2 (a /24 of the veth pair). */
  readonly prefix: string;
  readonly podName: string;
  readonly namespace: string;
  readonly serviceAccount?: string;
  readonly labels: Record<string, string>;
}

export class SidecarPod {
  private agent: PeerProcess | undefined;
  private forwarders: TcpForwarder[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'weft-istiod-pod-'));
  readonly netns: string;
  readonly hostVeth: string;

  private constructor(readonly options: SidecarPodOptions) {
    const id = `${process.pid.toString(36)}${options.prefix.split('.').pop() ?? ''}`;
    this.netns = `weft-istiod-${id}`;
    this.hostVeth = `wi${id}`.slice(0, 15);
  }

  get hostIp(): string {
    return `${this.options.prefix}.1`;
  }

  get podIp(): string {
    return `${this.options.prefix}.2`;
  }

  get nodeId(): string {
    const { podName, namespace } = this.options;
    return `sidecar~${this.podIp}~${podName}.${namespace}~${namespace}.svc.cluster.local`;
  }

  /** How istiod names the proxy in /debug/syncz: `<pod>.<namespace>`. */
  get proxyId(): string {
    return `${this.options.podName}.${this.options.namespace}`;
  }

  get agentProcess(): PeerProcess {
    if (!this.agent) throw new Error('the sidecar is not started');
    return this.agent;
  }

  /** The namespace, the veth pair, addresses and the default route via the host side. */
  static create(options: SidecarPodOptions): SidecarPod {
    const pod = new SidecarPod(options);
    spawnSync('ip', ['netns', 'del', pod.netns]);
    sh(['ip', 'netns', 'add', pod.netns]);
    sh(['ip', 'link', 'add', pod.hostVeth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', pod.netns]);
    sh(['ip', 'addr', 'add', `${pod.hostIp}/24`, 'dev', pod.hostVeth]);
    sh(['ip', 'link', 'set', pod.hostVeth, 'up']);
    sh(['ip', '-n', pod.netns, 'link', 'set', 'lo', 'up']);
    sh(['ip', '-n', pod.netns, 'addr', 'add', `${pod.podIp}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', pod.netns, 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', pod.netns, 'route', 'add', 'default', 'via', pod.hostIp]);
    return pod;
  }

  /** istio-init's step: the capture rules, every port inbound and every CIDR outbound; uid 0 (the agent) excluded. */
  capture(): string {
    return sh(['ip', 'netns', 'exec', this.netns, process.execPath, PILOT_AGENT, 'istio-iptables', '-p', '15001', '-z', '15006', '-u', '0', '-m', 'REDIRECT', '-i', '*', '-b', '*', '-d', String(15090), '--log-level', 'warn']);
  }

  /** `pilot-agent proxy sidecar` in the pod, its xDS connection forwarded to istiod. */
  async startSidecar(istiod: IstiodPeer): Promise<void> {
    const toIstiod = (port: number) => TcpForwarder.listen({ host: this.hostIp, port: 0 }, () => ({ host: '127.0.0.1', port }));
    const xds = await toIstiod(istiod.ports.istiodGrpc);
    const debug = await toIstiod(istiod.ports.istiodHttp);
    this.forwarders.push(xds, debug);
    const { podName, namespace } = this.options;
    const env: Record<string, string> = {
      POD_NAME: podName,
      POD_NAMESPACE: namespace,
      INSTANCE_IP: this.podIp,
      SERVICE_ACCOUNT: this.options.serviceAccount ?? 'default',
      ISTIO_METAJSON_LABELS: JSON.stringify(this.options.labels),
    };
    const args = [
      'netns',
      'exec',
      this.netns,
      process.execPath,
      PILOT_AGENT,
      'proxy',
      'sidecar',
      '--discoveryAddress',
      xds.address,
      '--pilotDebugAddress',
      debug.address,
      '--serviceCluster',
      `${this.options.labels['app'] ?? podName}.${namespace}`,
      '--domain',
      `${namespace}.svc.cluster.local`,
      '--proxyAdminPort',
      String(PROXY_ADMIN_PORT),
      '--configPath',
      this.dir,
      '--binaryPath',
      WEFT_PROXY,
      '--proxyLogLevel',
      'info',
      '--drainDuration',
      '1s',
      '--parentShutdownDuration',
      '5s',
    ];
    this.agent = PeerProcess.start('pilot-agent (sidecar)', 'ip', args, env);
    await this.agent.waitReady('weft-proxy admin API in the pod', async () => (await this.curl(['-s', '-o', '/dev/null', '-w', '%{http_code}', `http://127.0.0.1:${PROXY_ADMIN_PORT}/server_info`])).stdout === '200', 60_000);
  }

  /**
   * curl inside the pod, as root (not captured) unless `asApp`, which runs it as the app's uid (captured).
   * Asynchronous: the story's own servers answer from this process's event loop while curl runs.
   */
  curl(args: readonly string[], asApp = false): Promise<{ status: number | null; stdout: string; stderr: string }> {
    const base = ['netns', 'exec', this.netns];
    const cmd = asApp ? [...base, 'setpriv', `--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups', 'curl', ...args] : [...base, 'curl', ...args];
    return new Promise((resolve) => {
      execFile('ip', cmd, { encoding: 'utf8', timeout: 20_000 }, (err, stdout, stderr) => {
        const status = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0;
        resolve({ status, stdout: stdout ?? '', stderr: stderr ?? '' });
      });
    });
  }

  /** A process inside the pod (the app), e.g. `node server.mjs`, running as the app's uid. */
  startApp(name: string, argv: readonly string[]): PeerProcess {
    return PeerProcess.start(name, 'ip', ['netns', 'exec', this.netns, 'setpriv', `--reuid=${APP_UID}`, `--regid=${APP_UID}`, '--clear-groups', ...argv], {});
  }

  async stop(): Promise<void> {
    await this.agent?.stop(15_000);
    for (const f of this.forwarders) await f.stop();
    spawnSync('ip', ['netns', 'del', this.netns]);
    spawnSync('ip', ['link', 'del', this.hostVeth]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
