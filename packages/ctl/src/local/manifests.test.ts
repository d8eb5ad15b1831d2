import { formatIssue } from '@weft/api';
import { describe, expect, it } from 'vitest';
import { defaultPilotMesh } from './kube/mesh-config-map.js';
import { checkMeshConfigUnchanged, validateManifestText } from './manifests.js';

// The shape of Istio 1.3's Helm-rendered `istio` ConfigMap (values trimmed), with access logs off.
const HELM_CONFIG_MAP = `apiVersion: v1
kind: ConfigMap
metadata:
  name: istio
  namespace: istio-system
  labels:
    app: istio
    release: istio
data:
  mesh: |-
    disablePolicyChecks: true
    policyCheckFailOpen: false
    enableTracing: true
    accessLogFile: ""
    accessLogEncoding: 'TEXT'
    enableEnvoyAccessLogService: false
    ingressService: istio-ingressgateway
    connectTimeout: 10s
    protocolDetectionTimeout: 100ms
    dnsRefreshRate: 300s
    sdsUdsPath: ""
    trustDomain: ""
    outboundTrafficPolicy:
      mode: ALLOW_ANY
    localityLbSetting:
      enabled: true
    rootNamespace: istio-system
    configSources:
    - address: istio-galley.istio-system.svc:9901
    defaultConfig:
      connectTimeout: 10s
      configPath: "/etc/istio/proxy"
      binaryPath: "/usr/local/bin/envoy"
      serviceCluster: istio-proxy
      drainDuration: 45s
      parentShutdownDuration: 1m0s
      proxyAdminPort: 15000
      concurrency: 2
      tracing:
        zipkin:
          address: zipkin.istio-system:9411
      controlPlaneAuthPolicy: NONE
      discoveryAddress: istio-pilot.istio-system:15010
  meshNetworks: |-
    networks: {}
`;

describe('validateManifestText: the istio ConfigMap', () => {
  it("takes Istio 1.3's Helm ConfigMap as the mesh config, not as a Kubernetes object to run", () => {
    const r = validateManifestText(HELM_CONFIG_MAP, 'mesh.yaml', 'default');
    expect(r.errors.map(formatIssue)).toEqual([]);
    expect(r.kube).toEqual([]);
    expect(r.meshConfig?.configMap.meshConfig).toMatchObject({ accessLogFile: '', connectTimeout: '10s', rootNamespace: 'istio-system' });
    expect(r.meshConfig?.configMap.mesh).toContain('accessLogFile: ""');
    expect(r.meshConfig?.at).toMatchObject({ source: 'mesh.yaml', line: 10, kind: 'ConfigMap', name: 'istio' });
  });

  it('points a problem inside data.mesh at its own line of the file', () => {
    const bad = HELM_CONFIG_MAP.replace('connectTimeout: 10s\n    protocol', 'connectTimeout: 31s\n    protocol').replace('      drainDuration: 45s', '      drainDuration: 2m');
    const r = validateManifestText(bad, 'mesh.yaml', 'default');
    expect(r.meshConfig).toBeUndefined();
    expect(r.errors.map(formatIssue)).toEqual([
      expect.stringMatching(/^mesh\.yaml:18 \[doc 0\] ConfigMap\/istio data\.mesh\.connectTimeout: .*at most 30s/),
      expect.stringMatching(/^mesh\.yaml:36 \[doc 0\] ConfigMap\/istio data\.mesh\.defaultConfig\.parentShutdownDuration: .*longer than drainDuration/),
    ]);
  });

  it('refuses every other ConfigMap, naming the supported one', () => {
    const r = validateManifestText('apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: forecast-settings\n  namespace: weather\ndata:\n  units: metric\n', 'cm.yaml', 'default');
    expect(r.errors.map(formatIssue)).toEqual([expect.stringMatching(/^cm\.yaml:4 \[doc 0\] ConfigMap\/forecast-settings metadata\.name: ConfigMap weather\/forecast-settings is not run by weftctl local: the one ConfigMap it takes is Istio's mesh config, istio in namespace istio-system/)]);
  });

  it('names the ConfigMap among the supported kinds when refusing another kind', () => {
    const r = validateManifestText('apiVersion: v1\nkind: Secret\nmetadata: {name: s}\n', 's.yaml', 'default');
    expect(r.errors[0]?.message).toContain('ConfigMap istio in istio-system (the mesh config)');
  });
});

describe('checkMeshConfigUnchanged', () => {
  const applied = (text: string) => validateManifestText(text, 'apply.yaml', 'default').meshConfig!;

  it('lets the running mesh config be applied again', () => {
    const running = applied(HELM_CONFIG_MAP).configMap.meshConfig;
    expect(checkMeshConfigUnchanged(applied(HELM_CONFIG_MAP.replace('    disablePolicyChecks: true\n', '    # reformatted\n    disablePolicyChecks: true\n')), running)).toBeUndefined();
    expect(checkMeshConfigUnchanged(applied('apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio, namespace: istio-system}\ndata: {mesh: ""}\n'), defaultPilotMesh())).toBeUndefined();
  });

  it('refuses a changed one at data.mesh, saying a restart is needed', () => {
    const issue = checkMeshConfigUnchanged(applied(HELM_CONFIG_MAP.replace('accessLogFile: ""', 'accessLogFile: /dev/stdout')), applied(HELM_CONFIG_MAP).configMap.meshConfig);
    expect(issue && formatIssue(issue)).toMatch(/^apply\.yaml:10 \[doc 0\] ConfigMap\/istio data\.mesh: .*`weftctl local down`, then `weftctl local up`/);
    // Without a ConfigMap at `up`, Pilot runs with Istio 1.3's defaults (access log on).
    expect(checkMeshConfigUnchanged(applied(HELM_CONFIG_MAP), defaultPilotMesh())).toBeDefined();
  });
});
