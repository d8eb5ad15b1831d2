import { describe, expect, it } from 'vitest';
import { loadProtoRegistry, TYPE_URL_PREFIX, type AnyMessage } from '../proto/registry.js';
import { MCP_AGGREGATED_SERVICE, MCP_RESOURCE_SINK_SERVICE, MCP_RESOURCE_SOURCE_SERVICE, McpMessage } from './names.js';

const registry = loadProtoRegistry();
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const fromHex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');

// A VirtualService body travels as opaque Any bytes: {hosts (1): ["reviews"]}.
const VIRTUAL_SERVICE_URL = `${TYPE_URL_PREFIX}istio.networking.v1alpha3.VirtualService`;
const virtualServiceBytes = fromHex('0a 07 72657669657773');

interface DecodedResources {
  system_version_info: string;
  collection: string;
  resources: { metadata: Record<string, unknown>; body: AnyMessage }[];
  removed_resources: string[];
  nonce: string;
  incremental: boolean;
}

describe('MCP Resources', () => {
  it('encodes a Resources message to the hand-written bytes', () => {
    const resources = {
      collection: 'c',
      resources: [{ metadata: { name: 'n' }, body: { type_url: 't', value: fromHex('0a0178') } }],
      nonce: '1',
    };
    // collection (2) "c"; resources (3) Resource{metadata (1) {name (1) "n"}, body (2) Any{type_url (1) "t", value (2)}}; nonce (5) "1"
    expect(hex(registry.encode(McpMessage.Resources, resources))).toBe(
      ['12 01 63', '1a 0f', '0a 03 0a 01 6e', '12 08 0a 01 74 12 03 0a0178', '2a 01 31'].join('').replace(/\s+/g, ''),
    );
  });

  it('round-trips resources with metadata and an Any body', () => {
    const metadata = {
      name: 'default/reviews',
      create_time: { seconds: '1568246400', nanos: 5 },
      version: '42',
      labels: { app: 'reviews' },
      annotations: { 'weft.io/source': 'file' },
    };
    const message = {
      system_version_info: '2019-09-12T00:00:00Z',
      collection: 'istio/networking/v1alpha3/virtualservices',
      resources: [
        { metadata, body: { type_url: VIRTUAL_SERVICE_URL, value: virtualServiceBytes } },
      ],
      removed_resources: ['default/ratings'],
      nonce: 'n-7',
      incremental: true,
    };
    const decoded = registry.decode<DecodedResources>(McpMessage.Resources, registry.encode(McpMessage.Resources, message));
    expect(decoded).toMatchObject({ ...message, resources: [{ metadata }] });
    // The body bytes pass through untouched: MCP never needs the VirtualService schema.
    const body = decoded.resources[0]?.body;
    expect(body?.type_url).toBe(VIRTUAL_SERVICE_URL);
    expect(hex(body?.value ?? new Uint8Array())).toBe(hex(virtualServiceBytes));
  });
});

describe('MCP RequestResources', () => {
  // sink_node (1) {id (1) "pilot"}; collection (2) "c"; initial_resource_versions (3) {"a": "1"};
  // response_nonce (4) "n1"; error_detail (5) google.rpc.Status{code (1) 3, message (2) "bad"}; incremental (6) true
  const NACK_HEX = '0a07 0a05 70696c6f74' + '1201 63' + '1a06 0a0161 120131' + '2202 6e31' + '2a07 0803 1203 626164' + '3001';
  const nack = {
    sink_node: { id: 'pilot' },
    collection: 'c',
    initial_resource_versions: { a: '1' },
    response_nonce: 'n1',
    error_detail: { code: 3, message: 'bad' },
    incremental: true,
  };

  it('encodes a NACK to the hand-written bytes', () => {
    expect(hex(registry.encode(McpMessage.RequestResources, nack))).toBe(NACK_HEX.replace(/\s+/g, ''));
  });

  it('decodes the hand-written bytes', () => {
    expect(registry.decode(McpMessage.RequestResources, fromHex(NACK_HEX))).toMatchObject({
      ...nack,
      sink_node: { id: 'pilot', annotations: {} },
      error_detail: { code: 3, message: 'bad', details: [] },
    });
  });
});

describe('MCP services', () => {
  it.each([
    [MCP_RESOURCE_SOURCE_SERVICE, 'RequestResources', 'Resources'],
    [MCP_RESOURCE_SINK_SERVICE, 'Resources', 'RequestResources'],
  ])('%s has a bidirectional EstablishResourceStream', (name, request, response) => {
    const method = registry.service(name).methods['EstablishResourceStream'];
    expect(method).toMatchObject({ requestType: request, responseType: response, requestStream: true, responseStream: true });
  });

  it('keeps the 1.0-era aggregated service and its messages', () => {
    const methods = registry.service(MCP_AGGREGATED_SERVICE).methods;
    expect(methods['StreamAggregatedResources']).toMatchObject({ requestType: 'MeshConfigRequest', responseType: 'MeshConfigResponse' });
    expect(methods['IncrementalAggregatedResources']).toMatchObject({
      requestType: 'IncrementalMeshConfigRequest',
      responseType: 'IncrementalMeshConfigResponse',
    });
    // MeshConfigRequest: version_info (1), sink_node (2), type_url (3), response_nonce (4)
    const request = { version_info: 'v', sink_node: { id: 'p' }, type_url: 't', response_nonce: 'n' };
    expect(hex(registry.encode(McpMessage.MeshConfigRequest, request))).toBe('0a0176' + '12030a0170' + '1a0174' + '22016e');
  });
});
