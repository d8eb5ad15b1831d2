import { describe, expect, it } from 'vitest';
import { parseSecretName, secretFiles } from './secret-names.js';

describe('parseSecretName', () => {
  it("reads Istio's file-cert:<cert>~<key> and file-root:<ca>", () => {
    expect(parseSecretName('file-cert:/etc/istio/gw/cert.pem~/etc/istio/gw/key.pem')).toEqual({ kind: 'file-cert', name: 'file-cert:/etc/istio/gw/cert.pem~/etc/istio/gw/key.pem', certPath: '/etc/istio/gw/cert.pem', keyPath: '/etc/istio/gw/key.pem' });
    expect(parseSecretName('file-root:/etc/istio/gw/ca.pem')).toEqual({ kind: 'file-root', name: 'file-root:/etc/istio/gw/ca.pem', caPath: '/etc/istio/gw/ca.pem' });
  });

  it('lists the files a name reads', () => {
    const cert = parseSecretName('file-cert:/a/c.pem~/a/k.pem');
    const root = parseSecretName('file-root:/a/ca.pem');
    if (cert.kind !== 'file-cert' || root.kind !== 'file-root') throw new Error('not served');
    expect(secretFiles(cert)).toEqual(['/a/c.pem', '/a/k.pem']);
    expect(secretFiles(root)).toEqual(['/a/ca.pem']);
  });

  it.each([
    ['default', /workload certificate needs Citadel/],
    ['ROOTCA', /mesh root certificate needs Citadel/],
    ['file-root:system', /operating system CA bundle/],
    ['kubernetes://istio-system/gw-cert', /only file-cert:<certPath>~<keyPath> and file-root:<caPath> are served/],
  ])('leaves %s unserved', (name, reason) => {
    const p = parseSecretName(name);
    expect(p.kind).toBe('unserved');
    expect(p.kind === 'unserved' && p.reason).toMatch(reason);
  });

  it.each([
    ['file-cert:/a/cert.pem', /one "~"/],
    ['file-cert:/a/c~/b/k~/c/x', /one "~"/],
    ['file-cert:cert.pem~/a/key.pem', /certificate path "cert.pem" is not absolute/],
    ['file-cert:/a/cert.pem~../key.pem', /private key path "..\/key.pem" is not absolute/],
    ['file-cert:/a/cert.pem~', /private key path is empty/],
    ['file-root:', /CA certificate path is empty/],
    ['file-root:./ca.pem', /not absolute/],
    ['file-root:/a/ca.pem~/b', /without "~"/],
  ])('refuses the malformed %s', (name, reason) => {
    const p = parseSecretName(name);
    expect(p.kind).toBe('invalid');
    expect(p.kind === 'invalid' && p.reason).toMatch(reason);
  });
});
