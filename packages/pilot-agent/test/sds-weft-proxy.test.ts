// pilot-agent's SDS server and a real weft-proxy (packages/proxy/bin/weft-proxy.js, a child process)
// started on the agent's `sds-grpc` cluster, with listeners as istiod sends them for a Gateway server
// with file-mounted certificates: `tls: {mode: SIMPLE, serverCertificate, privateKey}` names
// `file-cert:<cert>~<key>`, MUTUAL adds `caCertificates` as `file-root:<ca>`. HTTPS is served with
// the certificate from the files, client certificates are checked against the CA from the file, and
// a Kubernetes-style rotation of the files reaches new handshakes.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type tls from 'node:tls';
import { fileURLToPath } from 'node:url';
import { loadProtoRegistry } from '@weft/api';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdsGrpcCluster } from '../src/proxy/bootstrap.js';
import { SdsServer } from '../src/sds/sds-server.js';
import { captureLogs } from './log-capture.js';
import { SecretVolume } from './secret-volume.js';

const PROXY_BIN = fileURLToPath(new URL('../../proxy/bin/weft-proxy.js', import.meta.url));
const PROXY_MAIN = fileURLToPath(new URL('../../proxy/dist/main.js', import.meta.url));
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const DOWNSTREAM_TLS = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
/** The sds_config istiod puts on every SDS secret it names. */
const SDS_CONFIG = {
  api_config_source: { api_type: 'GRPC', set_node_on_first_message_only: true, transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }] },
  initial_fetch_timeout: '0s',
  resource_api_version: 'V3',
};

interface Line {
  msg?: string;
  listener?: string;
  address?: string;
  [key: string]: unknown;
}

function listener(name: string, tlsContext: object): object {
  return {
    name,
    address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: name,
              route_config: { name, virtual_hosts: [{ name: 'gw', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'web' } }] }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
            },
          },
        ],
        transport_socket: { name: 'envoy.transport_sockets.tls', typed_config: { '@type': DOWNSTREAM_TLS, ...tlsContext } },
      },
    ],
  };
}

interface Reply {
  status: number;
  body: string;
  serverCn: string;
}

