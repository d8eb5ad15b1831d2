import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { isConfigMap, isKubeKind, validateKubeObject, validateMeshConfigMap } from './kube-validate.js';

const deployment = (patch?: (d: Record<string, any>) => void) => {
  const d: Record<string, any> = parse(`
apiVersion: apps/v1
kind: Deployment
metadata: {name: forecast-v1, namespace: weather, labels: {app: forecast}}
spec:
  replicas: 2
  selector: {matchLabels: {app: forecast, version: v1}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}
  template:
    metadata:
      labels: {app: forecast, version: v1}
      annotations: {sidecar.istio.io/inject: "true"}
    spec:
      serviceAccountName: weather-forecast
      containers:
      - name: forecast
        image: weft/weather-forecast:v1
        ports: [{name: http, containerPort: 3002}]
        env:
        - {name: VERSION, value: v1}
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        readinessProbe: {httpGet: {path: /healthz, port: 3002}, periodSeconds: 2}
`);
  patch?.(d);
  return d;
};

const paths = (r: { errors: readonly { path: string }[] }) => r.errors.map((e) => e.path);

describe('validateKubeObject', () => {
  it('turns a Deployment into its typed form with Kubernetes defaults', () => {
    const r = validateKubeObject(deployment());
    expect(r.errors).toEqual([]);
    const d = r.value as any;
    expect(d.kind).toBe('Deployment');
    expect(d.spec.replicas).toBe(2);
    expect(d.spec.strategy).toEqual({ type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 });
    const c = d.spec.template.spec.containers[0];
    expect(c.env).toEqual([{ name: 'VERSION', value: 'v1' }, { name: 'POD_NAME', fieldPath: 'metadata.name' }]);
    expect(c.readinessProbe).toMatchObject({ httpGet: { path: '/healthz', port: 3002 }, periodSeconds: 2, failureThreshold: 3, timeoutSeconds: 1 });
    expect(d.spec.template.spec.terminationGracePeriodSeconds).toBe(30);
  });

  it('defaults the strategy to RollingUpdate 25%/25% (surge rounds up, unavailable down)', () => {
    const r = validateKubeObject(deployment((d) => delete d.spec.strategy));
    expect((r.value as any).spec.strategy).toEqual({ type: 'RollingUpdate', maxSurge: 1, maxUnavailable: 0 });
  });

  it('refuses fields it does not implement, with their path', () => {
    const r = validateKubeObject(
      deployment((d) => {
        d.spec.template.spec.containers[0].resources = { limits: { cpu: '1' } };
        d.spec.template.spec.volumes = [];
        d.spec.template.spec.containers[0].livenessProbe = { exec: { command: ['true'] } };
      }),
    );
    expect(paths(r)).toEqual(expect.arrayContaining(['spec.template.spec.containers[0].resources', 'spec.template.spec.volumes', 'spec.template.spec.containers[0].livenessProbe']));
  });

  it('refuses a selector that does not match the template labels', () => {
    const r = validateKubeObject(deployment((d) => (d.spec.selector.matchLabels.version = 'v2')));
    expect(paths(r)).toContain('spec.template.metadata.labels');
  });

  it('refuses unsupported env fieldPaths, UDP ports and old apiVersions', () => {
    const r = validateKubeObject(
      deployment((d) => {
        d.apiVersion = 'extensions/v1beta1';
        d.spec.template.spec.containers[0].env[1].valueFrom.fieldRef.fieldPath = 'spec.hostname';
        d.spec.template.spec.containers[0].ports[0].protocol = 'UDP';
      }),
    );
    expect(paths(r)).toEqual(expect.arrayContaining(['apiVersion', 'spec.template.spec.containers[0].env[1].valueFrom.fieldRef.fieldPath', 'spec.template.spec.containers[0].ports[0].protocol']));
  });

  it('validates Services: ClusterIP only, named ports when several, a selector', () => {
    const ok = validateKubeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'forecast', namespace: 'weather' }, spec: { selector: { app: 'forecast' }, ports: [{ name: 'http', port: 3002, targetPort: 'http' }] } });
    expect(ok.errors).toEqual([]);
    expect((ok.value as any).spec.ports).toEqual([{ name: 'http', port: 3002, targetPort: 'http' }]);
    const bad = validateKubeObject({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'x' }, spec: { type: 'NodePort', ports: [{ port: 1 }, { port: 2 }] } });
    expect(paths(bad)).toEqual(expect.arrayContaining(['spec.type', 'spec.selector', 'spec.ports[0].name', 'spec.ports[1].name']));
  });

  it('puts namespaced objects without a namespace in the default one, and refuses other kinds', () => {
    const sa = validateKubeObject({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'weather-forecast' } }, 'weather');
    expect((sa.value as any).metadata.namespace).toBe('weather');
    expect(paths(validateKubeObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }))).toContain('kind');
    expect(isKubeKind('apps/v1', 'Deployment')).toBe(true);
    expect(isKubeKind('networking.istio.io/v1alpha3', 'VirtualService')).toBe(false);
  });
});

