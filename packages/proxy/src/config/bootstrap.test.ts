import { loadProtoRegistry } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { parseBootstrap } from './bootstrap.js';

const registry = loadProtoRegistry();

describe('parseBootstrap', () => {
  it('reads YAML with proto names and JSON with lowerCamelCase to the same bootstrap', () => {
    const yaml = `node: {id: "sidecar~10.1.0.5~a.default~default.svc.cluster.local", cluster: a.default}
admin: {address: {socket_address: {address: 127.0.0.1, port_value: 15000}}}
static_resources:
  clusters:
  - name: xds-grpc
    type: STATIC
    connect_timeout: 1s
    load_assignment: {cluster_name: xds-grpc, endpoints: [{lb_endpoints: [{endpoint: {address: {socket_address: {address: 127.0.0.1, port_value: 15010}}}}]}]}
dynamic_resources:
  ads_config: {api_type: GRPC, transport_api_version: V3, grpc_services: [{envoy_grpc: {cluster_name: xds-grpc}}]}
`;
    const json = JSON.stringify({
      node: { id: 'sidecar~10.1.0.5~a.default~default.svc.cluster.local', cluster: 'a.default' },
      admin: { address: { socketAddress: { address: '127.0.0.1', portValue: 15000 } } },
      staticResources: { clusters: [{ name: 'xds-grpc', type: 'STATIC', connectTimeout: '1s', loadAssignment: { clusterName: 'xds-grpc', endpoints: [{ lbEndpoints: [{ endpoint: { address: { socketAddress: { address: '127.0.0.1', portValue: 15010 } } } }] }] } }] },
      dynamicResources: { adsConfig: { apiType: 'GRPC', transportApiVersion: 'V3', grpcServices: [{ envoyGrpc: { clusterName: 'xds-grpc' } }] } },
    });
    const a = parseBootstrap(registry, yaml, 'a.yaml');
    const b = parseBootstrap(registry, json, 'b.json');
    expect(a.ok && b.ok).toBe(true);
    if (a.ok && b.ok) {
      expect(a.value).toEqual(b.value);
      expect(a.value.static_resources?.clusters[0]?.connect_timeout).toEqual({ seconds: '1', nanos: 0 });
    }
  });

  it.each([
    ['not: [valid', 'WEFT_PROXY_BOOTSTRAP_SYNTAX', ''],
    ['static_resources: {clusters: [{name: a}, {name: a}]}', 'WEFT_PROXY_BOOTSTRAP_INVALID', 'static_resources.clusters[1].name: duplicate cluster name "a"'],
    ['static_resources: {listeners: [{name: l}]}', 'WEFT_PROXY_BOOTSTRAP_INVALID', 'static_resources.listeners[0].address'],
    ['dynamic_resources: {ads_config: {api_type: REST}}', 'WEFT_PROXY_BOOTSTRAP_INVALID', 'dynamic_resources.ads_config.api_type'],
    ['admin: {adress: {}}', 'WEFT_PROXY_BOOTSTRAP_INVALID', 'admin.adress: unknown field'],
  ])('rejects %j', (text, code, detail) => {
    const r = parseBootstrap(registry, text, 'b.yaml');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe(code);
      expect(r.error.message).toContain(detail);
    }
  });
});
