// The HTTP/2 ADS transport at the protocol level, with node:http2 as a raw client: statuses, trailers,
// message framing split anywhere, size bounds, compression, deadlines, and what it refuses.
import * as http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { ADS_SERVICE, TypeUrl, type DiscoveryResponse__Output } from '@weft/api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SnapshotCache } from '../src/snapshot-cache.js';
import { Snapshot } from '../src/snapshot.js';
import { MessageReader, encodeGrpcMessage, parseGrpcTimeout } from '../src/grpc-transport.js';
import { createXdsServer } from '../src/xds-server.js';
import { edsCluster, endpoints, registry } from './resources.js';
import { sotwStream } from './server-harness.js';

const SOTW = `/${ADS_SERVICE}/StreamAggregatedResources`;
const REQUEST = 'envoy.service.discovery.v3.DiscoveryRequest';
const RESPONSE = 'envoy.service.discovery.v3.DiscoveryResponse';
const MAX_RECEIVE = 64 * 1024;

const frame = (message: Uint8Array, flag = 0): Buffer => {
  const out = Buffer.alloc(message.length + 5);
  out[0] = flag;
  out.writeUInt32BE(message.length, 1);
  Buffer.from(message).copy(out, 5);
  return out;
};
const cdsRequest = (id: string): Buffer => Buffer.from(registry.encode(REQUEST, { node: { id }, type_url: TypeUrl.Cluster }));

interface Exchange {
  status: number | undefined;
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders;
  messages: Buffer[];
}

let cache: SnapshotCache;
let xds: ReturnType<typeof createXdsServer>;
let transport: ReturnType<ReturnType<typeof createXdsServer>['http2Transport']>;
let port: number;
let client: http2.ClientHttp2Session;

beforeAll(async () => {
  cache = new SnapshotCache();
  cache.setSnapshot('raw', Snapshot.create({ version: 'v1', resources: { [TypeUrl.Cluster]: [edsCluster('c1')], [TypeUrl.ClusterLoadAssignment]: [endpoints('c1', [1])] } }));
  xds = createXdsServer({ registry, cache });
  transport = xds.http2Transport({ maxReceiveMessageBytes: MAX_RECEIVE });
  port = await transport.listen('127.0.0.1', 0);
  client = http2.connect(`http://127.0.0.1:${port}`);
});

afterAll(() => {
  client.close();
  xds.closeAll();
  transport.forceClose();
});

/**
 * Sends `chunks` on one request stream (each as its own DATA write), then half-closes unless `keepOpen`;
 * collects everything until the stream closes, or until `until` says enough.
 */
function exchange(
  chunks: Buffer[],
  opts: { headers?: http2.OutgoingHttpHeaders; keepOpen?: boolean; until?: (x: Exchange) => boolean } = {},
): Promise<Exchange> {
  const req = client.request({ ':method': 'POST', ':path': SOTW, 'content-type': 'application/grpc', te: 'trailers', ...opts.headers });
  const x: Exchange = { status: undefined, headers: {}, trailers: {}, messages: [] };
  let pending = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const check = () => {
      if (opts.until?.(x)) {
        req.close();
        resolve(x);
      }
    };
    req.on('response', (h) => {
      x.status = h[':status'];
      x.headers = h;
      check();
    });
    // The status ends the call, whether or not the request side was half-closed.
    req.on('trailers', (t) => {
      x.trailers = t;
      req.close();
      resolve(x);
    });
    req.on('data', (d: Buffer) => {
      pending = Buffer.concat([pending, d]);
      while (pending.length >= 5 && pending.length >= 5 + pending.readUInt32BE(1)) {
        x.messages.push(pending.subarray(5, 5 + pending.readUInt32BE(1)));
        pending = pending.subarray(5 + pending.readUInt32BE(1));
      }
      check();
    });
    req.on('close', () => resolve(x));
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    if (!opts.keepOpen) req.end();
  });
}

const decodeResponse = (b: Buffer) => registry.decode<DiscoveryResponse__Output>(RESPONSE, b);
/** grpc-status and grpc-message, from trailers or a Trailers-Only response. */
const statusOf = (x: Exchange) => {
  const h = x.trailers['grpc-status'] !== undefined ? x.trailers : x.headers;
  return { code: Number(h['grpc-status']), message: decodeURIComponent(String(h['grpc-message'] ?? '')) };
};