function get(port: number, ca: string, client?: KeyPair): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port, path: '/hello', ca, servername: 'gw.example.com', agent: false, ...(client ? { cert: client.cert, key: client.key } : {}) }, (res) => {
      const serverCn = String((res.socket as tls.TLSSocket).getPeerCertificate().subject?.CN ?? '');
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, serverCn }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe.skipIf(!hasOpenssl())('SDS to a real weft-proxy', () => {
  let pki: TestPki;
  let ca: KeyPair, v1: KeyPair, v2: KeyPair, client: KeyPair, stranger: KeyPair;
  let dir: string;
  let vol: SecretVolume;
  let sds: SdsServer;
  let upstream: http.Server;
  let proxy: ChildProcess | undefined;
  const lines: Line[] = [];
  const ports = { simple: 0, mutual: 0 };
  const logs = captureLogs();

  async function proxyLine(pred: (l: Line) => boolean, what: string): Promise<Line> {
    for (let i = 0; i < 1500; i++) {
      const hit = lines.find(pred);
      if (hit) return hit;
      if (proxy?.exitCode !== null) throw new Error(`weft-proxy exited (${proxy?.exitCode}) before ${what}:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    throw new Error(`timed out waiting for ${what}:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`);
  }

  beforeAll(async () => {
    if (!existsSync(PROXY_MAIN)) throw new Error(`${PROXY_MAIN} is missing: build weft-proxy first (npx nx run proxy:build)`);
    pki = new TestPki();
    ca = pki.ca('Gateway CA');
    const other = pki.ca('Other CA');
    v1 = pki.leaf(ca, 'gw-v1', ['gw.example.com']);
    v2 = pki.leaf(ca, 'gw-v2', ['gw.example.com']);
    client = pki.leaf(ca, 'client', ['client.example.com']);
    stranger = pki.leaf(other, 'stranger', ['stranger.example.com']);
    dir = mkdtempSync(join(tmpdir(), 'weft-sds-proxy-'));
    vol = new SecretVolume(join(dir, 'ingressgateway-certs'));
    vol.write({ 'tls.crt': v1.cert, 'tls.key': v1.key, 'ca.crt': ca.cert });

    upstream = http.createServer((req, res) => res.end(`upstream saw ${req.url}`));
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));

    const socket = join(dir, 'var', 'run', 'secrets', 'workload-spiffe-uds', 'socket');
    sds = new SdsServer({ socketPath: socket, registry: loadProtoRegistry(), logger: logs.logger, pollIntervalMs: 3_600_000 });
    await sds.start();

    const fileCert = `file-cert:${vol.path('tls.crt')}~${vol.path('tls.key')}`;
    const fileRoot = `file-root:${vol.path('ca.crt')}`;
    const bootstrap = {
      node: { id: 'router~127.0.0.1~gw-1.istio-system~istio-system.svc.cluster.local', cluster: 'istio-ingressgateway' },
      admin: { address: { socket_address: { address: '127.0.0.1', port_value: 0 } } },
      static_resources: {
        clusters: [
          sdsGrpcCluster(socket),
          { name: 'web', type: 'STATIC', connect_timeout: '1s', load_assignment: { cluster_name: 'web', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: (upstream.address() as AddressInfo).port } } } }] }] } },
        ],
        listeners: [
          listener('simple', { common_tls_context: { alpn_protocols: ['h2', 'http/1.1'], tls_certificate_sds_secret_configs: [{ name: fileCert, sds_config: SDS_CONFIG }] }, require_client_certificate: false }),
          listener('mutual', {
            common_tls_context: {
              alpn_protocols: ['h2', 'http/1.1'],
              tls_certificate_sds_secret_configs: [{ name: fileCert, sds_config: SDS_CONFIG }],
              combined_validation_context: { default_validation_context: {}, validation_context_sds_secret_config: { name: fileRoot, sds_config: SDS_CONFIG } },
            },
            require_client_certificate: true,
          }),
        ],
      },
    };
    const file = join(dir, 'envoy-rev0.json');
    writeFileSync(file, JSON.stringify(bootstrap));
    proxy = spawn(process.execPath, [PROXY_BIN, '-c', file, '-l', 'info'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let buf = '';
    proxy.stderr!.setEncoding('utf8').on('data', (d: string) => {
      buf += d;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const text = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          lines.push(JSON.parse(text) as Line);
        } catch {
          lines.push({ msg: text });
        }
      }
    });
    for (const name of ['simple', 'mutual'] as const) {
      const added = await proxyLine((l) => l.msg === 'listener added' && l.listener === name, `listener ${name}`);
      ports[name] = Number(added.address!.split(':').pop());
    }
  });

  afterAll(async () => {
    if (proxy && proxy.exitCode === null && proxy.signalCode === null) {
      const gone = new Promise((r) => proxy!.once('exit', r));
      proxy.kill('SIGKILL');
      await gone;
    }
    await sds?.close();
    await new Promise((r) => upstream?.close(r));
    pki?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves HTTPS with the certificate from the file-cert files', async () => {
    expect(await get(ports.simple, ca.cert)).toEqual({ status: 200, body: 'upstream saw /hello', serverCn: 'gw-v1' });
    const push = await logs.waitFor('SDS push');
    expect(push['node']).toBe('router~127.0.0.1~gw-1.istio-system~istio-system.svc.cluster.local');
  });

  it('checks client certificates against the file-root CA (MUTUAL)', async () => {
    expect(await get(ports.mutual, ca.cert, client)).toMatchObject({ status: 200, serverCn: 'gw-v1' });
    await expect(get(ports.mutual, ca.cert, stranger)).rejects.toThrow();
    await expect(get(ports.mutual, ca.cert)).rejects.toThrow();
  });

  it('rotates: new handshakes get the certificate written to the files', async () => {
    vol.write({ 'tls.crt': v2.cert, 'tls.key': v2.key, 'ca.crt': ca.cert });
    await logs.waitFor('secret files changed; pushing the new secret');
    let reply: Reply | undefined;
    for (let i = 0; i < 500 && reply?.serverCn !== 'gw-v2'; i++) {
      reply = await get(ports.simple, ca.cert);
      if (reply.serverCn !== 'gw-v2') await new Promise((r) => setTimeout(r, 10));
    }
    expect(reply).toEqual({ status: 200, body: 'upstream saw /hello', serverCn: 'gw-v2' });
    // weft-proxy logs a NACK with its code (the SDS stream is @weft/xds's client on StreamSecrets).
    expect(lines.filter((l) => l['code'] === 'WEFT_XDS_UPDATE_REJECTED' || l['code'] === 'WEFT_XDS_DECODE_FAILED')).toEqual([]);
  });
});
