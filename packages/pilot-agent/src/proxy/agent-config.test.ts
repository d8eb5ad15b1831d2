import { parseFlags } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { parseAgentConfig, parseAgentLogLevel, parseHostPort, proxyFlags } from './agent-config.js';

const ENV = { POD_NAME: 'web-1', POD_NAMESPACE: 'weather', INSTANCE_IP: '10.244.1.7' };

function parse(argv: string[], env: Record<string, string> = ENV) {
  const flags = parseFlags(proxyFlags, argv, env);
  if (!flags.ok) throw new Error(JSON.stringify(flags.errors));
  return parseAgentConfig(flags.flags.values, flags.flags.positionals, { env, fallbackIp: '127.0.0.1', istioVersion: '1.3.0-weft.0.1.0', proxySha: 'x' });
}

// What packages/ctl/src/local/pod-plan.ts passes.
const PLATFORM_ARGS = [
  'sidecar', '--domain', 'weather.svc.cluster.local', '--configPath', '/tmp/p', '--binaryPath', '/x/weft-proxy.js', '--serviceCluster', 'app.ns',
  '--drainDuration', '45s', '--parentShutdownDuration', '1m0s', '--discoveryAddress', '10.244.0.1:15010', '--pilotDebugAddress', '10.244.0.1:8080',
  '--proxyLogLevel', 'warning', '--connectTimeout', '10s', '--proxyAdminPort', '15000', '--controlPlaneAuthPolicy', 'NONE', '--statusPort', '15020',
  '--applicationPorts', '3002',
];

