import { describe, expect, it } from 'vitest';
import { buildNodeIdentity, type NodeInputs } from './node-identity.js';

const POD_ENV = {
  POD_NAME: 'web-7d9f-abcde',
  POD_NAMESPACE: 'weather',
  INSTANCE_IP: '10.244.1.7',
  SERVICE_ACCOUNT: 'web',
  HOST_IP: '10.244.0.1',
  ISTIO_META_POD_NAME: 'web-7d9f-abcde',
  ISTIO_META_CONFIG_NAMESPACE: 'weather',
  ISTIO_META_INTERCEPTION_MODE: 'REDIRECT',
  ISTIO_META_INCLUDE_INBOUND_PORTS: '3002',
  ISTIO_META_CLUSTER_ID: 'Kubernetes',
  ISTIO_META_WORKLOAD_NAME: 'web',
  ISTIO_META_POD_PORTS: '[{"containerPort":3002,"protocol":"TCP"}]',
  ISTIO_METAJSON_LABELS: '{"app":"web","version":"v1"}',
  ISTIO_METAJSON_ANNOTATIONS: '{"sidecar.istio.io/status":"{}"}',
  PATH: '/usr/bin',
};

function input(over: Partial<NodeInputs> = {}): NodeInputs {
  return { role: 'sidecar', serviceCluster: 'web.weather', env: POD_ENV, fallbackIp: '192.0.2.1', istioVersion: '1.3.0-weft.0.1.0', proxySha: 'weft-proxy:0.1.0', ...over };
}

describe('buildNodeIdentity', () => {
  it('builds the Istio node ID role~ip~pod.namespace~domain', () => {
    const { node, errors } = buildNodeIdentity(input({ domain: 'weather.svc.cluster.local' }));
    expect(errors).toEqual([]);
    expect(node?.id).toBe('sidecar~10.244.1.7~web-7d9f-abcde.weather~weather.svc.cluster.local');
    expect(node?.cluster).toBe('web.weather');
    expect(node?.ip).toBe('10.244.1.7');
  });

  it('defaults the domain to ${POD_NAMESPACE}.svc.cluster.local and honours --id', () => {
    expect(buildNodeIdentity(input()).node?.id).toBe('sidecar~10.244.1.7~web-7d9f-abcde.weather~weather.svc.cluster.local');
    expect(buildNodeIdentity(input({ role: 'router', id: 'gw.istio-system' })).node?.id).toBe('router~10.244.1.7~gw.istio-system~weather.svc.cluster.local');
  });

  it('turns ISTIO_META_* into string metadata and ISTIO_METAJSON_* into objects', () => {
    const md = buildNodeIdentity(input()).node!.metadata;
    expect(md).toMatchObject({
      LABELS: { app: 'web', version: 'v1' },
      ANNOTATIONS: { 'sidecar.istio.io/status': '{}' },
      NAMESPACE: 'weather',
      CONFIG_NAMESPACE: 'weather',
      POD_NAME: 'web-7d9f-abcde',
      INSTANCE_IPS: '10.244.1.7',
      INTERCEPTION_MODE: 'REDIRECT',
      ISTIO_VERSION: '1.3.0-weft.0.1.0',
      CLUSTER_ID: 'Kubernetes',
      SERVICE_ACCOUNT: 'web',
      WORKLOAD_NAME: 'web',
      INCLUDE_INBOUND_PORTS: '3002',
      POD_PORTS: '[{"containerPort":3002,"protocol":"TCP"}]',
    });
    expect(md).not.toHaveProperty('PATH');
    expect(md).not.toHaveProperty('HOST_IP');
  });

  it.each([
    ['sidecar', 'REDIRECT'],
    ['router', 'NONE'],
  ] as const)('defaults INTERCEPTION_MODE for a %s to %s', (role, mode) => {
    const env = { POD_NAME: 'p', POD_NAMESPACE: 'ns', INSTANCE_IP: '10.0.0.1' };
    const md = buildNodeIdentity(input({ role, env })).node!.metadata;
    expect(md['INTERCEPTION_MODE']).toBe(mode);
    expect(md['CLUSTER_ID']).toBe('Kubernetes');
    expect(md['LABELS']).toEqual({});
  });

  it('falls back to the host IP without INSTANCE_IP', () => {
    const { node } = buildNodeIdentity(input({ env: { POD_NAME: 'p', POD_NAMESPACE: 'ns' } }));
    expect(node?.id).toBe('sidecar~192.0.2.1~p.ns~ns.svc.cluster.local');
  });

  it('reports every problem of the environment at once', () => {
    const { node, errors } = buildNodeIdentity(input({ env: { INSTANCE_IP: 'not-an-ip', ISTIO_METAJSON_LABELS: '["a"]', ISTIO_METAJSON_ANNOTATIONS: '{oops' } }));
    expect(node).toBeUndefined();
    expect(errors.map((e) => e.code)).toEqual([
      'WEFT_AGENT_PROXY_IDENTITY',
      'WEFT_AGENT_PROXY_IDENTITY',
      'WEFT_AGENT_PROXY_BAD_ENV',
      'WEFT_AGENT_PROXY_BAD_ENV',
      'WEFT_AGENT_PROXY_BAD_ENV',
    ]);
    expect(errors.map((e) => e.message).join('\n')).toMatch(/POD_NAME and POD_NAMESPACE must be set[\s\S]*INSTANCE_IP[\s\S]*ISTIO_METAJSON_ANNOTATIONS: not valid JSON[\s\S]*ISTIO_METAJSON_LABELS: must be a JSON object/);
  });
});
