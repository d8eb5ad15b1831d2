import { describe, expect, it } from 'vitest';
import { canonicalIPv4Cidr, parseCaptureConfig, type CaptureFlags } from './capture-config.js';

const base: CaptureFlags = { proxyPort: 15001, inboundCapturePort: 15006, mode: 'REDIRECT', disableLocalLoopbackRedirect: false };

describe('parseCaptureConfig', () => {
  it('resolves the 1.3 defaults: proxy uid and root excluded, gid list = uid list, nothing captured', () => {
    const r = parseCaptureConfig(base);
    expect(r.errors).toEqual([]);
    expect(r.value).toEqual({
      proxyPort: 15001,
      inboundCapturePort: 15006,
      proxyUids: [1337, 0],
      proxyGids: [1337, 0],
      inboundPorts: [],
      inboundExcludePorts: [],
      outboundIncludeCidrs: [],
      outboundExcludeCidrs: [],
      outboundExcludePorts: [],
      kubeVirtInterfaces: [],
      redirectLocalLoopback: true,
    });
  });

  it('takes the proxy user\'s uid from the caller when -u is absent', () => {
    expect(parseCaptureConfig(base, 999).value?.proxyUids).toEqual([999, 0]);
  });

  it('parses the local platform\'s invocation', () => {
    const r = parseCaptureConfig({ ...base, proxyUid: '1337', inboundPorts: '*', inboundExcludePorts: '15090,15020,15021', outboundIncludeCidrs: '*', outboundExcludeCidrs: '' });
    expect(r.errors).toEqual([]);
    expect(r.warnings).toEqual([]);
    expect(r.value).toMatchObject({ proxyUids: [1337], proxyGids: [1337], inboundPorts: '*', inboundExcludePorts: [15090, 15020, 15021], outboundIncludeCidrs: '*', outboundExcludeCidrs: [] });
  });

  it('keeps -g apart from -u and accepts lists', () => {
    expect(parseCaptureConfig({ ...base, proxyUid: '1337,1338', proxyGid: '2000' }).value).toMatchObject({ proxyUids: [1337, 1338], proxyGids: [2000] });
  });

  it('writes CIDRs the way iptables-save prints them back', () => {
    const r = parseCaptureConfig({ ...base, outboundIncludeCidrs: '10.1.2.3/8, 172.16.0.0/12', outboundExcludeCidrs: '10.96.0.1' });
    expect(r.value).toMatchObject({ outboundIncludeCidrs: ['10.0.0.0/8', '172.16.0.0/12'], outboundExcludeCidrs: ['10.96.0.1/32'] });
  });

  it('skips IPv6 ranges with a warning naming each one', () => {
    const r = parseCaptureConfig({ ...base, outboundIncludeCidrs: 'fd00::/8,10.0.0.0/8', outboundExcludeCidrs: '::1' });
    expect(r.errors).toEqual([]);
    expect(r.value).toMatchObject({ outboundIncludeCidrs: ['10.0.0.0/8'], outboundExcludeCidrs: [] });
    expect(r.warnings.map((w) => w.path)).toEqual(['-i[0]', '-x[0]']);
    expect(r.warnings[0]?.message).toContain('fd00::/8 skipped');
  });

  it('ignores -d (with a warning) unless every inbound port is captured', () => {
    const r = parseCaptureConfig({ ...base, inboundPorts: '80,443', inboundExcludePorts: '15020' });
    expect(r.value).toMatchObject({ inboundPorts: [80, 443], inboundExcludePorts: [] });
    expect(r.warnings).toEqual([{ path: '-d', message: 'excluded inbound ports only apply when -b is "*"; ignored' }]);
  });

  it('collects every bad value with the flag it came from', () => {
    const r = parseCaptureConfig({ ...base, proxyPort: 0, mode: 'NONE', proxyUid: 'root', inboundPorts: '80,http', outboundExcludeCidrs: '10.0.0.0/33', outboundExcludePorts: '70000', kubeVirtInterfaces: 'a b' });
    expect(r.value).toBeUndefined();
    expect(r.errors.map((e) => e.path)).toEqual(['-m', '-p', '-u[0]', '-b[1]', '-x[0]', '-o[0]', '-k[0]']);
  });

  it.each([
    ['10.1.2.3', 32, '10.1.2.3/32'],
    ['10.1.2.3', 8, '10.0.0.0/8'],
    ['192.168.7.200', 25, '192.168.7.128/25'],
    ['1.2.3.4', 0, '0.0.0.0/0'],
  ])('canonicalIPv4Cidr(%s, %i) is %s', (ip, prefix, want) => {
    expect(canonicalIPv4Cidr(ip, prefix)).toBe(want);
  });
});
