import { describe, expect, it } from 'vitest';
import type { CaptureConfig } from './capture-config.js';
import { captureRules, natTransaction } from './capture-rules.js';

const none: CaptureConfig = {
  proxyPort: 15001,
  inboundCapturePort: 15006,
  proxyUids: [1337],
  proxyGids: [1337],
  inboundPorts: [],
  inboundExcludePorts: [],
  outboundIncludeCidrs: [],
  outboundExcludeCidrs: [],
  outboundExcludePorts: [],
  kubeVirtInterfaces: [],
  redirectLocalLoopback: true,
};

describe('captureRules', () => {
  it('writes the injector\'s capture-everything rules in Istio 1.3 order', () => {
    const r = captureRules({ ...none, inboundPorts: '*', inboundExcludePorts: [15090, 15020, 15021], outboundIncludeCidrs: '*' });
    expect(r.chains).toEqual(['ISTIO_INBOUND', 'ISTIO_REDIRECT', 'ISTIO_IN_REDIRECT', 'ISTIO_OUTPUT']);
    expect(r.rules).toEqual([
      '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001',
      '-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15006',
      '-A PREROUTING -p tcp -j ISTIO_INBOUND',
      '-A ISTIO_INBOUND -p tcp -m tcp --dport 22 -j RETURN',
      '-A ISTIO_INBOUND -p tcp -m tcp --dport 15090 -j RETURN',
      '-A ISTIO_INBOUND -p tcp -m tcp --dport 15020 -j RETURN',
      '-A ISTIO_INBOUND -p tcp -m tcp --dport 15021 -j RETURN',
      '-A ISTIO_INBOUND -p tcp -j ISTIO_IN_REDIRECT',
      '-A OUTPUT -p tcp -j ISTIO_OUTPUT',
      '-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN',
      '-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN',
      '-A ISTIO_OUTPUT -j ISTIO_REDIRECT',
    ]);
  });

  it('without -b and -i creates no inbound chain and redirects nothing outbound; ISTIO_IN_REDIRECT targets -p', () => {
    const r = captureRules({ ...none, proxyUids: [1337, 0], proxyGids: [1337, 0] });
    expect(r.chains).toEqual(['ISTIO_REDIRECT', 'ISTIO_IN_REDIRECT', 'ISTIO_OUTPUT']);
    expect(r.rules).toEqual([
      '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001',
      '-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15001',
      '-A OUTPUT -p tcp -j ISTIO_OUTPUT',
      '-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN',
      '-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --uid-owner 0 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --gid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --gid-owner 0 -j RETURN',
      '-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN',
    ]);
  });

  it('captures listed inbound ports and CIDRs, with exclusions first and a final RETURN', () => {
    const r = captureRules({
      ...none,
      proxyGids: [2000],
      inboundPorts: [9080, 9443],
      outboundIncludeCidrs: ['10.0.0.0/8', '172.16.0.0/12'],
      outboundExcludeCidrs: ['10.96.0.1/32'],
      outboundExcludePorts: [3306, 5432],
    });
    expect(r.rules).toEqual([
      '-A ISTIO_REDIRECT -p tcp -j REDIRECT --to-ports 15001',
      '-A ISTIO_IN_REDIRECT -p tcp -j REDIRECT --to-ports 15001',
      '-A PREROUTING -p tcp -j ISTIO_INBOUND',
      '-A ISTIO_INBOUND -p tcp -m tcp --dport 9080 -j ISTIO_IN_REDIRECT',
      '-A ISTIO_INBOUND -p tcp -m tcp --dport 9443 -j ISTIO_IN_REDIRECT',
      '-A OUTPUT -p tcp -j ISTIO_OUTPUT',
      '-A ISTIO_OUTPUT -p tcp -m tcp --dport 3306 -j RETURN',
      '-A ISTIO_OUTPUT -p tcp -m tcp --dport 5432 -j RETURN',
      '-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN',
      '-A ISTIO_OUTPUT ! -d 127.0.0.1/32 -o lo -j ISTIO_IN_REDIRECT',
      '-A ISTIO_OUTPUT -m owner --uid-owner 1337 -j RETURN',
      '-A ISTIO_OUTPUT -m owner --gid-owner 2000 -j RETURN',
      '-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN',
      '-A ISTIO_OUTPUT -d 10.96.0.1/32 -j RETURN',
      '-A ISTIO_OUTPUT -d 10.0.0.0/8 -j ISTIO_REDIRECT',
      '-A ISTIO_OUTPUT -d 172.16.0.0/12 -j ISTIO_REDIRECT',
      '-A ISTIO_OUTPUT -j RETURN',
    ]);
  });

  it('sends KubeVirt interfaces\' traffic to ISTIO_REDIRECT from the top of PREROUTING', () => {
    const all = captureRules({ ...none, outboundIncludeCidrs: '*', kubeVirtInterfaces: ['vm0'] });
    expect(all.rules.slice(-4)).toEqual([
      '-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN',
      '-I PREROUTING 1 -i vm0 -j RETURN',
      '-A ISTIO_OUTPUT -j ISTIO_REDIRECT',
      '-I PREROUTING 1 -i vm0 -j ISTIO_REDIRECT',
    ]);
    const listed = captureRules({ ...none, outboundIncludeCidrs: ['10.0.0.0/8'], kubeVirtInterfaces: ['vm0', 'vm1'] });
    expect(listed.rules.slice(-7)).toEqual([
      '-A ISTIO_OUTPUT -d 127.0.0.1/32 -j RETURN',
      '-I PREROUTING 1 -i vm0 -j RETURN',
      '-I PREROUTING 1 -i vm1 -j RETURN',
      '-I PREROUTING 1 -d 10.0.0.0/8 -i vm0 -j ISTIO_REDIRECT',
      '-I PREROUTING 1 -d 10.0.0.0/8 -i vm1 -j ISTIO_REDIRECT',
      '-A ISTIO_OUTPUT -d 10.0.0.0/8 -j ISTIO_REDIRECT',
      '-A ISTIO_OUTPUT -j RETURN',
    ]);
  });

  it('drops the loopback redirect when DISABLE_REDIRECTION_ON_LOCAL_LOOPBACK is set', () => {
    const r = captureRules({ ...none, redirectLocalLoopback: false });
    expect(r.rules.some((x) => x.includes('-o lo -j ISTIO_IN_REDIRECT'))).toBe(false);
    expect(r.rules).toContain('-A ISTIO_OUTPUT -s 127.0.0.6/32 -o lo -j RETURN');
  });
});

describe('natTransaction', () => {
  it('puts removals before the chain declarations and rules, in one *nat … COMMIT block', () => {
    const text = natTransaction(['-D OUTPUT -p tcp -j ISTIO_OUTPUT', '-F ISTIO_OUTPUT', '-X ISTIO_OUTPUT'], { chains: ['ISTIO_OUTPUT'], rules: ['-A OUTPUT -p tcp -j ISTIO_OUTPUT'] });
    expect(text).toBe('*nat\n-D OUTPUT -p tcp -j ISTIO_OUTPUT\n-F ISTIO_OUTPUT\n-X ISTIO_OUTPUT\n:ISTIO_OUTPUT - [0:0]\n-A OUTPUT -p tcp -j ISTIO_OUTPUT\nCOMMIT\n');
  });

  it('holds only removals when nothing is added (clean)', () => {
    expect(natTransaction(['-F ISTIO_OUTPUT'])).toBe('*nat\n-F ISTIO_OUTPUT\nCOMMIT\n');
  });
});
