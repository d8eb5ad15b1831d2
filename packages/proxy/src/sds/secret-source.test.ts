import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { secretRef } from './secret-source.js';

const sdsGrpc = { api_config_source: { api_type: 'GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'sds-grpc' } }] } };

describe('secretRef', () => {
  it.each([
    ['no sds_config: a static bootstrap secret', { name: 'server' }, { kind: 'static' }, 'static', 0],
    ['ads', { name: 'default', sds_config: { ads: {} } }, { kind: 'ads' }, 'ads', 15_000],
    ['self', { name: 'default', sds_config: { self: {} } }, { kind: 'ads' }, 'ads', 15_000],
    ["Istio's sds-grpc cluster", { name: 'ROOTCA', sds_config: sdsGrpc }, { kind: 'grpc', cluster: 'sds-grpc' }, 'grpc:cluster:sds-grpc', 15_000],
    ['a google_grpc target', { name: 'default', sds_config: { api_config_source: { api_type: 'GRPC', grpc_services: [{ google_grpc: { target_uri: 'unix:/var/run/sds/uds_path' } }] } } }, { kind: 'grpc', target: 'unix:/var/run/sds/uds_path' }, 'grpc:target:unix:/var/run/sds/uds_path', 15_000],
    ['an explicit initial_fetch_timeout', { name: 'default', sds_config: { ads: {}, initial_fetch_timeout: { seconds: '2', nanos: 500_000_000 } } }, { kind: 'ads' }, 'ads', 2500],
    ["Istio's file-cert name", { name: 'file-cert:/etc/certs/cert-chain.pem~/etc/certs/key.pem', sds_config: sdsGrpc }, { kind: 'grpc', cluster: 'sds-grpc' }, 'grpc:cluster:sds-grpc', 15_000],
  ])('reads %s', (_what, config, source, key, timeout) => {
    const issues = new IssueCollector('ctx');
    const ref = secretRef(config, issues);
    expect(issues.errors).toEqual([]);
    expect(ref).toEqual({ path: 'ctx', name: config.name, source, sourceKey: key, initialFetchTimeoutMs: timeout });
  });

  it.each([
    ['no name', { name: '', sds_config: { ads: {} } }, 'ctx.name', 'a secret name is required'],
    ['a path source', { name: 'a', sds_config: { path: '/etc/sds.yaml' } }, 'ctx.sds_config', 'SDS from path is not supported (use ads or api_config_source GRPC)'],
    ['DELTA_GRPC', { name: 'a', sds_config: { api_config_source: { api_type: 'DELTA_GRPC', grpc_services: [{ envoy_grpc: { cluster_name: 'x' } }] } } }, 'ctx.sds_config.api_config_source.api_type', 'SDS api_type DELTA_GRPC is not supported (GRPC: SecretDiscoveryService StreamSecrets)'],
    ['two grpc services', { name: 'a', sds_config: { api_config_source: { api_type: 'GRPC', grpc_services: [{}, {}] } } }, 'ctx.sds_config.api_config_source.grpc_services', 'exactly one grpc_service is required'],
    ['an empty grpc service', { name: 'a', sds_config: { api_config_source: { api_type: 'GRPC', grpc_services: [{}] } } }, 'ctx.sds_config.api_config_source.grpc_services[0]', 'envoy_grpc.cluster_name or google_grpc.target_uri is required'],
  ])('refuses %s with its path', (_what, config, path, message) => {
    const issues = new IssueCollector('ctx');
    expect(secretRef(config, issues)).toBeUndefined();
    expect(issues.errors).toEqual([{ path, message }]);
  });
});
