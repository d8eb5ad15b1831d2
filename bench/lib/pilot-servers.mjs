// The two control planes of the Pilot benchmark, each started with the workload already loaded:
// Weft's pilot-discovery reading a --configDir, and istiod's pilot-discovery (built from Go modules by
// scripts/peers/build-go-peers.sh) reading a real kube-apiserver on etcd, as the e2e harness
// (e2e/istiod/istiod-peer.ts) runs it. Everything binds 127.0.0.1 on free ports.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './node-peers.mjs';
import { KubeClient } from './pilot-kube.mjs';
import { writeConfigObject } from './pilot-workload.mjs';
import { freePort, startServer, waitFor } from './processes.mjs';

const PILOT_BIN = join(REPO_ROOT, 'packages', 'pilot', 'bin', 'pilot-discovery.js');
const VERSIONS_FILE = join(REPO_ROOT, 'scripts', 'peers', 'versions.env');
const ISTIO_NAMESPACE = 'istio-system';

/** One GET with its body (readiness and debug endpoints). */
export function getText(url, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url} timed out`)));
    req.on('error', reject);
  });
}

const ok = async (url) => (await getText(url, 3_000)).status === 200;

/** The value of an unlabelled Prometheus sample (`name value`), or undefined. */
function metric(text, name) {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}

// ---------------------------------------------------------------- Weft

/** The `address` of a pino log line with message `msg`, without its scheme. */
function logAddress(line, msg) {
  if (!line.includes(msg)) return undefined;
  try {
    const entry = JSON.parse(line);
    return entry.msg === msg && typeof entry.address === 'string' ? entry.address.replace(/^https?:\/\//, '') : undefined;
  } catch {
    return undefined;
  }
}

/** Weft's `push` log line (scope, why, ms), kept as { t, what }, like istiod's debounce lines. */
function weftPushLine(line, pushes) {
  if (!line.includes('"msg":"push"')) return;
  try {
    const e = JSON.parse(line);
    if (e.msg !== 'push') return;
    pushes.push({ t: Date.now(), what: `${e.scope ?? '?'}${e.why ? ` (${e.why})` : ''}${e.edsUpdates !== undefined ? ` ${e.edsUpdates} host(s)` : ''}, ${e.ms} ms, reasons ${(e.reasons ?? []).join(',')}` });
  } catch {
    // Not JSON: not a push line.
  }
}

export function missingPilotBuilds() {
  return ['pilot', 'xds'].filter((pkg) => !existsSync(join(REPO_ROOT, 'packages', pkg, 'dist', 'index.js')) && !existsSync(join(REPO_ROOT, 'packages', pkg, 'dist', 'main.js')));
}

/**
 * Weft's Pilot with the workload written to its --configDir (one file per object), started with
 * its defaults (debounce 100 ms, as istiod's); resolves once /ready is 200 and the registry holds
 * every service.
 */
export async function startWeft(dir, work) {
  const configDir = join(dir, 'config');
  for (const obj of work.objects) await writeConfigObject(configDir, obj);
  const meshConfig = join(dir, 'mesh.yaml');
  await writeFile(meshConfig, 'accessLogFile: ""\n');
  const addr = { grpc: '', http: '' };
  const pushes = [];
  const command = [...(process.env.WEFT_BENCH_PILOT_NODE_ARGS ?? '').split(' ').filter(Boolean), PILOT_BIN, 'discovery', `--configDir=${configDir}`, `--meshConfig=${meshConfig}`, '--grpcAddr=127.0.0.1:0', '--httpAddr=127.0.0.1:0', '--monitoringAddr=127.0.0.1:0'];
  const server = startServer('weft-pilot', process.execPath, command, {
    cwd: REPO_ROOT,
    onLine: (line) => {
      addr.grpc ||= logAddress(line, 'ADS (gRPC) listening') ?? '';
      addr.http ||= logAddress(line, 'debug HTTP listening') ?? '';
      weftPushLine(line, pushes);
    },
  });
  const alive = () => {
    if (server.child.exitCode !== null) throw new Error(`weft pilot-discovery exited: ${server.tail()}`);
  };
  await waitFor('weft pilot-discovery to listen', async () => (alive(), addr.grpc !== '' && addr.http !== ''), 120_000);
  await waitFor('weft pilot-discovery /ready and every service in /debug/registryz', async () => {
    alive();
    if (!(await ok(`http://${addr.http}/ready`))) return false;
    const r = await getText(`http://${addr.http}/debug/registryz`);
    return r.status === 200 && JSON.parse(r.body).length >= work.counts.serviceEntries;
  }, 120_000);
  return {
    name: 'weft',
    server,
    pid: server.pid,
    address: addr.grpc,
    debug: addr.http,
    command: `node ${command.map((a) => a.replace(dir, '<tmp>')).join(' ')}`,
    env: {},
    extras: [],
    /** Applies a change the way a user of file config does: the object's file rewritten. */
    apply: (obj) => writeConfigObject(configDir, obj),
    pushes,
    pushStatus: async () => {
      const r = await getText(`http://${addr.http}/debug/push_status`);
      return r.status === 200 ? JSON.parse(r.body) : undefined;
    },
    version: async () => `weft pilot-discovery ${JSON.parse(await readFile(join(REPO_ROOT, 'packages', 'pilot', 'package.json'), 'utf8')).version} (working tree)`,
    stop: () => server.stop(),
  };
}

