import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadFileSecret, type FileSecretName } from './file-secret.js';

const cert = (certPath: string, keyPath: string): FileSecretName => ({ kind: 'file-cert', name: `file-cert:${certPath}~${keyPath}`, certPath, keyPath });
const root = (caPath: string): FileSecretName => ({ kind: 'file-root', name: `file-root:${caPath}`, caPath });

describe.skipIf(!hasOpenssl())('loadFileSecret', () => {
  let pki: TestPki;
  let ca: KeyPair, a: KeyPair, b: KeyPair;
  let dir: string;

  beforeAll(() => {
    pki = new TestPki();
    ca = pki.ca('Test Root');
    a = pki.leaf(ca, 'a.example.com');
    b = pki.leaf(ca, 'b.example.com');
    dir = mkdtempSync(join(tmpdir(), 'weft-file-secret-'));
  });
  afterAll(() => {
    pki?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('makes a tls_certificate with the PEMs inline', () => {
    const r = loadFileSecret(cert(a.certPath, a.keyPath));
    if (!r.ok) throw new Error(r.reason);
    const m = r.secret.message as { name: string; tls_certificate: { certificate_chain: { inline_bytes: Buffer }; private_key: { inline_bytes: Buffer } } };
    expect(m.name).toBe(`file-cert:${a.certPath}~${a.keyPath}`);
    expect(m.tls_certificate.certificate_chain.inline_bytes.toString()).toBe(a.cert);
    expect(m.tls_certificate.private_key.inline_bytes.toString()).toBe(a.key);
  });

  it('accepts a chain (leaf first, then the CA)', () => {
    const chain = join(dir, 'chain.pem');
    writeFileSync(chain, a.cert + ca.cert);
    expect(loadFileSecret(cert(chain, a.keyPath)).ok).toBe(true);
  });

  it('makes a validation_context with trusted_ca inline', () => {
    const r = loadFileSecret(root(ca.certPath));
    if (!r.ok) throw new Error(r.reason);
    expect((r.secret.message as { validation_context: { trusted_ca: { inline_bytes: Buffer } } }).validation_context.trusted_ca.inline_bytes.toString()).toBe(ca.cert);
  });

  it('versions by content: the same PEMs, the same version; new PEMs, a new one', () => {
    const v = (s: FileSecretName) => {
      const r = loadFileSecret(s);
      return r.ok ? r.secret.version : r.reason;
    };
    const c = join(dir, 'v-cert.pem');
    const k = join(dir, 'v-key.pem');
    copyFileSync(a.certPath, c);
    copyFileSync(a.keyPath, k);
    const first = v(cert(c, k));
    expect(v(cert(c, k))).toBe(first);
    copyFileSync(b.certPath, c);
    copyFileSync(b.keyPath, k);
    expect(v(cert(c, k))).not.toBe(first);
    expect(v(cert(c, k))).toMatch(/^[0-9a-f]{16}$/);
  });

  it('refuses a key that does not match the certificate, naming the key file', () => {
    expect(loadFileSecret(cert(a.certPath, b.keyPath))).toEqual({ ok: false, path: b.keyPath, reason: `the private key does not match the certificate in ${a.certPath}` });
  });

  it('refuses a missing file with its path and errno code', () => {
    const missing = join(dir, 'missing.pem');
    expect(loadFileSecret(cert(missing, a.keyPath))).toEqual({ ok: false, path: missing, reason: 'cannot read the file (ENOENT)' });
    expect(loadFileSecret(root(missing))).toMatchObject({ ok: false, path: missing });
  });

  it('refuses files that are not PEM certificates or keys', () => {
    const junk = join(dir, 'junk.pem');
    writeFileSync(junk, 'not a certificate\n');
    expect(loadFileSecret(cert(junk, a.keyPath))).toMatchObject({ ok: false, path: junk, reason: expect.stringMatching(/no PEM certificate/) });
    expect(loadFileSecret(root(junk))).toMatchObject({ ok: false, path: junk, reason: expect.stringMatching(/no PEM certificate/) });
    expect(loadFileSecret(cert(a.certPath, junk))).toMatchObject({ ok: false, path: junk, reason: expect.stringMatching(/not a usable PEM private key/) });
    const broken = join(dir, 'broken.pem');
    writeFileSync(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    expect(loadFileSecret(root(broken))).toMatchObject({ ok: false, path: broken, reason: expect.stringMatching(/certificate 1 of the file does not parse/) });
  });
});
