// The SDS server on a real Unix socket, driven by a real grpc-js client speaking
// SecretDiscoveryService as Envoy does: file-cert and file-root answered with the PEMs, a
// Kubernetes-style rotation pushed as a new version, ACKs and NACKs never answered with the same
// content again, a bad key keeping the last good secret, Citadel names left pending with one warning,
// DeltaSecrets and FetchSecrets, and the socket removed on close.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { grpcServiceDefinition, loadProtoRegistry, SDS_SERVICE, TypeUrl, type DiscoveryResponse__Output } from '@weft/api';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { captureLogs, type CapturedLogs } from '../../test/log-capture.js';
import { SecretVolume } from '../../test/secret-volume.js';
import { SdsServer } from './sds-server.js';

const registry = loadProtoRegistry();
const definition = grpcServiceDefinition(registry, SDS_SERVICE);
const NODE = { id: 'router~10.0.0.5~gw-1.istio-system~istio-system.svc.cluster.local', cluster: 'istio-ingressgateway' };

async function until(cond: () => boolean, what: string, extra: () => string = () => ''): Promise<void> {
  for (let i = 0; i < 1000; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`timed out waiting for ${what}${extra()}`);
}

interface DecodedSecret {
  name: string;
  tls_certificate?: { certificate_chain: { inline_bytes: Uint8Array }; private_key: { inline_bytes: Uint8Array } };
  validation_context?: { trusted_ca: { inline_bytes: Uint8Array } };
}

const text = (b: Uint8Array | undefined) => Buffer.from(b ?? []).toString('utf8');

function secretsOf(r: { resources: Array<{ type_url: string; value: Uint8Array }> }): Map<string, DecodedSecret> {
  return new Map(r.resources.map((a) => registry.unpack<DecodedSecret>(a)).map((s) => [s.name, s]));
}

/** A StreamSecrets stream as Envoy drives it: requests written by the test, responses collected. */
class Stream {
  readonly responses: DiscoveryResponse__Output[] = [];
  readonly call: grpc.ClientDuplexStream<object, DiscoveryResponse__Output>;
  status: grpc.StatusObject | undefined;

  constructor(client: grpc.Client) {
    const m = definition['StreamSecrets']!;
    this.call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize) as grpc.ClientDuplexStream<object, DiscoveryResponse__Output>;
    this.call.on('data', (r: DiscoveryResponse__Output) => this.responses.push(r));
    this.call.on('status', (s: grpc.StatusObject) => (this.status = s));
    this.call.on('error', () => undefined);
  }

  request(names: string[], ack?: DiscoveryResponse__Output, error?: string): void {
    this.call.write({
      ...(this.responses.length === 0 && !ack ? { node: NODE } : {}),
      type_url: TypeUrl.Secret,
      resource_names: names,
      version_info: ack && !error ? ack.version_info : '',
      response_nonce: ack?.nonce ?? '',
      ...(error ? { error_detail: { code: 3, message: error } } : {}),
    });
  }

  async next(n: number): Promise<DiscoveryResponse__Output> {
    await until(() => this.responses.length >= n, `response ${n}`, () => `; got ${this.responses.length}`);
    return this.responses[n - 1]!;
  }
}

