import { describe, expect, it } from 'vitest';
import { defaultMeshConfig } from './mesh-config.js';
import { validateMeshConfig } from './validate/mesh-config.js';

describe('MeshConfig', () => {
  it('defaults to Istio 1.3 code defaults', () => {
    const mesh = defaultMeshConfig();
    expect(mesh).toMatchObject({
      proxyListenPort: 15001,
      connectTimeout: '1s',
      disablePolicyChecks: true,
      enableTracing: true,
      accessLogFile: '/dev/stdout',
      rootNamespace: 'istio-system',
      outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
      defaultServiceExportTo: ['*'],
      dnsRefreshRate: '5s',
    });
    expect(mesh.defaultConfig).toMatchObject({
      configPath: '/etc/istio/proxy',
      binaryPath: '/usr/local/bin/envoy',
      serviceCluster: 'istio-proxy',
      drainDuration: '45s',
      parentShutdownDuration: '60s',
      discoveryAddress: 'istio-pilot:15010',
      proxyAdminPort: 15000,
      controlPlaneAuthPolicy: 'NONE',
      statNameLength: 189,
    });
  });

  it('returns fresh objects, so callers can mutate them', () => {
    const a = defaultMeshConfig();
    a.defaultServiceExportTo?.push('.');
    expect(defaultMeshConfig().defaultServiceExportTo).toEqual(['*']);
  });

  it('the defaults validate cleanly', () => {
    expect(validateMeshConfig({}).errors).toEqual([]);
  });

  it('merges a Helm-style mesh over the defaults, including defaultConfig', () => {
    const r = validateMeshConfig({
      connectTimeout: '10s',
      accessLogFile: '',
      mixerCheckServer: 'istio-policy.istio-system.svc.cluster.local:9091',
      defaultConfig: { discoveryAddress: 'istio-pilot.istio-system:15010', concurrency: 2 },
    });
    expect(r.errors).toEqual([]);
    expect(r.meshConfig?.connectTimeout).toBe('10s');
    expect(r.meshConfig?.defaultConfig?.drainDuration).toBe('45s');
    expect(r.meshConfig?.defaultConfig?.concurrency).toBe(2);
  });

  it('reports every invalid field with its path', () => {
    const r = validateMeshConfig({
      proxyListenPort: 70000,
      connectTimeout: '31s',
      mixerReportServer: 'istio-telemetry',
      outboundTrafficPolicy: { mode: 'DENY' },
      proxyHttpPrt: 1,
      defaultConfig: { drainDuration: '60s', parentShutdownDuration: '45s', discoveryAddress: '', tracing: { lightstep: { address: 'ls:8080' } } },
    });
    expect(r.errors.map((e) => [e.path, e.message])).toEqual([
      ['outboundTrafficPolicy.mode', expect.stringContaining('invalid value "DENY"')],
      ['proxyHttpPrt', expect.stringContaining('unknown field "proxyHttpPrt"')],
      ['mixerReportServer', expect.stringContaining('must be host:port')],
      ['proxyListenPort', expect.stringContaining('port number 70000')],
      ['connectTimeout', expect.stringContaining('must be at most 30s')],
      ['defaultConfig.parentShutdownDuration', expect.stringContaining('must be longer than drainDuration')],
      ['defaultConfig.discoveryAddress', expect.stringContaining('discoveryAddress must be set')],
      ['defaultConfig.tracing.lightstep.accessToken', expect.stringContaining('accessToken is required')],
    ]);
  });
});
