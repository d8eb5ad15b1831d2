// Story (issue #8): weft-proxy as a SIDECAR under a real istiod. The pod is a network namespace with
// Istio's iptables capture; its app calls a Service by name and the call leaves through weft-proxy's
// outbound listeners (istiod's config: virtualOutbound, 0.0.0.0_80, RDS "80", EDS); a client on the host
// calls the app and the call enters through weft-proxy's virtualInbound and its passthrough cluster,
// which connects from 127.0.0.6 as Istio's does. istiod's /debug/syncz must show every type ACKed.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, get } from '../mesh/local-mesh.js';
import { IstiodPeer, ISTIO_NAMESPACE, settled, syncProblems, type SyncStatus } from './istiod-peer.js';
import type { PeerProcess } from './peer-process.js';
import { BUILD_SCRIPT, locatePeers } from './peers.js';
import { canRunPods, PROXY_ADMIN_PORT, SidecarPod } from './sidecar-pod.js';

const APP_PORT = 8080;

/** The app inside the pod: answers with what it saw (the peer address and the headers that reached it). */
const APP_SOURCE = `
import { createServer } from 'node:http';
createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  res.end(JSON.stringify({ app: 'pod-app', remote: req.socket.remoteAddress, url: req.url, headers: req.headers }));
}).listen(${APP_PORT}, '0.0.0.0', () => console.log('listening'));
`;

interface Seen {
  readonly url: string;
  readonly remote: string;
  readonly headers: IncomingHttpHeaders;
}

function service(name: string, port: number, targetPort: number, ip: string) {
  return [
    { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { ports: [{ name: 'http', port, targetPort, protocol: 'TCP' }] } },
    {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: `${name}-weft-e2e`, namespace: 'default', labels: { 'kubernetes.io/service-name': name, 'endpointslice.kubernetes.io/managed-by': 'weft-e2e' } },
      addressType: 'IPv4',
      endpoints: [{ addresses: [ip], conditions: { ready: true } }],
      ports: [{ name: 'http', port: targetPort, protocol: 'TCP' }],
    },
  ];
}