describe('HTTP/2 ADS transport', () => {
  it('answers a request split at every byte, then ends OK when the client half-closes', async () => {
    const bytes = frame(cdsRequest('raw'));
    const x = await exchange([...bytes].map((b) => Buffer.from([b])));
    expect(x.status).toBe(200);
    expect(x.headers['content-type']).toBe('application/grpc');
    expect(x.messages.map((m) => decodeResponse(m).version_info)).toEqual(['v1']);
    expect(statusOf(x)).toEqual({ code: 0, message: '' });
  });

  it('takes two messages in one DATA frame', async () => {
    const eds = frame(registry.encode(REQUEST, { node: { id: 'raw' }, type_url: TypeUrl.ClusterLoadAssignment, resource_names: ['c1'] }));
    const x = await exchange([Buffer.concat([frame(cdsRequest('raw')), eds])], { keepOpen: true, until: (e) => e.messages.length === 2 });
    expect(x.messages.map((m) => decodeResponse(m).type_url).sort()).toEqual([TypeUrl.Cluster, TypeUrl.ClusterLoadAssignment].sort());
  });

  it('accepts a gzip-compressed request and refuses an encoding it does not know', async () => {
    const x = await exchange([frame(gzipSync(cdsRequest('raw')), 1)], { headers: { 'grpc-encoding': 'gzip' } });
    expect(x.messages.map((m) => decodeResponse(m).version_info)).toEqual(['v1']);
    const y = await exchange([frame(cdsRequest('raw'))], { headers: { 'grpc-encoding': 'snappy' } });
    expect(statusOf(y).code).toBe(12);
    expect(y.headers['grpc-accept-encoding']).toBe('identity,deflate,gzip');
    // Flag 1 without an encoding is a protocol error.
    expect(statusOf(await exchange([frame(cdsRequest('raw'), 1)])).code).toBe(13);
  });

  it('fails a message over maxReceiveMessageBytes with RESOURCE_EXHAUSTED, naming both sizes', async () => {
    const header = Buffer.alloc(5);
    header.writeUInt32BE(MAX_RECEIVE + 1, 1);
    const x = await exchange([header]);
    expect(statusOf(x)).toEqual({ code: 8, message: `Received message larger than max (${MAX_RECEIVE + 1} vs. ${MAX_RECEIVE})` });
  });

  it('fails a bad flag, a truncated message, and bytes that are no DiscoveryRequest with INTERNAL', async () => {
    expect(statusOf(await exchange([Buffer.from([7, 0, 0, 0, 0])])).code).toBe(13);
    const cut = frame(cdsRequest('raw')).subarray(0, 12);
    expect(statusOf(await exchange([cut]))).toEqual({ code: 13, message: 'the request stream ended inside a message' });
    // A length varint cut short: protobufjs throws.
    const garbage = await exchange([frame(Buffer.from([0x22, 0x80]))]);
    expect(statusOf(garbage).code).toBe(13);
    expect(statusOf(garbage).message).toMatch(/^Error deserializing request/);
  });

  it('refuses unknown methods (UNIMPLEMENTED), other HTTP methods (405) and other content types (415)', async () => {
    const unknown = await exchange([], { headers: { ':path': `/${ADS_SERVICE}/Nope` } });
    expect(unknown.status).toBe(200);
    expect(statusOf(unknown)).toEqual({ code: 12, message: `The server does not implement the method /${ADS_SERVICE}/Nope` });
    expect((await exchange([], { headers: { ':method': 'GET' } })).status).toBe(405);
    expect((await exchange([], { headers: { 'content-type': 'application/json' } })).status).toBe(415);
    // application/grpc+proto is gRPC too.
    const proto = await exchange([frame(cdsRequest('raw'))], { headers: { 'content-type': 'application/grpc+proto' } });
    expect(proto.messages).toHaveLength(1);
  });

  it('ends a call at its grpc-timeout with DEADLINE_EXCEEDED', async () => {
    const x = await exchange([frame(cdsRequest('raw'))], { headers: { 'grpc-timeout': '300m' }, keepOpen: true });
    expect(x.messages).toHaveLength(1);
    expect(statusOf(x)).toEqual({ code: 4, message: 'Deadline exceeded' });
  });

  it('ends open calls with UNAVAILABLE on closeAll, and a grpc-js client sees the status', async () => {
    const raw = exchange([frame(cdsRequest('raw'))], { keepOpen: true });
    const viaGrpcJs = sotwStream(`127.0.0.1:${port}`);
    viaGrpcJs.send({ node: { id: 'raw' }, type_url: TypeUrl.Cluster });
    await viaGrpcJs.next();
    await expect.poll(() => xds.connections().length).toBe(2);
    xds.closeAll('going away: 100% done');
    expect(statusOf(await raw)).toEqual({ code: 14, message: 'going away: 100% done' });
    await expect(viaGrpcJs.next()).rejects.toThrow('going away: 100% done');
    viaGrpcJs.close();
  });
});

