import { describe, expect, it } from 'vitest';
import { hostsFile } from './hosts-file.js';

describe('hosts file', () => {
  it('maps Kubernetes names to VIPs, the short name only in the same namespace', () => {
    const text = hostsFile({ name: 'frontend-v1-abc', namespace: 'weather', ip: '10.244.0.5' }, [
      { ip: '10.96.0.11', name: 'forecast', namespace: 'weather' },
      { ip: '10.96.0.2', name: 'istio-ingressgateway', namespace: 'istio-system' },
    ], 'cluster.local');
    const lines = text.trim().split('\n');
    expect(lines).toContain('10.244.0.5\tfrontend-v1-abc');
    expect(lines).toContain('127.0.0.1\tlocalhost');
    expect(lines).toContain('10.96.0.11\tforecast.weather.svc.cluster.local forecast.weather.svc forecast.weather forecast');
    expect(lines).toContain('10.96.0.2\tistio-ingressgateway.istio-system.svc.cluster.local istio-ingressgateway.istio-system.svc istio-ingressgateway.istio-system');
  });
});
