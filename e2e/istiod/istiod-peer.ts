// A real Istio control plane on this machine, for stories that run weft-proxy under it: etcd, a
// kube-apiserver (self-signed serving cert, a static admin token, AlwaysAllow) and istiod's
// pilot-discovery reading that apiserver — each on free 127.0.0.1 ports with a temp dir, each waited on
// by its own readiness endpoint. istiod needs the apiserver: without a kube client it panics in
// file-only mode and its /ready stays 503 (docs/testing/istiod-peer.md).
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { freePort, get } from '../mesh/local-mesh.js';
import { KubeClient, type KubeObject } from './kube-client.js';
import { PeerProcess } from './peer-process.js';
import { istioCrdFile, type Peers } from './peers.js';

export const ISTIO_NAMESPACE = 'istio-system';

/** One entry of istiod's /debug/syncz (pilot/pkg/xds/debug.go SyncStatus). */
export interface SyncStatus {
  readonly cluster_id?: string;
  readonly proxy?: string;
  readonly proxy_type?: string;
  readonly istio_version?: string;
  readonly cluster_sent?: string;
  readonly cluster_acked?: string;
  readonly listener_sent?: string;
  readonly listener_acked?: string;
  readonly route_sent?: string;
  readonly route_acked?: string;
  readonly endpoint_sent?: string;
  readonly endpoint_acked?: string;
  readonly resources?: Record<string, { readonly sent?: string; readonly acked?: string; readonly lastError?: string }>;
}

/** The xDS types that istiod sends every proxy, by the short names the stories print. */
const XDS_TYPES = {
  CDS: 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
  LDS: 'type.googleapis.com/envoy.config.listener.v3.Listener',
  RDS: 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
  EDS: 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment',
} as const;

/** One xDS type of a syncz entry: the nonces istiod sent and the proxy ACKed, and its last NACK error (empty fields as undefined). */
interface TypeState {
  readonly name: keyof typeof XDS_TYPES;
  readonly sent?: string;
  readonly acked?: string;
  readonly lastError?: string;
}

function typeStates(entry: SyncStatus): TypeState[] {
  return (Object.keys(XDS_TYPES) as (keyof typeof XDS_TYPES)[]).map((name) => {
    const r = entry.resources?.[XDS_TYPES[name]];
    return { name, sent: r?.sent || undefined, acked: r?.acked || undefined, lastError: r?.lastError || undefined };
  });
}

/** Whether istiod sent the proxy every xDS type and the proxy either ACKed that nonce or NACKed it. */
export function settled(entry: SyncStatus): boolean {
  return typeStates(entry).every((t) => t.sent !== undefined && (t.acked === t.sent || t.lastError !== undefined));
}

/** Each xDS type of the entry that is not ACKed, as `CDS: <istiod's lastError>` (or which nonce was ACKed of which sent); empty when all are. */
export function syncProblems(entry: SyncStatus): string[] {
  return typeStates(entry)
    .filter((t) => t.lastError !== undefined || t.acked !== t.sent)
    .map((t) => `${t.name}: ${t.lastError ?? `acked ${t.acked ?? '-'} of sent ${t.sent ?? '-'}`}`);
}

/** The entry's xDS types, one line each (sent and ACKed nonces, NACK error), for a story's failure message. */
export function describeSync(entry: SyncStatus | undefined): string {
  if (!entry) return '  (no entry)';
  return typeStates(entry)
    .map((t) => `  ${t.name}: sent=${t.sent ?? '-'} acked=${t.acked ?? '-'}${t.lastError ? `\n    NACK: ${t.lastError}` : ''}`)
    .join('\n');
}

export interface IstiodPorts {
  readonly etcdClient: number;
  readonly etcdPeer: number;
  readonly apiserver: number;
  /** istiod's --httpAddr: /ready and the /debug endpoints. */
  readonly istiodHttp: number;
  /** istiod's --grpcAddr: plaintext xDS (15010 in a cluster). */
  readonly istiodGrpc: number;
  readonly istiodMonitoring: number;
}