// ---------------------------------------------------------------- istiod

/** KEY=VALUE lines of scripts/peers/versions.env. */
function pins() {
  const out = new Map();
  for (const raw of readFileSync(VERSIONS_FILE, 'utf8').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq > 0) out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

/** Where the Go peers are; `missing` lists what is not built (then istiod is skipped, saying why). */
export function locateIstiod(env = process.env) {
  const p = pins();
  const cache = env.WEFT_PEERS_CACHE || '/var/cache/weft-peers';
  const istio = p.get('ISTIO_VERSION');
  const kube = p.get('KUBERNETES_VERSION');
  const etcd = p.get('ETCD_VERSION');
  const peers = {
    cache,
    istioVersion: istio,
    kubernetesVersion: kube,
    etcdVersion: etcd,
    etcd: join(cache, `etcd-${etcd}`, 'bin', 'etcd'),
    kubeApiserver: join(cache, `kube-apiserver-${kube}`, 'bin', 'kube-apiserver'),
    pilotDiscovery: join(cache, `istiod-${istio}`, 'bin', 'pilot-discovery'),
    istioModule: join(cache, 'gomodcache', 'istio.io', `istio@${istio}`),
  };
  const missing = [peers.etcd, peers.kubeApiserver, peers.pilotDiscovery, peers.istioModule].filter((f) => !existsSync(f));
  return { peers, missing };
}

function crdFile(peers) {
  const candidates = ['files', 'crds'].map((d) => join(peers.istioModule, 'manifests', 'charts', 'base', d, 'crd-all.gen.yaml'));
  const found = candidates.find((f) => existsSync(f));
  if (!found) throw new Error(`no Istio CRD file in ${peers.istioModule} (looked for ${candidates.join(', ')})`);
  return found;
}

/** istiod's environment in the bench: the e2e harness's, plus the request limit raised (issue #10). */
export const ISTIOD_ENV = {
  POD_NAMESPACE: ISTIO_NAMESPACE,
  POD_NAME: 'istiod-weft-bench',
  CLUSTER_ID: 'Kubernetes',
  REVISION: 'default',
  PILOT_ENABLE_GATEWAY_API: 'false',
  PILOT_ENABLE_GATEWAY_API_STATUS: 'false',
  PILOT_ENABLE_GATEWAY_API_DEPLOYMENT_CONTROLLER: 'false',
  // Its default on 2 cores is 25 new xDS requests a second (15 + 5 × GOMAXPROCS, burst 1): 2,000
  // proxies would queue for 80 s behind its own throttle. Weft has no such limit.
  PILOT_MAX_REQUESTS_PER_SECOND: '100000',
  // On by default since Istio 1.2x: istiod writes an address into every ServiceEntry's status that has
  // none, and each write is a config update and a full push: 1,000 new ServiceEntries keep it pushing
  // for about 30 s. Istio 1.1–1.3 (and so Weft) allocate nothing; the two then serve the same config.
  PILOT_ENABLE_IP_AUTOALLOCATE: 'false',
};

async function startEtcd(peers, dir) {
  const client = await freePort();
  const peerPort = await freePort();
  const url = `http://127.0.0.1:${client}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = ['--name=weft', `--data-dir=${join(dir, 'etcd')}`, `--listen-client-urls=${url}`, `--advertise-client-urls=${url}`, `--listen-peer-urls=${peer}`, `--initial-advertise-peer-urls=${peer}`, `--initial-cluster=weft=${peer}`, '--unsafe-no-fsync', '--log-level=warn'];
  const server = startServer('etcd', peers.etcd, args);
  await waitFor('etcd /health', async () => {
    if (server.child.exitCode !== null) throw new Error(`etcd exited: ${server.tail()}`);
    return ok(`${url}/health`);
  }, 60_000);
  return { server, url, args };
}

async function startApiserver(peers, dir, etcdUrl) {
  const port = await freePort();
  const token = randomBytes(24).toString('hex');
  await writeFile(join(dir, 'tokens.csv'), `${token},weft-admin,weft-admin,system:masters\n`, { mode: 0o600 });
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  await writeFile(join(dir, 'sa.pub'), publicKey.export({ type: 'spki', format: 'pem' }));
  await writeFile(join(dir, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  const certDir = join(dir, 'apiserver-certs');
  await mkdir(certDir);
  const args = [
    `--etcd-servers=${etcdUrl}`,
    '--bind-address=127.0.0.1',
    '--advertise-address=127.0.0.1',
    `--secure-port=${port}`,
    `--cert-dir=${certDir}`,
    `--token-auth-file=${join(dir, 'tokens.csv')}`,
    '--authorization-mode=AlwaysAllow',
    '--anonymous-auth=false',
    '--service-cluster-ip-range=10.96.0.0/16',
    '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
    `--service-account-key-file=${join(dir, 'sa.pub')}`,
    `--service-account-signing-key-file=${join(dir, 'sa.key')}`,
    '--endpoint-reconciler-type=none',
    '--enable-priority-and-fairness=false',
    '--profiling=false',
    '--v=0',
  ];
  const server = startServer('kube-apiserver', peers.kubeApiserver, args);
  let kube;
  await waitFor('kube-apiserver /readyz', async () => {
    if (server.child.exitCode !== null) throw new Error(`kube-apiserver exited: ${server.tail()}`);
    // It writes its self-signed serving certificate before it serves.
    kube ??= new KubeClient(`https://127.0.0.1:${port}`, token, readFileSync(join(certDir, 'apiserver.crt'), 'utf8'));
    return (await kube.request('GET', '/readyz', undefined, undefined, 3_000)).status === 200;
  }, 120_000);
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  const text = ['apiVersion: v1', 'kind: Config', 'clusters:', '- name: weft', '  cluster:', `    server: https://127.0.0.1:${port}`, `    certificate-authority: ${join(certDir, 'apiserver.crt')}`, 'users:', '- name: weft-admin', '  user:', `    token: ${token}`, 'contexts:', '- name: weft', '  context: {cluster: weft, user: weft-admin}', 'current-context: weft', ''];
  await writeFile(kubeconfig, text.join('\n'), { mode: 0o600 });
  return { server, kube, kubeconfig, args };
}

