// Downstream and upstream TLS contexts compiled from config, with real certificates from openssl:
// what is accepted, what is refused and with which path, and what SDS names turn into.
import { createHash, X509Certificate } from 'node:crypto';
import { IssueCollector } from '@weft/base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileDownstreamTlsContext } from '../src/tls/downstream-tls-context.js';
import type { DownstreamTlsContextConfig } from '../src/tls/tls-config.js';
import { compileUpstreamTlsContext } from '../src/tls/upstream-tls-context.js';
import { hasOpenssl, TestPki, type KeyPair } from '@weft/testing';

const sds = (name: string) => ({ name, sds_config: { ads: {} } });

describe.skipIf(!hasOpenssl())('TLS contexts', () => {
  let pki: TestPki;
  let ca: KeyPair, a: KeyPair, b: KeyPair;
  beforeAll(() => {
    pki = new TestPki();
    ca = pki.ca('Context Test CA');
    a = pki.leaf(ca, 'a.example.com');
    b = pki.leaf(ca, 'b.example.com');
  });
  afterAll(() => pki.dispose());

  const certificate = (k: KeyPair) => ({ certificate_chain: { filename: k.certPath }, private_key: { inline_string: k.key } });

  function downstream(ctx: DownstreamTlsContextConfig) {
    const issues = new IssueCollector('ctx');
    const value = compileDownstreamTlsContext(ctx, issues);
    return { value, errors: issues.errors.map((e) => `${e.path}: ${e.message}`) };
  }

  it('builds server options: certificate, ALPN, versions, ciphers (TLS 1.3 suites kept)', () => {
    const { value, errors } = downstream({
      common_tls_context: {
        tls_certificates: [certificate(a)],
        alpn_protocols: ['h2', 'http/1.1'],
        tls_params: { tls_minimum_protocol_version: 'TLSv1_2', tls_maximum_protocol_version: 'TLSv1_3', cipher_suites: ['[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]', 'ECDHE-ECDSA-AES256-GCM-SHA384'] },
      },
    });
    expect(errors).toEqual([]);
    expect(value?.serverOptions).toMatchObject({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3', ALPNProtocols: ['h2', 'http/1.1'], requestCert: false });
    expect(value?.serverOptions.ciphers).toBe('TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES256-GCM-SHA384');
  });

  it('requests client certificates when there is a validation context, and requires them when asked', () => {
    const validation = { validation_context: { trusted_ca: { inline_string: ca.cert } } };
    expect(downstream({ common_tls_context: { tls_certificates: [certificate(a)], ...validation } }).value).toMatchObject({ requireClientCertificate: false, serverOptions: { requestCert: true } });
    expect(downstream({ common_tls_context: { tls_certificates: [certificate(a)], ...validation }, require_client_certificate: { value: true } }).value).toMatchObject({ requireClientCertificate: true });
  });

  it.each<[string, DownstreamTlsContextConfig, string]>([
    ['no certificate', { common_tls_context: {} }, 'ctx.common_tls_context.tls_certificates: a server needs at least one certificate'],
    ['a missing file', { common_tls_context: { tls_certificates: [{ certificate_chain: { filename: '/no/such.pem' }, private_key: { inline_string: 'k' } }] } }, 'ctx.common_tls_context.tls_certificates[0].certificate_chain.filename: cannot read /no/such.pem: ENOENT'],
    ['an environment variable', { common_tls_context: { tls_certificates: [{ certificate_chain: { environment_variable: 'CERT' }, private_key: { inline_string: 'k' } }] } }, 'ctx.common_tls_context.tls_certificates[0].certificate_chain.environment_variable: environment_variable data sources are not supported'],
    ['required client certificates without a CA', { common_tls_context: { tls_certificates: [] }, require_client_certificate: { value: true } }, 'ctx.require_client_certificate: requiring client certificates needs validation_context.trusted_ca'],
    ['inverted versions', { common_tls_context: { tls_params: { tls_minimum_protocol_version: 'TLSv1_3', tls_maximum_protocol_version: 'TLSv1_2' } } }, 'ctx.common_tls_context.tls_params: tls_minimum_protocol_version TLSv1.3 is above tls_maximum_protocol_version TLSv1.2'],
  ])('refuses %s, naming the path', (_name, ctx, message) => {
    const { value, errors } = downstream(ctx);
    expect(value).toBeUndefined();
    expect(errors.some((e) => e.startsWith(message))).toBe(true);
  });

  it.each<[string, () => DownstreamTlsContextConfig, string]>([
    ['an SDS certificate', () => ({ common_tls_context: { tls_certificate_sds_secret_configs: [sds('kubernetes://web')] } }), '"kubernetes://web"'],
    ['an SDS CA', () => ({ common_tls_context: { tls_certificates: [certificate(a)], combined_validation_context: { validation_context_sds_secret_config: sds('ROOTCA') } } }), '"ROOTCA"'],
  ])('accepts %s but, without a secret manager, marks the chain unavailable', (_name, ctx, secret) => {
    const { value, errors } = downstream(ctx());
    expect(errors).toEqual([]);
    expect(value?.unavailable).toBe(`no secret manager: the filter chain needs SDS secret(s) ${secret}`);
  });

  it('refuses a key that does not belong to the certificate', () => {
    const { value, errors } = downstream({ common_tls_context: { tls_certificates: [{ certificate_chain: { inline_string: a.cert }, private_key: { inline_string: b.key } }] } });
    expect(value).toBeUndefined();
    expect(errors[0]).toMatch(/^ctx\.common_tls_context: invalid TLS material or parameters: /);
  });

  describe('PEM material Node would take silently (Envoy: "Failed to load ... from <path>")', () => {
    const upstreamErrors = (validation: Record<string, unknown>) => {
      const issues = new IssueCollector('ctx');
      const value = compileUpstreamTlsContext({ common_tls_context: validation }, issues);
      return { value, errors: issues.errors.map((e) => `${e.path}: ${e.message}`) };
    };
    const brokenCert = () => a.cert.replace(/\n[A-Za-z0-9+/]{12}/, '\n!!!!!!!!!!!!');
    const vc = 'ctx.common_tls_context.validation_context.trusted_ca';

    it.each<[string, () => Record<string, unknown>, () => string]>([
      ['inline text', () => ({ inline_string: 'not a certificate' }), () => `${vc}: failed to load trusted CA certificates from <inline>: no PEM certificate`],
      ['garbage inline bytes', () => ({ inline_bytes: new Uint8Array([0x30, 0x82, 1, 2, 3]) }), () => `${vc}: failed to load trusted CA certificates from <inline>: no PEM certificate`],
      ['a file holding only a private key', () => ({ filename: ca.keyPath }), () => `${vc}: failed to load trusted CA certificates from ${ca.keyPath}: no PEM certificate`],
      ['a certificate with broken base64', () => ({ inline_string: brokenCert() }), () => `${vc}: failed to load trusted CA certificates from <inline>: certificate 1 does not parse`],
      ['a certificate without its END line', () => ({ inline_string: ca.cert.replace(/-----END CERTIFICATE-----\s*$/, '') }), () => `${vc}: failed to load trusted CA certificates from <inline>: a PEM block has no END line`],
    ])('NACKs a trusted_ca of %s with its path', (_name, trustedCa, message) => {
      const { value, errors } = upstreamErrors({ validation_context: { trusted_ca: trustedCa() } });
      expect(value).toBeUndefined();
      expect(errors).toHaveLength(1);
      expect(errors[0]?.startsWith(message())).toBe(true);
    });

    it('NACKs a trusted_ca of garbage in combined_validation_context.default_validation_context too', () => {
      const { errors } = upstreamErrors({ combined_validation_context: { default_validation_context: { trusted_ca: { inline_string: 'junk' } }, validation_context_sds_secret_config: sds('ROOTCA') } });
      expect(errors).toEqual(['ctx.common_tls_context.combined_validation_context.default_validation_context.trusted_ca: failed to load trusted CA certificates from <inline>: no PEM certificate']);
    });

    it('takes an empty trusted_ca as no CA configured, as Envoy does', () => {
      const { value, errors } = upstreamErrors({ validation_context: { trusted_ca: { inline_string: '' } } });
      expect(errors).toEqual([]);
      expect(value?.kind).toBe('tls');
    });

    it('accepts a CA bundle of several certificates with text between them, as OpenSSL reads it', () => {
      const { value, errors } = upstreamErrors({ validation_context: { trusted_ca: { inline_string: `# bundle\n${ca.cert}\nsubject=other\n${a.cert}` } } });
      expect(errors).toEqual([]);
      expect(value?.kind).toBe('tls');
    });

    const tc = 'ctx.common_tls_context.tls_certificates[0]';
    it.each<[string, () => Record<string, unknown>, () => string]>([
      ['an empty certificate_chain', () => ({ certificate_chain: { inline_string: '' }, private_key: { inline_string: a.key } }), () => `${tc}.certificate_chain: failed to load certificate chain from <inline>: no PEM certificate`],
      ['a certificate_chain holding a key', () => ({ certificate_chain: { filename: a.keyPath }, private_key: { inline_string: a.key } }), () => `${tc}.certificate_chain: failed to load certificate chain from ${a.keyPath}: no PEM certificate`],
      ['an empty private_key', () => ({ certificate_chain: { inline_string: a.cert }, private_key: { inline_string: '' } }), () => `${tc}.private_key: failed to load private key from <inline>: no PEM private key`],
      ['a private_key holding a certificate', () => ({ certificate_chain: { inline_string: a.cert }, private_key: { filename: a.certPath } }), () => `${tc}.private_key: failed to load private key from ${a.certPath}: no PEM private key`],
      ['a private_key with broken base64', () => ({ certificate_chain: { inline_string: a.cert }, private_key: { inline_string: a.key.replace(/\n[A-Za-z0-9+/]{12}/, '\n!!!!!!!!!!!!') } }), () => `${tc}.private_key: failed to load private key from <inline>: the key does not parse`],
    ])('NACKs %s with its path', (_name, cert, message) => {
      const { value, errors } = downstream({ common_tls_context: { tls_certificates: [cert()] } });
      expect(value).toBeUndefined();
      expect(errors.some((e) => e.startsWith(message()))).toBe(true);
    });
  });

  describe('upstream', () => {
    it('sends the configured SNI only, verifies the CA, and checks SANs and pins', () => {
      const der = new X509Certificate(a.cert).raw;
      const hash = createHash('sha256').update(der).digest('hex');
      const issues = new IssueCollector('ctx');
      const t = compileUpstreamTlsContext({ common_tls_context: { validation_context: { trusted_ca: { filename: ca.certPath }, verify_certificate_hash: [hash.toUpperCase()], match_subject_alt_names: [{ match_pattern: 'exact', exact: 'a.example.com', ignore_case: false }] } } }, issues);
      expect(issues.errors).toEqual([]);
      if (t?.kind !== 'tls') throw new Error('expected TLS');
      expect(t.options).toMatchObject({ servername: '', rejectUnauthorized: true });
      const peer = { raw: der, subjectaltname: 'DNS:a.example.com' };
      expect(t.options.checkServerIdentity?.('ignored', peer as never)).toBeUndefined();
      expect(t.options.checkServerIdentity?.('ignored', { raw: new X509Certificate(b.cert).raw, subjectaltname: 'DNS:a.example.com' } as never)?.message).toMatch(/hash/);
    });

    it('skips chain verification only when told to (ACCEPT_UNTRUSTED)', () => {
      const t = compileUpstreamTlsContext({ sni: 'x.test', common_tls_context: { validation_context: { trust_chain_verification: 'ACCEPT_UNTRUSTED' } } }, new IssueCollector());
      expect(t).toMatchObject({ kind: 'tls', options: { servername: 'x.test', rejectUnauthorized: false } });
      const secureDefault = compileUpstreamTlsContext({}, new IssueCollector());
      expect(secureDefault).toMatchObject({ kind: 'tls', options: { rejectUnauthorized: true } });
    });

    it("accepts Pilot's ISTIO_MUTUAL context but, without a secret manager, marks it unavailable", () => {
      const issues = new IssueCollector();
      const t = compileUpstreamTlsContext(
        {
          sni: 'outbound_.9080_._.reviews.default.svc.cluster.local',
          common_tls_context: {
            tls_certificate_sds_secret_configs: [sds('default')],
            combined_validation_context: { default_validation_context: { match_subject_alt_names: [{ match_pattern: 'exact', exact: 'spiffe://cluster.local/ns/default/sa/reviews', ignore_case: false }] }, validation_context_sds_secret_config: sds('ROOTCA') },
            alpn_protocols: ['istio'],
          },
        },
        issues,
      );
      expect(issues.errors).toEqual([]);
      expect(t).toEqual({ kind: 'unavailable', reason: 'no secret manager: the upstream TLS context needs SDS secret(s) "default", "ROOTCA"' });
    });
  });
});