describe.skipIf(!hasOpenssl())('SdsServer', () => {
  let pki: TestPki;
  let ca: KeyPair, v1: KeyPair, v2: KeyPair, v3: KeyPair, otherCa: KeyPair;
  let dir: string;
  let n = 0;
  const cleanups: Array<() => unknown> = [];

  beforeAll(() => {
    pki = new TestPki();
    ca = pki.ca('Gateway Root');
    otherCa = pki.ca('Other Root');
    v1 = pki.leaf(ca, 'gw-v1', ['gw.example.com']);
    v2 = pki.leaf(ca, 'gw-v2', ['gw.example.com']);
    v3 = pki.leaf(ca, 'gw-v3', ['gw.example.com']);
    dir = mkdtempSync(join(tmpdir(), 'weft-sds-'));
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  afterAll(() => {
    pki?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function start(logs: CapturedLogs): Promise<{ server: SdsServer; client: grpc.Client; socket: string }> {
    const socket = join(dir, `run-${++n}`, 'var', 'run', 'secrets', 'workload-spiffe-uds', 'socket');
    const server = new SdsServer({ socketPath: socket, registry, logger: logs.logger, pollIntervalMs: 3_600_000 });
    await server.start();
    const client = new grpc.Client(`unix:${socket}`, grpc.credentials.createInsecure());
    cleanups.push(() => server.close(), () => client.close());
    return { server, client, socket };
  }

  /** A gateway certificate volume (tls.crt, tls.key, ca.crt) and the names istiod would send for it. */
  function gatewayVolume(k: KeyPair): { vol: SecretVolume; cert: string; root: string } {
    const vol = new SecretVolume(join(dir, `gw-${++n}`));
    vol.write({ 'tls.crt': k.cert, 'tls.key': k.key, 'ca.crt': ca.cert });
    return { vol, cert: `file-cert:${vol.path('tls.crt')}~${vol.path('tls.key')}`, root: `file-root:${vol.path('ca.crt')}` };
  }

  it('answers file-cert and file-root with the PEMs, in one response', async () => {
    const logs = captureLogs();
    const { client } = await start(logs);
    const { cert, root } = gatewayVolume(v1);
    const s = new Stream(client);
    s.request([cert, root]);
    const r = await s.next(1);
    expect(r.type_url).toBe(TypeUrl.Secret);
    expect(r.version_info).not.toBe('');
    expect(r.nonce).not.toBe('');
    const secrets = secretsOf(r);
    expect([...secrets.keys()].sort()).toEqual([cert, root].sort());
    expect(text(secrets.get(cert)?.tls_certificate?.certificate_chain.inline_bytes)).toBe(v1.cert);
    expect(text(secrets.get(cert)?.tls_certificate?.private_key.inline_bytes)).toBe(v1.key);
    expect(text(secrets.get(root)?.validation_context?.trusted_ca.inline_bytes)).toBe(ca.cert);
    expect(await logs.waitFor('SDS stream opened')).toMatchObject({ component: 'pilot-agent', module: 'sds', node: NODE.id });
    s.call.end();
  });

  it('pushes a rotation as a new version, and does not answer an ACK', async () => {
    const logs = captureLogs();
    const { client } = await start(logs);
    const { vol, cert } = gatewayVolume(v1);
    const s = new Stream(client);
    s.request([cert]);
    const first = await s.next(1);
    s.request([cert], first); // ACK
    await logs.waitFor('SDS ACK', (l) => l['version'] === first.version_info);
    vol.write({ 'tls.crt': v2.cert, 'tls.key': v2.key, 'ca.crt': ca.cert });
    // Had the ACK been answered, that answer (with v1) would come before the rotation.
    const second = await s.next(2);
    expect(second.version_info).not.toBe(first.version_info);
    expect(text(secretsOf(second).get(cert)?.tls_certificate?.certificate_chain.inline_bytes)).toBe(v2.cert);
    s.request([cert], second);
    await logs.waitFor('SDS ACK', (l) => l['version'] === second.version_info);
    expect(s.responses).toHaveLength(2);
    s.call.end();
  });

  it('keeps the last good secret when the key stops matching, and sends the next good one', async () => {
    const logs = captureLogs();
    const { client } = await start(logs);
    const { vol, cert } = gatewayVolume(v1);
    const s = new Stream(client);
    s.request([cert]);
    const first = await s.next(1);
    s.request([cert], first);
    vol.write({ 'tls.crt': v2.cert, 'tls.key': v3.key, 'ca.crt': ca.cert });
    const error = await logs.waitFor(`SDS secret ${cert} is not sent: ${vol.path('tls.key')}: the private key does not match the certificate in ${vol.path('tls.crt')}; the last good secret stays`);
    expect(error).toMatchObject({ level: 'error', code: 'WEFT_AGENT_SDS_SECRET_FILE', path: vol.path('tls.key') });
    vol.write({ 'tls.crt': v3.cert, 'tls.key': v3.key, 'ca.crt': ca.cert });
    const second = await s.next(2);
    expect(text(secretsOf(second).get(cert)?.tls_certificate?.certificate_chain.inline_bytes)).toBe(v3.cert);
    expect(s.responses).toHaveLength(2);
    s.call.end();
  });

  it('logs a NACK with its error_detail and does not send the refused content again', async () => {
    const logs = captureLogs();
    const { client } = await start(logs);
    const { vol, cert, root } = gatewayVolume(v1);
    const s = new Stream(client);
    s.request([cert, root]);
    const first = await s.next(1);
    s.request([cert, root], first, 'tls_certificate: the proxy did not like it');
    const nack = await logs.waitFor('the proxy rejected an SDS update (NACK)');
    expect(nack).toMatchObject({ level: 'warn', node: NODE.id, nonce: first.nonce, errorCode: 3, error: 'tls_certificate: the proxy did not like it' });
    vol.write({ 'tls.crt': v1.cert, 'tls.key': v1.key, 'ca.crt': otherCa.cert });
    const second = await s.next(2);
    expect(text(secretsOf(second).get(root)?.validation_context?.trusted_ca.inline_bytes)).toBe(otherCa.cert);
    expect(s.responses).toHaveLength(2);
    s.call.end();
  });

  it('adds and drops names on the stream; ignores a request with a stale nonce', async () => {
    const logs = captureLogs();
    const { client, server } = await start(logs);
    const { cert, root } = gatewayVolume(v1);
    const s = new Stream(client);
    s.request([cert]);
    const first = await s.next(1);
    expect([...secretsOf(first).keys()]).toEqual([cert]);
    s.request([cert, root], first);
    const second = await s.next(2);
    expect([...secretsOf(second).keys()].sort()).toEqual([cert, root].sort());
    // A request carrying the first nonce is stale now: nothing changes, nothing is sent.
    s.call.write({ type_url: TypeUrl.Secret, resource_names: [root], version_info: first.version_info, response_nonce: first.nonce });
    await logs.waitFor('stale SDS request ignored');
    expect(server.watchedNames.sort()).toEqual([cert, root].sort());
    s.request([root], second);
    await until(() => server.watchedNames.length === 1, 'file-cert to be released');
    expect(server.watchedNames).toEqual([root]);
    expect(s.responses).toHaveLength(2);
    s.call.end();
    await until(() => server.watchedNames.length === 0, 'every name to be released');
  });

  it('leaves default and ROOTCA pending with one warning each, and serves the rest', async () => {
    const logs = captureLogs();
    const { client } = await start(logs);
    const { cert } = gatewayVolume(v1);
    const a = new Stream(client);
    const b = new Stream(client);
    a.request(['default', 'ROOTCA']);
    b.request(['default', cert]);
    const r = await b.next(1);
    expect([...secretsOf(r).keys()]).toEqual([cert]);
    await logs.waitFor('SDS secret is not served; it stays pending', (l) => l['secret'] === 'ROOTCA');
    const warnings = logs.lines.filter((l) => l['msg'] === 'SDS secret is not served; it stays pending');
    expect(warnings.map((l) => l['secret']).sort()).toEqual(['ROOTCA', 'default']);
    expect(warnings[0]).toMatchObject({ level: 'warn', reason: expect.stringMatching(/needs Citadel/) });
    a.request(['file-cert:relative.pem~/k.pem']);
    expect((await logs.waitFor('SDS secret name is malformed; it stays pending'))['reason']).toMatch(/not absolute/);
    expect(a.responses).toEqual([]);
    expect(a.status).toBeUndefined();
    a.call.end();
    b.call.end();
  });

  it('serves DeltaSecrets per resource, skipping what initial_resource_versions already has', async () => {
    const logs = captureLogs();
    const { client } = await start(logs);
    const { vol, cert, root } = gatewayVolume(v1);
    const m = definition['DeltaSecrets']!;
    type Delta = { system_version_info: string; nonce: string; resources: Array<{ name: string; version: string; resource: { type_url: string; value: Uint8Array } }> };
    const open = () => {
      const call = client.makeBidiStreamRequest(m.path, m.requestSerialize, m.responseDeserialize) as grpc.ClientDuplexStream<object, Delta>;
      const got: Delta[] = [];
      call.on('data', (d: Delta) => got.push(d));
      call.on('error', () => undefined);
      return { call, got };
    };
    const a = open();
    a.call.write({ node: NODE, type_url: TypeUrl.Secret, resource_names_subscribe: [cert, root] });
    await until(() => a.got.length === 1, 'the delta response');
    const versions = Object.fromEntries(a.got[0]!.resources.map((r) => [r.name, r.version]));
    expect(Object.keys(versions).sort()).toEqual([cert, root].sort());
    expect(registry.unpack<DecodedSecret>(a.got[0]!.resources.find((r) => r.name === root)!.resource).validation_context?.trusted_ca).toBeDefined();
    a.call.write({ type_url: TypeUrl.Secret, response_nonce: a.got[0]!.nonce });
    // A reconnect that already has both: only what changes afterwards is sent.
    const b = open();
    b.call.write({ node: NODE, type_url: TypeUrl.Secret, resource_names_subscribe: [cert, root], initial_resource_versions: versions });
    await until(() => logs.lines.filter((l) => l['msg'] === 'SDS stream opened' && l['delta'] === true).length === 2, 'the second delta stream');
    vol.write({ 'tls.crt': v1.cert, 'tls.key': v1.key, 'ca.crt': otherCa.cert });
    await until(() => b.got.length === 1 && a.got.length === 2, 'the CA change on both streams');
    for (const got of [a.got[1]!, b.got[0]!]) {
      expect(got.resources.map((r) => r.name)).toEqual([root]);
      expect(text(registry.unpack<DecodedSecret>(got.resources[0]!.resource).validation_context?.trusted_ca.inline_bytes)).toBe(otherCa.cert);
    }
    a.call.end();
    b.call.end();
  });

  it('answers FetchSecrets with what is readable now', async () => {
    const logs = captureLogs();
    const { client } = await start(logs);
    const { cert } = gatewayVolume(v1);
    const m = definition['FetchSecrets']!;
    const r = await new Promise<DiscoveryResponse__Output>((resolve, reject) =>
      client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize as (b: Buffer) => DiscoveryResponse__Output, { node: NODE, type_url: TypeUrl.Secret, resource_names: [cert, 'default'] }, (e, v) => (e ? reject(e) : resolve(v!))),
    );
    expect([...secretsOf(r).keys()]).toEqual([cert]);
  });

  it('removes the socket on close; a second server is refused a live socket and leaves it alone', async () => {
    const logs = captureLogs();
    const { server, socket } = await start(logs);
    expect(existsSync(socket)).toBe(true);
    await server.close();
    expect(existsSync(socket)).toBe(false);
    const again = new SdsServer({ socketPath: socket, registry, logger: logs.logger });
    await again.start();
    cleanups.push(() => again.close());
    const clash = new SdsServer({ socketPath: socket, registry, logger: logs.logger });
    await expect(clash.start()).rejects.toMatchObject({ code: 'WEFT_AGENT_SDS_LISTEN', message: expect.stringContaining(`another process is serving on ${socket}`) });
    expect(existsSync(socket)).toBe(true);
  });
});
