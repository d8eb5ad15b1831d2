import { describe, expect, it } from 'vitest';
import { advertisedFlags, binaryCandidates, proxyArgs, proxyCommand, type LaunchInputs } from './proxy-launch.js';

const NODE = { id: 'sidecar~10.0.0.1~p.ns~ns.svc.cluster.local', ip: '10.0.0.1', cluster: 'app.ns', metadata: {} };
const LAUNCH: LaunchInputs = { node: NODE, drainDurationMs: 45_000, parentShutdownDurationMs: 60_000, proxyLogLevel: 'warning', concurrency: 0 };
const ENVOY = new Set(['config-path', 'restart-epoch', 'drain-time-s', 'parent-shutdown-time-s', 'service-cluster', 'service-node', 'log-level', 'concurrency']);

describe('proxy launch', () => {
  it('runs a .js proxy with node and anything else directly', () => {
    expect(proxyCommand('/r/packages/proxy/bin/weft-proxy.js', '/usr/bin/node')).toEqual({ file: '/usr/bin/node', prefix: ['--max-semi-space-size=4', '/r/packages/proxy/bin/weft-proxy.js'] });
    expect(proxyCommand('/usr/local/bin/weft-proxy', '/usr/bin/node')).toEqual({ file: '/usr/local/bin/weft-proxy', prefix: [] });
  });

  it('looks on PATH, then next to pilot-agent', () => {
    expect(binaryCandidates('/usr/local/bin:/usr/bin', ['/app/node_modules/.bin', '/usr/bin'])).toEqual(['/usr/local/bin/weft-proxy', '/usr/bin/weft-proxy', '/app/node_modules/.bin/weft-proxy']);
  });

  it("passes Istio's Envoy command line to a proxy that takes every flag", () => {
    expect(proxyArgs({ ...LAUNCH, concurrency: 2 }, '/etc/istio/proxy/envoy-rev0.json', 0, ENVOY).args).toEqual([
      '-c', '/etc/istio/proxy/envoy-rev0.json', '--restart-epoch', '0', '--drain-time-s', '45', '--parent-shutdown-time-s', '60',
      '--service-cluster', 'app.ns', '--service-node', NODE.id, '-l', 'warning', '--concurrency', '2',
    ]);
  });

  it('leaves out --concurrency at 0 and rounds durations up to seconds', () => {
    const { args } = proxyArgs({ ...LAUNCH, drainDurationMs: 1500 }, 'b.json', 0, ENVOY);
    expect(args).not.toContain('--concurrency');
    expect(args.slice(args.indexOf('--drain-time-s'), args.indexOf('--drain-time-s') + 2)).toEqual(['--drain-time-s', '2']);
  });

  it('passes only what the proxy advertises, but always the bootstrap', () => {
    const help = 'Flags:\n  -c, --config-path string   Envoy v3 bootstrap\n  -l, --log-level string\n      --drain-time-s int\n      --service-node string\n  -h, --help\n';
    const accepted = advertisedFlags(help);
    expect([...accepted].sort()).toEqual(['config-path', 'drain-time-s', 'help', 'log-level', 'service-node']);
    const { args, omitted } = proxyArgs(LAUNCH, 'b.json', 0, new Set(['drain-time-s']));
    expect(args).toEqual(['-c', 'b.json', '--drain-time-s', '45']);
    expect(omitted).toEqual(['restart-epoch', 'parent-shutdown-time-s', 'service-cluster', 'service-node', 'log-level']);
  });
});