describe('parseAgentConfig', () => {
  it('takes the local platform command line', () => {
    const { config, errors } = parse(PLATFORM_ARGS);
    expect(errors).toEqual([]);
    expect(config).toMatchObject({
      role: 'sidecar',
      discovery: { host: '10.244.0.1', port: 15010 },
      pilotDebug: { host: '10.244.0.1', port: 8080 },
      drainDurationMs: 45_000,
      parentShutdownDurationMs: 60_000,
      terminationDrainDurationMs: 5000,
      connectTimeoutMs: 10_000,
      statusPort: 15020,
      readinessPort: 15021,
      prometheusPort: 15090,
      proxyAdminPort: 15000,
      proxyLogLevel: 'warning',
      configPath: '/tmp/p',
      binaryPath: '/x/weft-proxy.js',
      applicationPorts: [3002],
      agentLogLevel: 'info',
      notEnforced: [],
    });
    expect(config?.node.id).toBe('sidecar~10.244.1.7~web-1.weather~weather.svc.cluster.local');
    expect(config?.node.cluster).toBe('app.ns');
  });

  it('has Istio 1.3 defaults', () => {
    const { config } = parse(['router']);
    expect(config).toMatchObject({ role: 'router', discovery: { host: 'istio-pilot', port: 15010 }, pilotDebug: { host: 'istio-pilot', port: 8080 }, concurrency: 0, configPath: '/etc/istio/proxy' });
    expect(config?.node.cluster).toBe('istio-proxy');
  });

  it('reads TERMINATION_DRAIN_DURATION_SECONDS when the flag is absent', () => {
    expect(parse(['sidecar'], { ...ENV, TERMINATION_DRAIN_DURATION_SECONDS: '12' }).config?.terminationDrainDurationMs).toBe(12_000);
    expect(parse(['sidecar', '--terminationDrainDuration', '1s'], { ...ENV, TERMINATION_DRAIN_DURATION_SECONDS: '12' }).config?.terminationDrainDurationMs).toBe(1000);
    expect(parse(['sidecar'], { ...ENV, TERMINATION_DRAIN_DURATION_SECONDS: '5s' }).errors.map((e) => e.code)).toEqual(['WEFT_AGENT_PROXY_BAD_ENV']);
  });

  it('lists observability flags it does not enforce', () => {
    expect(parse(['sidecar', '--zipkinAddress', 'zipkin:9411', '--statNameLength', '189']).config?.notEnforced).toEqual(['zipkinAddress', 'statNameLength']);
  });

  it.each<[string, string[], string, RegExp]>([
    ['no role', [], 'WEFT_AGENT_PROXY_NO_ROLE', /no proxy role/],
    ['unknown role', ['ingress'], 'WEFT_AGENT_PROXY_BAD_ROLE', /"ingress" \(allowed: sidecar, router\)/],
    ['two roles', ['sidecar', 'router'], 'WEFT_AGENT_PROXY_BAD_ROLE', /sidecar router/],
    ['MUTUAL_TLS', ['sidecar', '--controlPlaneAuthPolicy', 'MUTUAL_TLS'], 'WEFT_AGENT_PROXY_AUTH_POLICY', /only NONE/],
    ['address without port', ['sidecar', '--discoveryAddress', 'istio-pilot'], 'WEFT_AGENT_PROXY_BAD_FLAG', /--discoveryAddress: "istio-pilot" is not host:port/],
    ['bad debug address', ['sidecar', '--pilotDebugAddress', 'x:99999'], 'WEFT_AGENT_PROXY_BAD_FLAG', /--pilotDebugAddress/],
    ['port out of range', ['sidecar', '--statusPort', '70000'], 'WEFT_AGENT_PROXY_BAD_FLAG', /--statusPort: port 70000/],
    ['admin port 0', ['sidecar', '--proxyAdminPort', '0'], 'WEFT_AGENT_PROXY_BAD_FLAG', /--proxyAdminPort/],
    ['port clash', ['sidecar', '--statusPort', '15000'], 'WEFT_AGENT_PROXY_BAD_FLAG', /also --proxyAdminPort/],
    ['proxy log level', ['sidecar', '--proxyLogLevel', 'loud'], 'WEFT_AGENT_PROXY_BAD_FLAG', /unknown level "loud"/],
    ['agent log level', ['sidecar', '--log_output_level', 'default:chatty'], 'WEFT_AGENT_PROXY_BAD_FLAG', /--log_output_level/],
    ['negative concurrency', ['sidecar', '--concurrency', '-1'], 'WEFT_AGENT_PROXY_BAD_FLAG', /--concurrency/],
    ['bad application port', ['sidecar', '--applicationPorts', '80,http'], 'WEFT_AGENT_PROXY_BAD_FLAG', /"http" is not a port/],
  ])('refuses %s', (_name, argv, code, message) => {
    const { config, errors } = parse(argv);
    expect(config).toBeUndefined();
    expect(errors.map((e) => e.code)).toContain(code);
    expect(errors.map((e) => e.message).join('\n')).toMatch(message);
  });

  it('collects every problem at once', () => {
    const { errors } = parse(['foo', '--controlPlaneAuthPolicy', 'MUTUAL_TLS', '--statusPort', '-1'], {});
    expect(errors.map((e) => e.code)).toEqual(['WEFT_AGENT_PROXY_BAD_ROLE', 'WEFT_AGENT_PROXY_AUTH_POLICY', 'WEFT_AGENT_PROXY_BAD_FLAG', 'WEFT_AGENT_PROXY_IDENTITY', 'WEFT_AGENT_PROXY_IDENTITY']);
  });
});

describe('parseHostPort', () => {
  it.each([
    ['istio-pilot.istio-system:15010', { host: 'istio-pilot.istio-system', port: 15010 }],
    ['10.0.0.1:8080', { host: '10.0.0.1', port: 8080 }],
    ['[::1]:15010', { host: '::1', port: 15010 }],
    ['istio-pilot', undefined],
    [':15010', undefined],
    ['h:0', undefined],
    ['[nope]:1', undefined],
  ])('%s', (text, want) => expect(parseHostPort(text)).toEqual(want));
});

describe('parseAgentLogLevel', () => {
  it.each([
    ['default:info', 'info'],
    ['debug', 'debug'],
    ['ads:debug,default:warn', 'warn'],
    ['model:debug', 'debug'],
    ['default:none', 'silent'],
    ['default:loud', undefined],
    ['', undefined],
  ])('%s → %s', (text, want) => expect(parseAgentLogLevel(text)).toBe(want));
});
