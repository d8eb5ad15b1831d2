// A TLS context whose certificates or validation context come from SDS. The material is resolved
// lazily: each handshake asks for the current secure-context options, which are rebuilt only when a
// secret it reads changed (a version sum compare per handshake), so a rotated secret reaches the next
// handshake while established sessions keep the context they were made with (Envoy's semantics).
// combined_validation_context merges the SDS validation context into the default one as protobuf
// MergeFrom does (Envoy): singular fields from the secret win, repeated fields are concatenated.
import type tls from 'node:tls';
import { IssueCollector } from '@weft/base';
import type { CompiledSecret } from '../sds/secret.js';
import type { SecretRef } from '../sds/secret-source.js';
import { checkSecureContext, compileValidationContext, type CompiledCommonTls, type PeerValidation } from './common-tls-context.js';
import type { CertificateValidationContextConfig } from './tls-config.js';

/** One watched secret (the secret manager provides it). */
export interface SecretHandle {
  readonly ref: SecretRef;
  /** The last accepted secret, if any arrived. */
  current(): CompiledSecret | undefined;
  /** Grows by one on every change of `current()`. */
  readonly version: number;
  /** The secret arrived, or its initial fetch timeout passed (warming is over either way). */
  readonly warmed: boolean;
}

/** What TLS contexts need of the secret manager (the seam: tls/ never imports sds/secret-manager). */
export interface SecretProviders {
  watch(ref: SecretRef): SecretHandle;
}

export interface ResolvedTls {
  readonly secure: tls.SecureContextOptions;
  readonly validation?: PeerValidation;
  readonly certificates: number;
  /** The secure context built from `secure` (built once per change, shared by every connection). */
  readonly context: tls.SecureContext;
}

/** A merge of the SDS validation context into the default one (protobuf MergeFrom). */
export function mergeValidationContexts(defaults: CertificateValidationContextConfig, dynamic: CertificateValidationContextConfig): CertificateValidationContextConfig {
  const out: Record<string, unknown> = { ...defaults };
  for (const [k, v] of Object.entries(dynamic)) {
    if (v === undefined || v === null) continue;
    const d = (defaults as Record<string, unknown>)[k];
    if (Array.isArray(v)) out[k] = [...(Array.isArray(d) ? d : []), ...v];
    else if (v !== '' && v !== false && v !== 0) out[k] = v;
  }
  return out as CertificateValidationContextConfig;
}

export class DynamicTlsMaterial {
  readonly refs: readonly SecretRef[];
  private readonly certs: readonly SecretHandle[];
  private readonly validationHandle: SecretHandle | undefined;
  private cachedVersion = -1;
  private cached: ResolvedTls | string = 'not resolved';

  constructor(
    private readonly common: CompiledCommonTls,
    providers: SecretProviders,
  ) {
    this.certs = common.sdsCertificates.map((r) => providers.watch(r));
    this.validationHandle = common.sdsValidation ? providers.watch(common.sdsValidation.ref) : undefined;
    this.refs = [...common.sdsCertificates, ...(common.sdsValidation ? [common.sdsValidation.ref] : [])];
  }

  /** Every secret arrived or timed out: the context is no longer warming. */
  get warmed(): boolean {
    return this.certs.every((h) => h.warmed) && (this.validationHandle?.warmed ?? true);
  }

  /** Changes whenever a secret this context reads changes. */
  version(): number {
    let v = this.validationHandle?.version ?? 0;
    for (const h of this.certs) v += h.version;
    return v;
  }

  /** The current material, or why the context cannot be used now (a secret is missing or of the wrong kind). */
  current(): ResolvedTls | string {
    const v = this.version();
    if (v !== this.cachedVersion) {
      this.cached = this.resolve();
      this.cachedVersion = v;
    }
    return this.cached;
  }

  private resolve(): ResolvedTls | string {
    const base = this.common.secure;
    const cert = [...((base.cert as Buffer[] | undefined) ?? [])];
    const key = [...((base.key as Array<{ pem: Buffer; passphrase?: string }> | undefined) ?? [])];
    const pfx = [...((base.pfx as Array<{ buf: Buffer; passphrase?: string }> | undefined) ?? [])];
    for (const h of this.certs) {
      const s = h.current();
      if (!s) return `SDS secret "${h.ref.name}" has not arrived`;
      if (s.kind !== 'tls_certificate') return `SDS secret "${h.ref.name}" is not a tls_certificate`;
      if (s.pfx) pfx.push(s.pfx);
      else if (s.cert && s.key) {
        cert.push(s.cert);
        key.push(s.key);
      }
    }
    const secure: { -readonly [K in keyof tls.SecureContextOptions]: tls.SecureContextOptions[K] } = { ...base };
    if (cert.length > 0) {
      secure.cert = cert;
      secure.key = key;
    }
    if (pfx.length > 0) secure.pfx = pfx;
    let validation = this.common.validation;
    const h = this.validationHandle;
    if (h) {
      const s = h.current();
      if (!s) return `SDS secret "${h.ref.name}" has not arrived`;
      if (s.kind !== 'validation_context') return `SDS secret "${h.ref.name}" is not a validation_context`;
      const merged = this.common.sdsValidation?.defaults ? mergeValidationContexts(this.common.sdsValidation.defaults, s.context) : s.context;
      const issues = new IssueCollector(`secret ${h.ref.name}`);
      const material: { ca?: Buffer; crl?: Buffer } = {};
      validation = compileValidationContext(merged, issues, material);
      if (material.ca) secure.ca = material.ca;
      else delete secure.ca;
      if (material.crl) secure.crl = material.crl;
      if (issues.errors.length > 0) return issues.errors.map((e) => `${e.path}: ${e.message}`).join('; ');
    }
    const issues = new IssueCollector('secrets');
    const context = checkSecureContext(secure, issues);
    if (!context) return issues.errors.map((e) => e.message).join('; ');
    return { secure, ...(validation ? { validation } : {}), certificates: cert.length + pfx.length, context };
  }
}
