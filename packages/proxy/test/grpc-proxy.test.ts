// gRPC through the proxy: a real grpc-js client and server with weft-proxy between them (h2c
// downstream, HTTP/2 upstream). Statuses travel in trailers, so both OK and errors must arrive intact.
import * as grpc from '@grpc/grpc-js';
import { loadProtoRegistry } from '@weft/api';
import { silentLogger } from '@weft/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseBootstrap } from '../src/config/bootstrap.js';
import { ProxyServer } from '../src/index.js';

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';
const HTTP_OPTIONS = 'envoy.extensions.upstreams.http.v3.HttpProtocolOptions';
const identity = (b: Buffer) => b;
const method = (name: string) => ({ path: `/weft.test.Echo/${name}`, requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity });

let upstream: grpc.Server;
let proxy: ProxyServer;
let client: grpc.Client;

beforeAll(async () => {
  upstream = new grpc.Server();
  upstream.addService(
    { Echo: method('Echo'), Missing: method('Missing') },
    {
      Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, Buffer.concat([Buffer.from('echo:'), call.request])),
      Missing: (_call: unknown, cb: grpc.sendUnaryData<Buffer>) => cb({ code: grpc.status.NOT_FOUND, details: 'no such thing' }),
    },
  );
  const upstreamPort = await new Promise<number>((resolve, reject) => upstream.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  const bootstrap = parseBootstrap(
    loadProtoRegistry(),
    JSON.stringify({
      node: { id: 'test', cluster: 'test' },
      static_resources: {
        clusters: [
          {
            name: 'grpc-backend',
            type: 'STATIC',
            connect_timeout: '1s',
            load_assignment: { cluster_name: 'grpc-backend', endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: '127.0.0.1', port_value: upstreamPort } } } }] }] },
            typed_extension_protocol_options: { [HTTP_OPTIONS]: { '@type': `type.googleapis.com/${HTTP_OPTIONS}`, explicit_http_config: { http2_protocol_options: {} } } },
          },
        ],
        listeners: [
          {
            name: 'grpc-in',
            address: { socket_address: { address: '127.0.0.1', port_value: 0 } },
            filter_chains: [
              {
                filters: [
                  {
                    name: 'envoy.filters.network.http_connection_manager',
                    typed_config: {
                      '@type': HCM,
                      stat_prefix: 'grpc_in',
                      route_config: { name: 'local', virtual_hosts: [{ name: 'all', domains: ['*'], routes: [{ match: { prefix: '/' }, route: { cluster: 'grpc-backend' } }] }] },
                      http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
                    },
                  },
                ],
              },
            ],
          },
        ],
      },
    }),
    'inline.json',
  );
  if (!bootstrap.ok) throw bootstrap.error;
  proxy = new ProxyServer({ bootstrap: bootstrap.value, registry: loadProtoRegistry(), logger: silentLogger(), drainTimeS: 1, onQuit: () => undefined });
  await proxy.start();
  client = new grpc.Client(proxy.listeners.boundAddress('grpc-in')!, grpc.credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await proxy?.stop();
  upstream?.forceShutdown();
});

function call(name: string, body: string): Promise<{ error: grpc.ServiceError | null; reply?: string }> {
  return new Promise((resolve) =>
    client.makeUnaryRequest(`/weft.test.Echo/${name}`, identity, identity, Buffer.from(body), { deadline: Date.now() + 5000 }, (error, reply) =>
      resolve({ error, ...(reply ? { reply: reply.toString() } : {}) }),
    ),
  );
}

describe('gRPC through weft-proxy', () => {
  it('carries a unary call and its OK status', async () => {
    const r = await call('Echo', 'hi');
    expect(r.error).toBeNull();
    expect(r.reply).toBe('echo:hi');
  });

  it('carries an error status and message from the upstream trailers', async () => {
    const r = await call('Missing', 'x');
    expect(r.error?.code).toBe(grpc.status.NOT_FOUND);
    expect(r.error?.details).toBe('no such thing');
  });

  it('many calls multiplex over the pooled HTTP/2 connection', async () => {
    const replies = await Promise.all(Array.from({ length: 100 }, (_, i) => call('Echo', String(i))));
    expect(replies.map((r) => r.reply)).toEqual(Array.from({ length: 100 }, (_, i) => `echo:${i}`));
  });
});
