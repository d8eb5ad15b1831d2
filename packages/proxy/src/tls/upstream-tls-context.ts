// A cluster's transport_socket → how the pools connect to its hosts (UpstreamTlsContext): SNI,
// ALPN, the server's chain and names, and a client certificate for MUTUAL.
//
// Secure by default, one deliberate difference from Envoy: Envoy verifies nothing without a
// validation context, the proxy then verifies the chain against Node's default roots. Skipping
// verification takes an explicit trust_chain_verification: ACCEPT_UNTRUSTED.
//
// Contexts that name SDS secrets (Pilot's ISTIO_MUTUAL: "default" and "ROOTCA"; gateway
// credentialName) cannot connect until the secret manager exists. They are NOT an error: Pilot
// sends them in every mesh, and NACKing them would reject the whole CDS update. The cluster is
// accepted and marked instead, and its requests fail with 503 UF (see UnavailablePool).
import type tls from 'node:tls';
import type { IssueCollector } from '@weft/base';
import { checkSecureContext, compileCommonTlsContext } from './common-tls-context.js';
import { isRawBuffer, UPSTREAM_TLS_CONTEXT_TYPE, type TransportSocketInput, type Unpack, type UpstreamTlsContextConfig } from './tls-config.js';

export type UpstreamTransport =
  | { readonly kind: 'plaintext' }
  /** `options` go to tls.connect (and https.Agent): everything but host and port. */
  | { readonly kind: 'tls'; readonly options: tls.ConnectionOptions }
  /** Accepted but unusable until SDS lands; `reason` is logged and sent back with the 503 UF. */
  | { readonly kind: 'unavailable'; readonly reason: string };

export const PLAINTEXT: UpstreamTransport = { kind: 'plaintext' };

/** A cluster's transport_socket; undefined (with errors under `issues`) when it cannot be used. */
export function compileUpstreamTransportSocket(ts: TransportSocketInput | null | undefined, unpack: Unpack, issues: IssueCollector): UpstreamTransport | undefined {
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
  return compileUpstreamTlsContext(config, issues.at('typed_config'));
}

export function compileUpstreamTlsContext(ctx: UpstreamTlsContextConfig, issues: IssueCollector): UpstreamTransport | undefined {
  const before = issues.errors.length;
  const common = compileCommonTlsContext(ctx.common_tls_context ?? {}, issues.at('common_tls_context'));
  if (issues.errors.length > before) return undefined;
  if (common.sds.length > 0) {
    const names = common.sds.map((s) => `"${s.name}"`).join(', ');
    return { kind: 'unavailable', reason: `SDS is not supported yet: the upstream TLS context needs SDS secret(s) ${names}` };
  }
  if (!checkSecureContext(common.secure, issues.at('common_tls_context'))) return undefined;
  const validation = common.validation;
  const validator = validation?.validator;
  const options: tls.ConnectionOptions = {
    ...common.secure,
    // Envoy sends SNI only when configured; '' also stops Node from deriving it from the host.
    servername: ctx.sni ?? '',
    rejectUnauthorized: !validation?.acceptUntrusted,
    // Envoy never compares the host name with the certificate; only the configured SAN matchers.
    checkServerIdentity: (_host, cert) => {
      const reason = validator?.verify(cert);
      return reason ? Object.assign(new Error(`upstream certificate rejected: ${reason}`), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }) : undefined;
    },
    ...(common.alpn.length > 0 ? { ALPNProtocols: [...common.alpn] } : {}),
  };
  return { kind: 'tls', options };
}
