import { describe, expect, it } from 'vitest';
import { serviceEntry, workloadEntry } from './registry-entries.js';

const forecast = { name: 'forecast', namespace: 'weather', vip: '10.96.0.10', selector: { app: 'forecast' }, ports: [{ name: 'http', port: 3002, targetPort: 'http' }], annotations: {} };

describe('registry entries', () => {
  it('makes a Service a MESH_INTERNAL STATIC ServiceEntry selecting its pods', () => {
    expect(serviceEntry(forecast, 'cluster.local')).toEqual({
      apiVersion: 'networking.istio.io/v1alpha3',
      kind: 'ServiceEntry',
      metadata: { name: 'kube-svc-forecast', namespace: 'weather', labels: { 'weft.local/registry': 'kubernetes' } },
      spec: { hosts: ['forecast.weather.svc.cluster.local'], addresses: ['10.96.0.10'], ports: [{ number: 3002, name: 'http', protocol: 'HTTP' }], location: 'MESH_INTERNAL', resolution: 'STATIC', workloadSelector: { labels: { app: 'forecast' } } },
    });
    const tcp = serviceEntry({ ...forecast, ports: [{ name: '', port: 9000, targetPort: 9000 }] }, 'cluster.local') as any;
    expect(tcp.spec.ports).toEqual([{ number: 9000, name: 'port-9000', protocol: 'TCP' }]);
  });

  it('makes a pod a WorkloadEntry with its target ports by Service port name', () => {
    const pod = { name: 'forecast-v1-x', namespace: 'weather', ip: '10.244.0.7', labels: { app: 'forecast', version: 'v1' }, serviceAccount: 'weather-forecast', containerPorts: [{ name: 'http', containerPort: 3102 }] };
    expect((workloadEntry(pod, [forecast]) as any).spec).toEqual({ address: '10.244.0.7', labels: { app: 'forecast', version: 'v1' }, serviceAccount: 'weather-forecast', ports: { http: 3102 } });
  });
});
