// CommonTlsContext → node:tls secure-context options (certificates, trusted CA, CRL, protocol
// versions, ciphers, curves, signature algorithms), ALPN, the peer checks, and the SDS secrets it
// names: tls_certificate_sds_secret_configs, validation_context_sds_secret_config and
// combined_validation_context (dynamic-tls.ts merges them in once they arrive).
import tls from 'node:tls';
import type { IssueCollector } from '@weft/base';
import { secretRef, type SecretRef } from '../sds/secret-source.js';
import { readDataSource } from './data-source.js';
import { readPemCertificates, readPemPrivateKey } from './pem.js';
import { compilePeerValidator, type PeerValidator } from './peer-validator.js';
import type { CertificateValidationContextConfig, CommonTlsContextConfig, TlsParametersConfig, TlsProtocolVersion } from './tls-config.js';

/** How the peer's certificate is checked; absent when the context has no validation context. */
export interface PeerValidation {
  /** trusted_ca was given: the chain is verified against it (else against Node's default roots). */
  readonly trustedCa: boolean;
  /** trust_chain_verification ACCEPT_UNTRUSTED: the chain is not verified (SAN and pins still are). */
  readonly acceptUntrusted: boolean;
  readonly validator?: PeerValidator;
}

/** An SDS secret a context names, with the path of the reference. */
export interface SdsReference {
  readonly path: string;
  readonly name: string;
}

/** The validation context that comes from SDS, with the static one it is merged into (combined_validation_context). */
export interface SdsValidation {
  readonly ref: SecretRef;
  readonly defaults?: CertificateValidationContextConfig;
}

export interface CompiledCommonTls {
  readonly secure: tls.SecureContextOptions;
  readonly alpn: readonly string[];
  readonly validation?: PeerValidation;
  /** Static certificates (tls_certificates). */
  readonly certificates: number;
  /** Every SDS secret the context names. */
  readonly sds: readonly SdsReference[];
  /** tls_certificate_sds_secret_configs, in order. */
  readonly sdsCertificates: readonly SecretRef[];
  readonly sdsValidation?: SdsValidation;
}

const VERSIONS: Record<string, tls.SecureVersion | undefined> = { TLSv1_0: 'TLSv1', 1: 'TLSv1', TLSv1_1: 'TLSv1.1', 2: 'TLSv1.1', TLSv1_2: 'TLSv1.2', 3: 'TLSv1.2', TLSv1_3: 'TLSv1.3', 4: 'TLSv1.3' };
const VERSION_ORDER: readonly tls.SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];
/**
 * Envoy's cipher_suites configure TLS 1.2 and below only (BoringSSL always offers the TLS 1.3
 * suites); Node reads TLS 1.3 suites from the same list, so they are kept when none are named.
 */
const TLS13_SUITES = 'TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256';

function version(v: TlsProtocolVersion | undefined): tls.SecureVersion | undefined {
  return v === undefined ? undefined : VERSIONS[String(v)];
}

/** tls_params. TLS_AUTO keeps Node's defaults (TLS 1.2 to 1.3): secure by default. */
function tlsParams(p: TlsParametersConfig, issues: IssueCollector): tls.SecureContextOptions {
  const out: { -readonly [K in keyof tls.SecureContextOptions]: tls.SecureContextOptions[K] } = {};
  const min = version(p.tls_minimum_protocol_version);
  const max = version(p.tls_maximum_protocol_version);
  if (min) out.minVersion = min;
  if (max) out.maxVersion = max;
  if (min && max && VERSION_ORDER.indexOf(min) > VERSION_ORDER.indexOf(max)) issues.error(`tls_minimum_protocol_version ${min} is above tls_maximum_protocol_version ${max}`);
  const ciphers = (p.cipher_suites ?? []).flatMap((c) => c.replace(/^\[|\]$/g, '').split('|')).filter((c) => c !== '');
  if (ciphers.length > 0) out.ciphers = ciphers.some((c) => c.startsWith('TLS_')) ? ciphers.join(':') : `${TLS13_SUITES}:${ciphers.join(':')}`;
  const curves = p.ecdh_curves ?? [];
  const sigalgs = p.signature_algorithms ?? [];
  if (curves.length > 0) out.ecdhCurve = curves.join(':');
  if (sigalgs.length > 0) out.sigalgs = sigalgs.join(':');
  return out;
}

/** A CertificateValidationContext: its CA and CRL go to `secure`, its peer checks come back. */
export function compileValidationContext(vc: CertificateValidationContextConfig, issues: IssueCollector, secure: { ca?: Buffer; crl?: Buffer }): PeerValidation {
  if (vc.custom_validator_config) issues.at('custom_validator_config').error('custom certificate validators are not supported');
  if (vc.ca_certificate_provider_instance) issues.at('ca_certificate_provider_instance').error('certificate provider instances are not supported');
  if (vc.allow_expired_certificate) issues.at('allow_expired_certificate').error('accepting expired certificates is not supported');
  if (vc.require_signed_certificate_timestamp?.value) issues.at('require_signed_certificate_timestamp').error('signed certificate timestamps are not supported');
  if (vc.max_verify_depth) issues.at('max_verify_depth').error('max_verify_depth is not supported');
  if (vc.trusted_ca) {
    const ca = readPemCertificates(vc.trusted_ca, 'trusted CA certificates', issues.at('trusted_ca'));
    if (ca) secure.ca = ca;
  }
  if (vc.crl) {
    const crl = readDataSource(vc.crl, issues.at('crl'));
    if (crl) secure.crl = crl;
  }
  const validator = compilePeerValidator(vc, issues);
  const acceptUntrusted = vc.trust_chain_verification === 'ACCEPT_UNTRUSTED' || vc.trust_chain_verification === 1;
  return { trustedCa: vc.trusted_ca !== undefined && vc.trusted_ca !== null, acceptUntrusted, ...(validator ? { validator } : {}) };
}

