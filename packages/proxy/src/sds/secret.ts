// envoy.extensions.transport_sockets.tls.v3.Secret → the material a TLS context reads, checked when
// it arrives: a certificate whose PEM does not parse or whose key does not fit, or a CA bundle that
// does not load, rejects the update (NACK, with the secret's field path) and the last good secret stays.
import type { IssueCollector } from '@weft/base';
import { checkSecureContext, compileValidationContext } from '../tls/common-tls-context.js';
import { readDataSource } from '../tls/data-source.js';
import { readPemCertificates, readPemPrivateKey } from '../tls/pem.js';
import type { CertificateValidationContextConfig, DataSourceConfig, TlsCertificateConfig } from '../tls/tls-config.js';

type Maybe<T> = T | null | undefined;

/** The fields of a Secret the proxy reads (the decoded Secret__Output fits). */
export interface SecretInput {
  readonly name: string;
  readonly tls_certificate?: Maybe<TlsCertificateConfig>;
  readonly validation_context?: Maybe<CertificateValidationContextConfig>;
  readonly session_ticket_keys?: Maybe<object>;
  readonly generic_secret?: Maybe<object>;
  readonly type?: string;
}

export interface TlsCertificateSecret {
  readonly kind: 'tls_certificate';
  readonly name: string;
  readonly cert?: Buffer;
  readonly key?: { readonly pem: Buffer; readonly passphrase?: string };
  readonly pfx?: { readonly buf: Buffer; readonly passphrase?: string };
}

export interface ValidationContextSecret {
  readonly kind: 'validation_context';
  readonly name: string;
  /** The context with its data sources read (inline_bytes), so using it never touches the disk. */
  readonly context: CertificateValidationContextConfig;
}

/** session_ticket_keys and generic_secret are accepted but no TLS context uses them. */
export interface OtherSecret {
  readonly kind: 'other';
  readonly name: string;
}

export type CompiledSecret = TlsCertificateSecret | ValidationContextSecret | OtherSecret;

function inline(ds: Maybe<DataSourceConfig>, issues: IssueCollector): DataSourceConfig | undefined {
  if (!ds) return undefined;
  const bytes = readDataSource(ds, issues);
  return bytes ? { inline_bytes: bytes } : undefined;
}

function tlsCertificate(name: string, c: TlsCertificateConfig, issues: IssueCollector): TlsCertificateSecret | undefined {
  const before = issues.errors.length;
  if (c.private_key_provider) issues.at('private_key_provider').error('private key providers are not supported');
  const passphrase = c.password ? readDataSource(c.password, issues.at('password'))?.toString('utf8') : undefined;
  const pass = passphrase !== undefined ? { passphrase } : {};
  if (c.pkcs12) {
    const buf = readDataSource(c.pkcs12, issues.at('pkcs12'));
    if (!buf || issues.errors.length > before) return undefined;
    if (!checkSecureContext({ pfx: [{ buf, ...pass }] }, issues.at('pkcs12'))) return undefined;
    return { kind: 'tls_certificate', name, pfx: { buf, ...pass } };
  }
  if (!c.certificate_chain) issues.at('certificate_chain').error('a certificate chain is required');
  if (!c.private_key) issues.at('private_key').error('a private key is required');
  // An empty or PEM-less chain or key is refused here, as Envoy refuses it (Node would take it).
  const cert = c.certificate_chain ? readPemCertificates(c.certificate_chain, 'certificate chain', issues.at('certificate_chain')) : undefined;
  const key = c.private_key ? readPemPrivateKey(c.private_key, passphrase, issues.at('private_key')) : undefined;
  if (!cert || !key || issues.errors.length > before) return undefined;
  if (!checkSecureContext({ cert, key: [{ pem: key, ...pass }] }, issues)) return undefined;
  return { kind: 'tls_certificate', name, cert, key: { pem: key, ...pass } };
}

function validationContext(name: string, vc: CertificateValidationContextConfig, issues: IssueCollector): ValidationContextSecret | undefined {
  const before = issues.errors.length;
  const trusted = inline(vc.trusted_ca, issues.at('trusted_ca'));
  const crl = inline(vc.crl, issues.at('crl'));
  const context: CertificateValidationContextConfig = { ...vc, trusted_ca: trusted ?? null, crl: crl ?? null };
  const material: { ca?: Buffer; crl?: Buffer } = {};
  compileValidationContext(context, issues, material);
  if (issues.errors.length > before) return undefined;
  if ((material.ca || material.crl) && !checkSecureContext({ ...(material.ca ? { ca: material.ca } : {}), ...(material.crl ? { crl: material.crl } : {}) }, issues)) return undefined;
  return { kind: 'validation_context', name, context };
}

/** Compiles one Secret; undefined (with errors under `issues`, which is at the secret) when it is invalid. */
export function compileSecret(secret: SecretInput, issues: IssueCollector): CompiledSecret | undefined {
  if (!secret.name) {
    issues.at('name').error('a secret needs a name');
    return undefined;
  }
  const which = secret.type ?? (secret.tls_certificate ? 'tls_certificate' : secret.validation_context ? 'validation_context' : secret.session_ticket_keys ? 'session_ticket_keys' : secret.generic_secret ? 'generic_secret' : undefined);
  if (which === 'tls_certificate' && secret.tls_certificate) return tlsCertificate(secret.name, secret.tls_certificate, issues.at('tls_certificate'));
  if (which === 'validation_context' && secret.validation_context) return validationContext(secret.name, secret.validation_context, issues.at('validation_context'));
  if (which === 'session_ticket_keys' || which === 'generic_secret') return { kind: 'other', name: secret.name };
  issues.error('a secret needs tls_certificate or validation_context');
  return undefined;
}
