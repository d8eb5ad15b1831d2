import { describe, expect, it } from 'vitest';
import { captureArgs, injectionWanted, podPlan, type PlanContext, type PodIdentity } from './pod-plan.js';

const ctx: PlanContext = {
  binaries: { node: '/usr/bin/node', pilotDiscovery: '/w/pilot-discovery.js', pilotAgent: '/w/pilot-agent.js', weftProxy: '/w/weft-proxy.js' },
  imageMaps: [{ file: '/s/local-images.yaml', images: new Map([['weft/weather-forecast', { command: ['node', 'apps/forecast.mjs'] }]]) }],
  domain: 'cluster.local',
  proxyConfigDir: '/run/weft/local/pods/weft-0123456789/proxy',
  proxyWorkDir: '/run/weft/local/pods/weft-0123456789/istio-proxy',
  readCaps: [],
  discoveryAddress: '10.244.0.1:15010',
  pilotDebugAddress: '10.244.0.1:8080',
};
const id: PodIdentity = { name: 'forecast-v1-abc', namespace: 'weather', ip: '10.244.0.9', nodeIp: '10.244.0.1', labels: { app: 'forecast', version: 'v1' }, annotations: {}, serviceAccount: 'weather-forecast', owner: 'forecast-v1' };
const container = { name: 'forecast', image: 'weft/weather-forecast:v1', env: [{ name: 'VERSION', value: 'v1' }, { name: 'POD_IP', fieldPath: 'status.podIP' }], ports: [{ name: 'http', containerPort: 3002 }] };

describe('pod plan', () => {
  it('injects as Istio does: namespace label enabled, unless the pod says false', () => {
    expect(injectionWanted({ 'istio-injection': 'enabled' }, {})).toBe(true);
    expect(injectionWanted({ 'istio-injection': 'enabled' }, { 'sidecar.istio.io/inject': 'false' })).toBe(false);
    expect(injectionWanted({}, { 'sidecar.istio.io/inject': 'true' })).toBe(false);
  });

  it('writes istio-init flags from the traffic annotations', () => {
    expect(captureArgs({}, 15020)).toEqual(['istio-iptables', '-p', '15001', '-z', '15006', '-u', '1337', '-m', 'REDIRECT', '-i', '*', '-x', '', '-b', '*', '-d', '15090,15020,15021']);
    const a = captureArgs({ 'traffic.sidecar.istio.io/excludeOutboundIPRanges': '10.0.0.0/8', 'traffic.sidecar.istio.io/excludeInboundPorts': '9000', 'traffic.sidecar.istio.io/excludeOutboundPorts': '5432' }, 15020);
    expect(a.slice(a.indexOf('-x'), a.indexOf('-x') + 2)).toEqual(['-x', '10.0.0.0/8']);
    expect(a.slice(a.indexOf('-d'))).toEqual(['-d', '15090,15020,15021,9000', '-o', '5432']);
  });

  it('runs the app as nobody with downward-API env, and the sidecar as 1337 with the injector arguments', () => {
    const { plan, errors } = podPlan(id, [container], true, ctx);
    expect(errors).toEqual([]);
    const app = plan!.containers[0]!;
    expect(app.argv).toEqual(['/usr/bin/node', 'apps/forecast.mjs']);
    expect(app.cwd).toBe('/s');
    expect(app.uid).toBe(65534);
    expect(app.env).toMatchObject({ VERSION: 'v1', POD_IP: '10.244.0.9' });
    const sc = plan!.sidecar!;
    expect(sc.uid).toBe(1337);
    // Its own working directory, not `/`: pilot-agent makes ./var/run/secrets/workload-spiffe-uds/socket below it.
    expect(sc.cwd).toBe('/run/weft/local/pods/weft-0123456789/istio-proxy');
    expect(sc.argv.slice(0, 4)).toEqual(['/usr/bin/node', '/w/pilot-agent.js', 'proxy', 'sidecar']);
    const flag = (f: string) => sc.argv[sc.argv.indexOf(f) + 1];
    expect(flag('--serviceCluster')).toBe('forecast.weather');
    expect(flag('--domain')).toBe('weather.svc.cluster.local');
    expect(flag('--discoveryAddress')).toBe('10.244.0.1:15010');
    expect(flag('--applicationPorts')).toBe('3002');
    expect(flag('--configPath')).toBe('/run/weft/local/pods/weft-0123456789/proxy');
    expect(sc.env).toMatchObject({ POD_NAME: 'forecast-v1-abc', POD_NAMESPACE: 'weather', INSTANCE_IP: '10.244.0.9', ISTIO_META_INTERCEPTION_MODE: 'REDIRECT', ISTIO_METAJSON_LABELS: '{"app":"forecast","version":"v1"}' });
    expect(plan!.capture?.slice(0, 3)).toEqual(['/usr/bin/node', '/w/pilot-agent.js', 'istio-iptables']);
  });

  it('refuses to plan a sidecar whose SDS socket path would be over the Unix limit, naming the path', () => {
    const deep = `/${'d'.repeat(60)}/pods/weft-0123456789/istio-proxy`;
    const { plan, errors } = podPlan(id, [container], true, { ...ctx, proxyWorkDir: deep });
    expect(plan).toBeUndefined();
    expect(errors).toEqual([`container istio-proxy: the sidecar's SDS socket ${deep}/var/run/secrets/workload-spiffe-uds/socket would be 137 bytes, more than the 107 a Unix socket path may have; use a shorter --state-dir`]);
    // Without a sidecar the depth does not matter.
    expect(podPlan(id, [container], false, { ...ctx, proxyWorkDir: deep }).errors).toEqual([]);
  });

  it('has no sidecar or capture when not injected, and names a container whose image is not mapped', () => {
    expect(podPlan(id, [container], false, ctx).plan).toMatchObject({ injected: false });
    expect(podPlan(id, [container], false, ctx).plan?.sidecar).toBeUndefined();
    expect(podPlan(id, [{ ...container, image: 'busybox' }], true, ctx).errors).toEqual([expect.stringMatching(/^container forecast: image busybox has no entry/)]);
  });
});