export interface IstiodPeerOptions {
  /** Extra environment for pilot-discovery (feature flags). */
  readonly istiodEnv?: Record<string, string>;
  /** istiod's --log_output_level (default `default:info`). */
  readonly istiodLogLevel?: string;
  readonly startTimeoutMs?: number;
}

async function httpOk(url: string): Promise<boolean> {
  return (await get(url, {}, 3000)).status === 200;
}

function writeServiceAccountKeys(dir: string): { pub: string; key: string } {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pub = join(dir, 'sa.pub');
  const key = join(dir, 'sa.key');
  writeFileSync(pub, publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(key, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  return { pub, key };
}

export class IstiodPeer {
  private constructor(
    readonly peers: Peers,
    readonly dir: string,
    readonly ports: IstiodPorts,
    readonly etcd: PeerProcess,
    readonly apiserver: PeerProcess,
    readonly kube: KubeClient,
    readonly kubeconfig: string,
    private istiodProcess: PeerProcess | undefined,
  ) {}

  get istiod(): PeerProcess {
    if (!this.istiodProcess) throw new Error('istiod is not started');
    return this.istiodProcess;
  }

  get discoveryAddress(): string {
    return `127.0.0.1:${this.ports.istiodGrpc}`;
  }

  get debugAddress(): string {
    return `127.0.0.1:${this.ports.istiodHttp}`;
  }

  /**
   * Starts etcd and the kube-apiserver, installs Istio's CRDs and the istio-system namespace, then istiod.
   * The ports are picked free beforehand, so one may be taken by the time its peer binds it (the
   * apiserver's own connections to etcd use ephemeral ports from the same range): a start that fails
   * with EADDRINUSE is made again, on new ports, up to three times.
   */
  static async start(peers: Peers, options: IstiodPeerOptions = {}): Promise<IstiodPeer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await IstiodPeer.startOnce(peers, options);
      } catch (e) {
        if (attempt >= 3 || !/address already in use/.test(String((e as Error).message))) throw e;
      }
    }
  }

  private static async startOnce(peers: Peers, options: IstiodPeerOptions): Promise<IstiodPeer> {
    const timeout = options.startTimeoutMs ?? 180_000;
    const dir = mkdtempSync(join(tmpdir(), 'weft-istiod-'));
    const ports: IstiodPorts = {
      etcdClient: await freePort(),
      etcdPeer: await freePort(),
      apiserver: await freePort(),
      istiodHttp: await freePort(),
      istiodGrpc: await freePort(),
      istiodMonitoring: await freePort(),
    };
    const started: PeerProcess[] = [];
    try {
      const etcd = IstiodPeer.startEtcd(peers, dir, ports);
      started.push(etcd);
      await etcd.waitReady('GET /health', () => httpOk(`http://127.0.0.1:${ports.etcdClient}/health`), timeout);

      const token = randomBytes(24).toString('hex');
      const apiserver = IstiodPeer.startApiserver(peers, dir, ports, token);
      started.push(apiserver);
      const certDir = join(dir, 'apiserver-certs');
      let kube: KubeClient | undefined;
      await apiserver.waitReady(
        'GET /readyz',
        async () => {
          // The apiserver writes its self-signed serving certificate (and its CA) before it serves.
          kube ??= new KubeClient(`https://127.0.0.1:${ports.apiserver}`, token, readFileSync(join(certDir, 'apiserver.crt'), 'utf8'));
          return (await kube.request('GET', '/readyz', undefined, undefined, 3000)).status === 200;
        },
        timeout,
      );
      const kubeconfig = join(dir, 'kubeconfig.yaml');
      writeFileSync(kubeconfig, IstiodPeer.kubeconfigText(ports.apiserver, join(certDir, 'apiserver.crt'), token), { mode: 0o600 });
      if (!kube) throw new Error('kube-apiserver was ready before its certificate was read');
      const peer = new IstiodPeer(peers, dir, ports, etcd, apiserver, kube, kubeconfig, undefined);
      await peer.installIstioCrds(timeout);
      await peer.kube.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ISTIO_NAMESPACE } });
      peer.istiodProcess = IstiodPeer.startIstiod(peers, dir, ports, kubeconfig, options);
      started.push(peer.istiodProcess);
      await peer.istiod.waitReady('GET /ready', () => httpOk(`http://127.0.0.1:${ports.istiodHttp}/ready`), timeout);
      return peer;
    } catch (e) {
      for (const p of started.reverse()) await p.stop();
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  private static startEtcd(peers: Peers, dir: string, ports: IstiodPorts): PeerProcess {
    const client = `http://127.0.0.1:${ports.etcdClient}`;
    const peer = `http://127.0.0.1:${ports.etcdPeer}`;
    return PeerProcess.start(
      'etcd',
      peers.etcd,
      [
        '--name=weft',
        `--data-dir=${join(dir, 'etcd')}`,
        `--listen-client-urls=${client}`,
        `--advertise-client-urls=${client}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=weft=${peer}`,
        // A throwaway store: no fsync keeps the 2-core machine's disk out of the apiserver's latency.
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      {},
    );
  }

  private static startApiserver(peers: Peers, dir: string, ports: IstiodPorts, token: string): PeerProcess {
    const tokens = join(dir, 'tokens.csv');
    writeFileSync(tokens, `${token},weft-admin,weft-admin,system:masters\n`, { mode: 0o600 });
    const sa = writeServiceAccountKeys(dir);
    const certDir = join(dir, 'apiserver-certs');
    mkdirSync(certDir);
    return PeerProcess.start(
      'kube-apiserver',
      peers.kubeApiserver,
      [
        `--etcd-servers=http://127.0.0.1:${ports.etcdClient}`,
        '--bind-address=127.0.0.1',
        '--advertise-address=127.0.0.1',
        `--secure-port=${ports.apiserver}`,
        // No --tls-cert-file: the apiserver generates a self-signed serving certificate here.
        `--cert-dir=${certDir}`,
        `--token-auth-file=${tokens}`,
        '--authorization-mode=AlwaysAllow',
        '--anonymous-auth=false',
        // Cluster IPs are only allocated, never dialled: the gateway routes to EDS endpoints on 127.0.0.1.
        '--service-cluster-ip-range=10.96.0.0/16',
        '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
        `--service-account-key-file=${sa.pub}`,
        `--service-account-signing-key-file=${sa.key}`,
        // No kubelet, controller-manager or scheduler: the story writes EndpointSlices itself.
        '--endpoint-reconciler-type=none',
        '--enable-priority-and-fairness=false',
        '--profiling=false',
        '--v=0',
      ],
      {},
    );
  }

  private static kubeconfigText(port: number, ca: string, token: string): string {
    return [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: weft',
      '  cluster:',
      `    server: https://127.0.0.1:${port}`,
      `    certificate-authority: ${ca}`,
      'users:',
      '- name: weft-admin',
      '  user:',
      `    token: ${token}`,
      'contexts:',
      '- name: weft',
      '  context: {cluster: weft, user: weft-admin}',
      'current-context: weft',
      '',
    ].join('\n');
  }

  private static startIstiod(peers: Peers, dir: string, ports: IstiodPorts, kubeconfig: string, options: IstiodPeerOptions): PeerProcess {
    const mesh = join(dir, 'mesh.yaml');
    // enableAutoMtls off: with it, every cluster gets an ISTIO_MUTUAL socket naming SDS `default` and `ROOTCA`
    // (initial_fetch_timeout 0: wait forever), which only a CA can serve, and Weft has none yet (issue #12).
    writeFileSync(
      mesh,
      [`rootNamespace: ${ISTIO_NAMESPACE}`, 'trustDomain: cluster.local', 'enableAutoMtls: false', 'defaultConfig:', `  discoveryAddress: 127.0.0.1:${ports.istiodGrpc}`, ''].join('\n'),
    );
    const cwd = join(dir, 'istiod');
    mkdirSync(cwd);
    return PeerProcess.start(
      'istiod',
      peers.pilotDiscovery,
      [
        'discovery',
        `--kubeconfig=${kubeconfig}`,
        `--meshConfig=${mesh}`,
        `--networksConfig=${join(dir, 'mesh-networks.yaml')}`,
        `--httpAddr=127.0.0.1:${ports.istiodHttp}`,
        `--grpcAddr=127.0.0.1:${ports.istiodGrpc}`,
        `--monitoringAddr=127.0.0.1:${ports.istiodMonitoring}`,
        // No TLS listeners: the xDS port 15012 and the webhook port 15017 would need istiod's DNS certificate.
        '--secureGRPCAddr=',
        '--httpsAddr=',
        '--domain=cluster.local',
        `--log_output_level=${options.istiodLogLevel ?? 'default:info'}`,
      ],
      {
        KUBECONFIG: kubeconfig,
        POD_NAMESPACE: ISTIO_NAMESPACE,
        POD_NAME: 'istiod-weft-e2e',
        CLUSTER_ID: 'Kubernetes',
        REVISION: 'default',
        // Gateway API CRDs are not installed; the story uses Istio's own Gateway.
        PILOT_ENABLE_GATEWAY_API: 'false',
        PILOT_ENABLE_GATEWAY_API_STATUS: 'false',
        PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER: 'false',
        ...options.istiodEnv,
      },
      cwd,
    );
  }

  /** Applies every CRD of the istio module's crd-all.gen.yaml and waits until each is Established. */
  async installIstioCrds(timeoutMs = 120_000): Promise<string[]> {
    const crds = parseAllDocuments(readFileSync(istioCrdFile(this.peers), 'utf8'))
      .map((d) => d.toJS() as KubeObject | null)
      .filter((o): o is KubeObject => o !== null && o.kind === 'CustomResourceDefinition');
    for (const crd of crds) await this.kube.apply(crd);
    const names = crds.map((c) => c.metadata.name);
    const deadline = Date.now() + timeoutMs;
    for (const name of names) {
      for (;;) {
        const got = await this.kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name } });
        const conditions = (got?.['status'] as { conditions?: Array<{ type: string; status: string }> } | undefined)?.conditions ?? [];
        const established = conditions.some((c) => c.type === 'Established' && c.status === 'True');
        if (established) break;
        if (Date.now() > deadline) throw new Error(`CRD ${name} not Established within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    return names;
  }

  /** Applies each document of a YAML text (Istio config or Kubernetes objects) through the apiserver. */
  async applyYaml(text: string): Promise<void> {
    for (const doc of parseAllDocuments(text)) {
      if (doc.errors.length > 0) throw new Error(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
      const obj = doc.toJS() as KubeObject | null;
      if (obj) await this.kube.apply(obj);
    }
  }

  async apply(...objects: KubeObject[]): Promise<void> {
    for (const o of objects) await this.kube.apply(o);
  }

  /** istiod's /debug/syncz: every connected proxy with the nonces sent and ACKed per type, and the last NACK error. */
  async syncz(): Promise<SyncStatus[]> {
    const r = await get(`http://${this.debugAddress}/debug/syncz`, {}, 10_000);
    if (r.status !== 200) throw new Error(`GET /debug/syncz: HTTP ${r.status} ${r.body.slice(0, 500)}`);
    return JSON.parse(r.body) as SyncStatus[];
  }

  /** istiod's own debug view of one proxy's config (`/debug/config_dump?proxyID=`). */
  async configDump(proxyId: string): Promise<unknown> {
    const r = await get(`http://${this.debugAddress}/debug/config_dump?proxyID=${encodeURIComponent(proxyId)}`, {}, 10_000);
    if (r.status !== 200) throw new Error(`GET /debug/config_dump: HTTP ${r.status} ${r.body.slice(0, 500)}`);
    return JSON.parse(r.body);
  }

  async stop(): Promise<void> {
    for (const p of [this.istiodProcess, this.apiserver, this.etcd]) if (p) await p.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