describe('HTTP/2 ADS transport shutdown', () => {
  it('close() ends sessions whose clients never finish their streams after the grace period', async () => {
    const own = createXdsServer({ registry, cache });
    const t = own.http2Transport();
    const p = await t.listen('127.0.0.1', 0);
    const session = http2.connect(`http://127.0.0.1:${p}`);
    const req = session.request({ ':method': 'POST', ':path': SOTW, 'content-type': 'application/grpc' });
    req.write(frame(cdsRequest('raw')));
    await expect.poll(() => own.connections().length).toBe(1);
    // The stream ends with UNAVAILABLE, but the client keeps its side open and the session up.
    own.closeAll('bye');
    const closed = new Promise<void>((resolve) => session.on('close', () => resolve()));
    // Resolves (the test would time out otherwise), and the client sees its session dropped.
    await t.close(300);
    await closed;
    expect(session.destroyed || session.closed).toBe(true);
  });
});

describe('gRPC framing helpers', () => {
  it('percent-encodes grpc-message outside printable ASCII and %', () => {
    expect(encodeGrpcMessage('ok: 100% ü\n')).toBe('ok: 100%25 %C3%BC%0A');
  });

  it('parses grpc-timeout units and rejects malformed values', () => {
    expect(parseGrpcTimeout(undefined)).toBeUndefined();
    expect(parseGrpcTimeout('2S')).toBe(2000);
    expect(parseGrpcTimeout('1H')).toBe(3_600_000);
    expect(parseGrpcTimeout('250m')).toBe(250);
    expect(parseGrpcTimeout('1500u')).toBe(1.5);
    expect(parseGrpcTimeout('123456789S')).toBeNaN();
    expect(parseGrpcTimeout('5s')).toBeNaN();
  });

  it('MessageReader yields the same messages however the bytes are cut', () => {
    const messages = [Buffer.from('a'), Buffer.alloc(0), Buffer.from('hello world'), Buffer.alloc(300, 7)];
    const stream = Buffer.concat(messages.map((m) => frame(m)));
    for (const size of [1, 2, 3, 5, 6, 7, 64, stream.length]) {
      const got: string[] = [];
      const reader = new MessageReader(1000, (_c, b) => got.push(b.toString('hex')), () => expect.unreachable());
      for (let i = 0; i < stream.length; i += size) reader.push(stream.subarray(i, i + size));
      expect(got).toEqual(messages.map((m) => m.toString('hex')));
      expect(reader.partial).toBe(false);
    }
  });
});

describe('send timeout (a client that does not read)', () => {
  it('resets the stream of a response not flushed within sendTimeoutMs, and forgets it', async () => {
    const big = new SnapshotCache();
    // About 400 KB of clusters: far more than the 64 KiB stream window of a client that never reads.
    const clusters = Array.from({ length: 3000 }, (_, i) => edsCluster(`cluster-with-a-rather-long-name-${i}.example.svc.cluster.local`));
    big.setSnapshot('stuck', Snapshot.create({ version: 'v1', resources: { [TypeUrl.Cluster]: clusters } }));
    const own = createXdsServer({ registry, cache: big, sendTimeoutMs: 300 });
    const t = own.http2Transport();
    const p = await t.listen('127.0.0.1', 0);
    const session = http2.connect(`http://127.0.0.1:${p}`);
    try {
      const req = session.request({ ':method': 'POST', ':path': SOTW, 'content-type': 'application/grpc' });
      req.pause();
      const closed = new Promise<number>((resolve) => req.on('close', () => resolve(req.rstCode)));
      req.write(frame(cdsRequest('stuck')));
      await expect.poll(() => own.connections().length).toBe(1);
      expect(await closed).toBe(http2.constants.NGHTTP2_CANCEL);
      await expect.poll(() => own.connections().length).toBe(0);
    } finally {
      session.destroy();
      own.closeAll();
      t.forceClose();
    }
  });
});