async function installCrds(kube, peers) {
  const crds = parseAllDocuments(readFileSync(crdFile(peers), 'utf8'))
    .map((d) => d.toJS())
    .filter((o) => o && o.kind === 'CustomResourceDefinition');
  await kube.applyAll(crds, 4);
  await waitFor('Istio CRDs Established', async () => {
    for (const crd of crds) {
      const got = await kube.get({ apiVersion: 'apiextensions.k8s.io/v1', kind: 'CustomResourceDefinition', metadata: { name: crd.metadata.name } });
      if (!(got?.status?.conditions ?? []).some((c) => c.type === 'Established' && c.status === 'True')) return false;
    }
    return true;
  }, 120_000);
  return crds.length;
}

/**
 * etcd, a kube-apiserver, Istio's CRDs, the workload applied, then istiod's pilot-discovery; resolves
 * when istiod is /ready, its registry holds every service and its push context has settled
 * (pilot_pushcontext_init_seconds_count unchanged for a second).
 */
/**
 * istiod's "Push debounce stable[N] M for config Kind/ns/name and K more configs: …" (or "for reason
 * EndpointUpdate:1"), kept as { t, what }: how many pushes each phase cost and why.
 */
function istiodPushLine(line, pushes) {
  const i = line.indexOf('Push debounce stable');
  if (i < 0) return;
  const m = /for (config|reason) (.*?): \S+ since last change/.exec(line.slice(i));
  pushes.push({ t: Date.now(), what: m ? `${m[1]} ${m[2]}` : line.slice(i, i + 300) });
}