describe('validateMeshConfigMap', () => {
  const configMap = (data: unknown, metadata: Record<string, unknown> = { name: 'istio', namespace: 'istio-system' }) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata, data });

  it("takes Istio's istio ConfigMap: mesh as MeshConfig YAML, meshNetworks without networks", () => {
    const r = validateMeshConfigMap(configMap({ mesh: 'accessLogFile: ""\nenableTracing: false\n', meshNetworks: 'networks: {}' }, { name: 'istio', namespace: 'istio-system', labels: { app: 'istio', release: 'istio' } }));
    expect(r.errors).toEqual([]);
    expect(r.value?.mesh).toBe('accessLogFile: ""\nenableTracing: false\n');
    expect(r.value?.meshConfig).toMatchObject({ accessLogFile: '', enableTracing: false });
    expect(validateMeshConfigMap(configMap({ mesh: '' }), 'istio-system').value?.meshConfig.accessLogFile).toBe('/dev/stdout');
    expect(isConfigMap('v1', 'ConfigMap')).toBe(true);
  });

  it.each([
    ['another name', configMap({ mesh: '' }, { name: 'istio-sidecar-injector', namespace: 'istio-system' }), 'metadata.name', 'the one ConfigMap it takes is'],
    ['another namespace', configMap({ mesh: '' }, { name: 'istio', namespace: 'weather' }), 'metadata.namespace', 'istio in namespace istio-system'],
    ['no namespace (the default one)', configMap({ mesh: '' }, { name: 'istio' }), 'metadata.namespace', 'ConfigMap default/istio'],
    ['other keys', configMap({ mesh: '', values: '{}' }), 'data.values', 'holds mesh (MeshConfig YAML) and meshNetworks'],
    ['no mesh', configMap({ meshNetworks: 'networks: {}' }), 'data.mesh', 'is required'],
    ['no data', configMap(undefined), 'data', 'is required'],
    ['mesh as a mapping', configMap({ mesh: { accessLogFile: '' } }), 'data.mesh', 'must be a string'],
    ['binaryData', { ...configMap({ mesh: '' }), binaryData: {} }, 'binaryData', 'not supported'],
    ['an invalid mesh config', configMap({ mesh: 'accessLogFile: ""\ndefaultConfig:\n  proxyAdminPort: 70000\n' }), 'data.mesh.defaultConfig.proxyAdminPort', 'port number 70000'],
    ['declared networks', configMap({ mesh: '', meshNetworks: 'networks:\n  network1: {}\n' }), 'data.meshNetworks.networks', 'no --meshNetworks'],
  ])('refuses %s at its path', (_what, raw, path, message) => {
    const r = validateMeshConfigMap(raw);
    expect(r.value).toBeUndefined();
    expect(r.errors).toEqual([expect.objectContaining({ path, message: expect.stringContaining(message) })]);
  });

  it('gives the line inside the mesh text of a problem there', () => {
    const r = validateMeshConfigMap(configMap({ mesh: 'accessLogFile: ""\nconnectTimeout: 31s\n' }));
    expect(r.errors).toEqual([expect.objectContaining({ path: 'data.mesh.connectTimeout', textLine: 2 })]);
  });
});