/** Compiles a CommonTlsContext; every problem is reported under `issues` with its path. */
export function compileCommonTlsContext(ctx: CommonTlsContextConfig, issues: IssueCollector): CompiledCommonTls {
  const sds: SdsReference[] = [];
  const secure: { -readonly [K in keyof tls.SecureContextOptions]: tls.SecureContextOptions[K] } = ctx.tls_params ? tlsParams(ctx.tls_params, issues.at('tls_params')) : {};
  for (const field of ['tls_certificate_provider_instance', 'tls_certificate_certificate_provider_instance', 'custom_handshaker'] as const) {
    if (ctx[field]) issues.at(field).error(`${field} is not supported`);
  }
  const certs: Buffer[] = [];
  const keys: Array<{ pem: Buffer; passphrase?: string }> = [];
  const pfx: Array<{ buf: Buffer; passphrase?: string }> = [];
  (ctx.tls_certificates ?? []).forEach((c, i) => {
    const at = issues.at('tls_certificates', i);
    if (c.private_key_provider) at.at('private_key_provider').error('private key providers are not supported');
    const password = c.password ? readDataSource(c.password, at.at('password'))?.toString('utf8') : undefined;
    const pass = password !== undefined ? { passphrase: password } : {};
    if (c.pkcs12) {
      const buf = readDataSource(c.pkcs12, at.at('pkcs12'));
      if (buf) pfx.push({ buf, ...pass });
      return;
    }
    if (!c.certificate_chain) at.at('certificate_chain').error('a certificate chain is required');
    if (!c.private_key) at.at('private_key').error('a private key is required');
    const chain = c.certificate_chain ? readPemCertificates(c.certificate_chain, 'certificate chain', at.at('certificate_chain')) : undefined;
    const key = c.private_key ? readPemPrivateKey(c.private_key, password, at.at('private_key')) : undefined;
    if (chain && key) {
      certs.push(chain);
      keys.push({ pem: key, ...pass });
    }
  });
  if (certs.length > 0) {
    secure.cert = certs;
    secure.key = keys;
  }
  if (pfx.length > 0) secure.pfx = pfx;
  const sdsCertificates: SecretRef[] = [];
  (ctx.tls_certificate_sds_secret_configs ?? []).forEach((s, i) => {
    const at = issues.at('tls_certificate_sds_secret_configs', i);
    sds.push({ path: at.path, name: s.name });
    const ref = secretRef(s, at);
    if (ref) sdsCertificates.push(ref);
  });
  let validation: PeerValidation | undefined;
  let sdsValidation: SdsValidation | undefined;
  const material: { ca?: Buffer; crl?: Buffer } = {};
  if (ctx.validation_context) {
    validation = compileValidationContext(ctx.validation_context, issues.at('validation_context'), material);
  } else if (ctx.validation_context_sds_secret_config) {
    const at = issues.at('validation_context_sds_secret_config');
    sds.push({ path: at.path, name: ctx.validation_context_sds_secret_config.name });
    const ref = secretRef(ctx.validation_context_sds_secret_config, at);
    if (ref) sdsValidation = { ref };
  } else if (ctx.combined_validation_context) {
    const combined = ctx.combined_validation_context;
    const at = issues.at('combined_validation_context');
    const defaults = combined.default_validation_context ?? {};
    validation = compileValidationContext(defaults, at.at('default_validation_context'), material);
    if (combined.validation_context_sds_secret_config) {
      const sdsAt = at.at('validation_context_sds_secret_config');
      sds.push({ path: sdsAt.path, name: combined.validation_context_sds_secret_config.name });
      const ref = secretRef(combined.validation_context_sds_secret_config, sdsAt);
      if (ref) sdsValidation = { ref, defaults };
    } else at.at('validation_context_sds_secret_config').error('combined_validation_context needs validation_context_sds_secret_config');
  }
  if (material.ca) secure.ca = material.ca;
  if (material.crl) secure.crl = material.crl;
  const alpn = (ctx.alpn_protocols ?? []).filter((p) => p !== '');
  return { secure, alpn, ...(validation ? { validation } : {}), certificates: certs.length + pfx.length, sds, sdsCertificates, ...(sdsValidation ? { sdsValidation } : {}) };
}

/** Builds the SecureContext once to surface bad PEM, a key that does not fit, unknown ciphers. */
export function checkSecureContext(options: tls.SecureContextOptions, issues: IssueCollector): tls.SecureContext | undefined {
  try {
    return tls.createSecureContext(options);
  } catch (e) {
    issues.error(`invalid TLS material or parameters: ${(e as Error).message}`);
    return undefined;
  }
}
