// A cluster's transport_socket → how the pools connect to its hosts (UpstreamTlsContext): SNI,
// ALPN, the server's chain and names, and a client certificate for MUTUAL.
//
// Secure by default, one deliberate difference from Envoy: Envoy verifies nothing without a
// validation context, the proxy then verifies the chain against Node's default roots. Skipping
// verification takes an explicit trust_chain_verification: ACCEPT_UNTRUSTED.
//
// Contexts that name SDS secrets (Pilot's ISTIO_MUTUAL: "default" and "ROOTCA"; gateway
// credentialName) get their material from the secret manager: `options.secureContext` is a stable
// object whose native context is the current one, so the pools (whose https.Agent copies its options
// once) pick up a rotated secret on their next connection, while open connections carry on. A secret
// that is missing (its initial fetch timed out) fails the handshake (checkServerIdentity), as in Envoy.
import tls from 'node:tls';
import type { IssueCollector } from '@weft/base';
import { checkSecureContext, compileCommonTlsContext, type CompiledCommonTls } from './common-tls-context.js';
import { DynamicTlsMaterial, type SecretProviders } from './dynamic-tls.js';
import { isRawBuffer, UPSTREAM_TLS_CONTEXT_TYPE, type TransportSocketInput, type Unpack, type UpstreamTlsContextConfig } from './tls-config.js';

export type UpstreamTransport =
  | { readonly kind: 'plaintext' }
  /** `options` go to tls.connect (and https.Agent): everything but host and port. */
  | { readonly kind: 'tls'; readonly options: tls.ConnectionOptions; readonly dynamic?: DynamicTlsMaterial }
  /** Accepted but unusable (SDS without a secret manager); `reason` is logged and sent back with the 503 UF. */
  | { readonly kind: 'unavailable'; readonly reason: string };

export const PLAINTEXT: UpstreamTransport = { kind: 'plaintext' };

/** A cluster's transport_socket; undefined (with errors under `issues`) when it cannot be used. */
export function compileUpstreamTransportSocket(ts: TransportSocketInput | null | undefined, unpack: Unpack, issues: IssueCollector, secrets?: SecretProviders): UpstreamTransport | undefined {
  if (!ts || isRawBuffer(ts)) return PLAINTEXT;
  const any = ts.typed_config;
  if (any?.type_url !== UPSTREAM_TLS_CONTEXT_TYPE) {
    issues.error(`transport socket ${ts.name} (${any?.type_url ?? 'no typed_config'}) is not supported`);
    return undefined;
  }
  let config: UpstreamTlsContextConfig;
  try {
    config = unpack<UpstreamTlsContextConfig>(any);
  } catch (e) {
    issues.at('typed_config').error(`cannot decode UpstreamTlsContext: ${(e as Error).message}`);
    return undefined;
  }
  return compileUpstreamTlsContext(config, issues.at('typed_config'), secrets);
}

/** The native context of the current SDS material; an empty one while a secret is missing. */
function rotatingContext(dynamic: DynamicTlsMaterial, base: CompiledCommonTls): tls.SecureContext {
  let empty: tls.SecureContext | undefined;
  const holder = {
    get context(): unknown {
      const current = dynamic.current();
      if (typeof current !== 'string') return current.context.context;
      empty ??= tls.createSecureContext(base.secure);
      return empty.context;
    },
  };
  return holder as tls.SecureContext;
}

export function compileUpstreamTlsContext(ctx: UpstreamTlsContextConfig, issues: IssueCollector, secrets?: SecretProviders): UpstreamTransport | undefined {
  const before = issues.errors.length;
  const common = compileCommonTlsContext(ctx.common_tls_context ?? {}, issues.at('common_tls_context'));
  if (issues.errors.length > before) return undefined;
  const usesSds = common.sds.length > 0;
  if (usesSds && !secrets) {
    const names = common.sds.map((s) => `"${s.name}"`).join(', ');
    return { kind: 'unavailable', reason: `no secret manager: the upstream TLS context needs SDS secret(s) ${names}` };
  }
  if (!usesSds && !checkSecureContext(common.secure, issues.at('common_tls_context'))) return undefined;
  const dynamic = usesSds && secrets ? new DynamicTlsMaterial(common, secrets) : undefined;
  const validation = common.validation;
  const staticValidator = validation?.validator;
  const options: tls.ConnectionOptions = {
    ...(dynamic ? { secureContext: rotatingContext(dynamic, common) } : common.secure),
    // Envoy sends SNI only when configured; '' also stops Node from deriving it from the host.
    servername: ctx.sni ?? '',
    rejectUnauthorized: !validation?.acceptUntrusted,
    // Envoy never compares the host name with the certificate; only the configured SAN matchers.
    checkServerIdentity: (_host, cert) => {
      let validator = staticValidator;
      if (dynamic) {
        const current = dynamic.current();
        if (typeof current === 'string') return Object.assign(new Error(`upstream TLS context unavailable: ${current}`), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' });
        validator = current.validation?.validator;
      }
      const reason = validator?.verify(cert);
      return reason ? Object.assign(new Error(`upstream certificate rejected: ${reason}`), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }) : undefined;
    },
    ...(common.alpn.length > 0 ? { ALPNProtocols: [...common.alpn] } : {}),
  };
  return { kind: 'tls', options, ...(dynamic ? { dynamic } : {}) };
}

/**
 * The transport with its ALPN list replaced (istio.alpn's per-stream override, Envoy's
 * application_protocols filter state, which replaces the context's alpn_protocols). Only a TLS
 * transport negotiates ALPN: plaintext and unavailable transports come back unchanged.
 */
export function withAlpnOverride(transport: UpstreamTransport, alpn: readonly string[] | undefined): UpstreamTransport {
  if (transport.kind !== 'tls' || !alpn || alpn.length === 0) return transport;
  return { ...transport, options: { ...transport.options, ALPNProtocols: [...alpn] } };
}
