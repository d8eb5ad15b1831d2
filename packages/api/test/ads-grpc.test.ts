// Real gRPC over a real socket: the ADS service definition built from the protos carries
// Any-packed resources between a grpc-js server and client unchanged.
import * as grpc from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grpcServiceDefinition } from '../src/proto/grpc-service.js';
import { loadProtoRegistry } from '../src/proto/registry.js';
import { ADS_SERVICE, TypeUrl } from '../src/xds/type-urls.js';

const registry = loadProtoRegistry();
const definition = grpcServiceDefinition(registry, ADS_SERVICE);
const Client = grpc.makeGenericClientConstructor(definition, 'AggregatedDiscoveryService');

interface DiscoveryRequest {
  node: { id: string; cluster: string } | null;
  type_url: string;
  resource_names: string[];
  response_nonce: string;
}
interface DiscoveryResponse {
  version_info: string;
  nonce: string;
  type_url: string;
  resources: { type_url: string; value: Uint8Array }[];
}

let server: grpc.Server;
let port = 0;
const seen: DiscoveryRequest[] = [];

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(definition, {
    StreamAggregatedResources: (call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>) => {
      call.on('data', (req: DiscoveryRequest) => {
        seen.push(req);
        if (req.response_nonce) return; // an ACK
        const resources = req.resource_names.map((name) =>
          registry.pack('envoy.config.cluster.v3.Cluster', { name, type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } }),
        );
        call.write({ version_info: 'v1', nonce: 'n1', type_url: req.type_url, resources });
      });
      call.on('end', () => call.end());
    },
    DeltaAggregatedResources: (call: grpc.ServerDuplexStream<unknown, unknown>) => call.end(),
  });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
  );
});

afterAll(() => server.forceShutdown());

describe('ADS over grpc-js with the registry codec', () => {
  it('delivers Any-packed clusters and the ACK that follows', async () => {
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure()) as unknown as grpc.Client & {
      StreamAggregatedResources(): grpc.ClientDuplexStream<object, DiscoveryResponse>;
    };
    const stream = client.StreamAggregatedResources();
    const response = new Promise<DiscoveryResponse>((resolve) => stream.once('data', resolve));
    stream.write({
      node: { id: 'sidecar~10.1.0.5~reviews-v1-xyz.default~default.svc.cluster.local', cluster: 'reviews.default' },
      type_url: TypeUrl.Cluster,
      resource_names: ['outbound|9080|v1|reviews.default.svc.cluster.local'],
    });
    const res = await response;
    expect(res).toMatchObject({ version_info: 'v1', nonce: 'n1', type_url: TypeUrl.Cluster });
    expect(res.resources).toHaveLength(1);
    expect(registry.unpack(res.resources[0]!)).toMatchObject({ name: 'outbound|9080|v1|reviews.default.svc.cluster.local', type: 'EDS' });
    stream.write({ type_url: TypeUrl.Cluster, response_nonce: 'n1', version_info: 'v1' });
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[0]!.node).toMatchObject({ id: 'sidecar~10.1.0.5~reviews-v1-xyz.default~default.svc.cluster.local' });
    expect(seen[1]!.response_nonce).toBe('n1');
    const status = new Promise<grpc.StatusObject>((resolve) => stream.on('status', resolve));
    stream.end();
    expect((await status).code).toBe(grpc.status.OK);
    client.close();
  });
});