describe.runIf(canRunPods())('weft-proxy as a sidecar of a real istiod, in a network namespace with iptables capture', () => {
  let istiod: IstiodPeer | undefined;
  let pod: SidecarPod | undefined;
  let app: PeerProcess | undefined;
  let upstream: Server | undefined;
  const seen: Seen[] = [];
  let upstreamVip = '';
  const appDir = mkdtempSync(join(tmpdir(), 'weft-istiod-app-'));

  const need = <T>(v: T | undefined): T => {
    if (v === undefined) throw new Error('beforeAll did not start the story');
    return v;
  };

  beforeAll(async () => {
    const { peers, missing } = locatePeers();
    if (missing.length > 0) throw new Error(`the Go peers are not built (missing ${missing.join(', ')}): run ${BUILD_SCRIPT}`);
    pod = SidecarPod.create({ prefix: `10.251.${(process.pid % 200) + 20}`, podName: 'pod-app-weft', namespace: 'default', labels: { app: 'pod-app' } });
    const p = pod;
    // The Service the app calls: a server of the story on the host side of the pod's veth.
    const server = createServer((req, res) => {
      seen.push({ url: req.url ?? '', remote: req.socket.remoteAddress ?? '', headers: req.headers });
      res.setHeader('x-weft-upstream', 'upstream');
      res.end('upstream answered');
    });
    upstream = server;
    await new Promise<void>((resolve) => server.listen(0, p.hostIp, resolve));
    const upstreamPort = (server.address() as AddressInfo).port;

    istiod = await IstiodPeer.start(peers);
    await istiod.apply(
      // mTLS off mesh-wide: PERMISSIVE inbound chains name SDS `default`/`ROOTCA` (initial_fetch_timeout 0, so the
      // listener warms until they come), and only a CA can serve those; Weft has none yet (issue #12).
      { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: ISTIO_NAMESPACE }, spec: { mtls: { mode: 'DISABLE' } } },
      ...service('upstream', 80, upstreamPort, p.hostIp),
      ...service('pod-app', 80, APP_PORT, p.podIp),
    );

    const svc = await istiod.kube.get({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'upstream', namespace: 'default' } });
    upstreamVip = String((svc?.['spec'] as { clusterIP?: string } | undefined)?.clusterIP ?? '');

    chmodSync(appDir, 0o755);
    const appFile = join(appDir, 'app.mjs');
    writeFileSync(appFile, APP_SOURCE, { mode: 0o644 });
    app = p.startApp('pod app', [process.execPath, appFile]);
    await app.waitReady('app listening', async () => need(app).logs.includes('listening'), 20_000);

    p.capture();
    await p.startSidecar(istiod);
  });

  afterAll(async () => {
    await pod?.stop();
    await app?.stop();
    await istiod?.stop();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    rmSync(appDir, { recursive: true, force: true });
  });

  it('istiod shows CDS, LDS, RDS and EDS sent to the sidecar and ACKed', async () => {
    const p = need(pod);
    const cp = need(istiod);
    let entry: SyncStatus | undefined;
    const synced = await eventually(
      'every xDS type sent to the sidecar and ACKed or NACKed',
      async () => {
        entry = (await cp.syncz()).find((s) => s.proxy === p.proxyId);
        return entry && settled(entry) ? entry : undefined;
      },
      90_000,
      500,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nsyncz: ${JSON.stringify(entry?.resources ?? null)}\nistiod:\n${cp.istiod.tail(3000)}\nsidecar:\n${p.agentProcess.tail(4000)}`);
    });
    expect(syncProblems(synced)).toEqual([]);
  });

  it("outbound: the app's call to a Service name is captured and routed by istiod's config to the endpoint", async () => {
    const p = need(pod);
    const r = await eventually(
      'the app reaches upstream.default.svc.cluster.local through the sidecar',
      async () => {
        // The Service's cluster IP (allocated by the apiserver): the capture sends it to 15001, the Host header picks the route.
        const c = await p.curl(['-s', '-m', '5', '-H', 'Host: upstream.default.svc.cluster.local', '-D', '-', `http://${upstreamVip}:80/from-app?i=1`], true);
        return c.status === 0 && c.stdout.includes('upstream answered') ? c : undefined;
      },
      60_000,
      500,
    ).catch(async (e: Error) => {
      const last = await p.curl(['-sS', '-m', '5', '-H', 'Host: upstream.default.svc.cluster.local', `http://${upstreamVip}:80/from-app?i=1`], true);
      const listeners = (await p.curl(['-s', `http://127.0.0.1:${PROXY_ADMIN_PORT}/listeners`])).stdout;
      const nat = spawnSync('ip', ['netns', 'exec', p.netns, 'iptables-save', '-t', 'nat'], { encoding: 'utf8' }).stdout;
      throw new Error(`${e.message}\nlast curl: ${last.status} ${last.stdout.slice(0, 300)} ${last.stderr}\nlisteners:\n${listeners}\nnat table:\n${nat}\nsidecar:\n${p.agentProcess.tail(4000)}`);
    });
    expect(r.stdout.toLowerCase()).toContain('x-weft-upstream: upstream');
    const hit = seen.find((s) => s.url === '/from-app?i=1');
    // The upstream's peer is the pod (the sidecar dialled it), and the request carries what an Envoy adds.
    expect(hit?.remote).toBe(p.podIp);
    expect(hit?.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(hit?.headers['x-forwarded-proto']).toBe('http');
  });

  it('outbound: a Service port that istiod has no listener for passes through (PassthroughCluster)', async () => {
    const p = need(pod);
    const c = await p.curl(['-s', '-m', '5', '-o', '/dev/null', '-w', '%{http_code}', `http://${p.hostIp}:${(need(upstream).address() as AddressInfo).port}/direct`], true);
    expect(c.stdout).toBe('200');
    const hit = seen.find((s) => s.url === '/direct');
    expect(hit?.remote).toBe(p.podIp);
  });

  it('inbound: a call to the pod is captured into virtualInbound and reaches the app from 127.0.0.6', async () => {
    const p = need(pod);
    const r = await eventually(
      `GET http://${p.podIp}:${APP_PORT}/inbound through the sidecar`,
      async () => {
        const res = await get(`http://${p.podIp}:${APP_PORT}/inbound`, { host: 'pod-app.default.svc.cluster.local' }, 5000);
        return res.status === 200 ? res : undefined;
      },
      60_000,
      500,
    ).catch((e: Error) => {
      throw new Error(`${e.message}\nsidecar:\n${p.agentProcess.tail(4000)}`);
    });
    const body = JSON.parse(r.body) as { remote: string; url: string; headers: IncomingHttpHeaders };
    expect(body.url).toBe('/inbound');
    expect(body.remote).toBe('127.0.0.6');
  });
});