export async function startIstiod(dir, work, peers, progress) {
  await mkdir(dir, { recursive: true });
  const etcd = await startEtcd(peers, dir);
  const api = await startApiserver(peers, dir, etcd.url);
  progress('bench: istiod: etcd and kube-apiserver up; applying Istio CRDs and the workload');
  await installCrds(api.kube, peers);
  await api.kube.applyAll([ISTIO_NAMESPACE, ...work.namespaces].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } })));
  const t = Date.now();
  await api.kube.applyAll(work.objects, 8);
  progress(`bench: istiod: ${work.objects.length} objects applied in ${((Date.now() - t) / 1000).toFixed(1)} s; starting istiod`);
  const ports = { http: await freePort(), grpc: await freePort(), monitoring: await freePort() };
  const mesh = join(dir, 'mesh.yaml');
  // As the e2e harness: auto mTLS off (it would name SDS secrets only a CA serves); no access log, as Weft's.
  const meshText = [`rootNamespace: ${ISTIO_NAMESPACE}`, 'trustDomain: cluster.local', 'enableAutoMtls: false', 'accessLogFile: ""', 'defaultConfig:', `  discoveryAddress: 127.0.0.1:${ports.grpc}`, ''].join('\n');
  await writeFile(mesh, meshText);
  const cwd = join(dir, 'istiod');
  await mkdir(cwd);
  const args = [
    'discovery',
    `--kubeconfig=${api.kubeconfig}`,
    `--meshConfig=${mesh}`,
    `--networksConfig=${join(dir, 'mesh-networks.yaml')}`,
    `--httpAddr=127.0.0.1:${ports.http}`,
    `--grpcAddr=127.0.0.1:${ports.grpc}`,
    `--monitoringAddr=127.0.0.1:${ports.monitoring}`,
    '--secureGRPCAddr=',
    '--httpsAddr=',
    '--domain=cluster.local',
    '--log_output_level=default:info',
  ];
  const pushes = [];
  const istiod = startServer('istiod', peers.pilotDiscovery, args, { cwd, env: { KUBECONFIG: api.kubeconfig, ...ISTIOD_ENV }, onLine: (line) => istiodPushLine(line, pushes) });
  const alive = () => {
    if (istiod.child.exitCode !== null) throw new Error(`istiod exited: ${istiod.tail()}`);
  };
  const debug = `127.0.0.1:${ports.http}`;
  const monitoring = `127.0.0.1:${ports.monitoring}`;
  await waitFor('istiod /ready', async () => (alive(), ok(`http://${debug}/ready`)), 180_000);
  await waitFor('istiod /debug/registryz to hold every service', async () => {
    alive();
    const r = await getText(`http://${debug}/debug/registryz`);
    return r.status === 200 && JSON.parse(r.body).filter((s) => /^svc-\d+\./.test(s.hostname ?? s.Hostname ?? '')).length >= work.counts.serviceEntries;
  }, 180_000);
  let last;
  let since = Date.now();
  await waitFor('istiod to stop pushing (push context and debounce quiet for 2 s)', async () => {
    alive();
    const text = (await getText(`http://${monitoring}/metrics`)).body;
    const n = metric(text, 'pilot_pushcontext_init_seconds_count');
    const vs = metric(text, 'pilot_virt_services');
    if (n !== last) {
      last = n;
      since = Date.now();
    }
    const lastPush = pushes.at(-1)?.t ?? 0;
    return (vs ?? 0) >= work.counts.virtualServices && Date.now() - Math.max(since, lastPush) >= 2_000;
  }, 180_000);
  const rel = (s) => s.replaceAll(dir, '<tmp>');
  return {
    name: 'istiod',
    server: istiod,
    pid: istiod.pid,
    address: `127.0.0.1:${ports.grpc}`,
    debug,
    command: `${rel(peers.pilotDiscovery)} ${args.map(rel).join(' ')}`,
    env: ISTIOD_ENV,
    meshConfig: meshText,
    extras: [
      { name: 'kube-apiserver', pid: api.server.pid, command: `kube-apiserver ${api.args.map(rel).join(' ')}` },
      { name: 'etcd', pid: etcd.server.pid, command: `etcd ${etcd.args.map(rel).join(' ')}` },
    ],
    /** Applies a change as a kubectl user would: server-side apply to the apiserver. */
    apply: (obj) => api.kube.apply(obj),
    pushStatus: async () => undefined,
    pushes,
    version: async () => `istiod pilot-discovery istio.io/istio@${peers.istioVersion}, kube-apiserver ${peers.kubernetesVersion}, etcd ${peers.etcdVersion}`,
    stop: async () => {
      await istiod.stop();
      await api.server.stop();
      await etcd.server.stop();
    },
  };
}
