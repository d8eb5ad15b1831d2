// A filter chain's transport_socket → how the proxy terminates TLS on it (DownstreamTlsContext):
// server certificates, client certificate policy (require_client_certificate, validation_context),
// ALPN, SNI requirement. Certificates and validation contexts named by SDS are watched through the
// secret manager (`dynamic`): the listener warms until they arrive, and rotations reach new handshakes.
import type tls from 'node:tls';
import type { IssueCollector } from '@weft/base';
import { checkSecureContext, compileCommonTlsContext, type PeerValidation } from './common-tls-context.js';
import { DynamicTlsMaterial, type SecretProviders } from './dynamic-tls.js';
import { DOWNSTREAM_TLS_CONTEXT_TYPE, isRawBuffer, TLS_TRANSPORT_SOCKET, type DownstreamTlsContextConfig, type TransportSocketInput, type Unpack } from './tls-config.js';

/** A handshake that has not finished by then is abandoned (Node's default is 120 s). */
export const HANDSHAKE_TIMEOUT_MS = 15_000;

export interface DownstreamTls {
  /** Options for a `tls.Server` that is never bound: accepted sockets are handed to it. */
  readonly serverOptions: tls.TlsOptions;
  readonly alpn: readonly string[];
  readonly requireSni: boolean;
  readonly requireClientCertificate: boolean;
  readonly validation?: PeerValidation;
  /**
   * Set when the context needs SDS secrets but no secret manager was given (unit compiles): the chain
   * is kept, but its connections are closed with this reason.
   */
  readonly unavailable?: string;
  /** SDS-named material: the current certificates and validation context, resolved per handshake. */
  readonly dynamic?: DynamicTlsMaterial;
}

/**
 * A filter chain's transport_socket: undefined for plaintext (none, or raw_buffer), the compiled
 * TLS termination for envoy.transport_sockets.tls; anything else is an error under `issues`.
 */
export function compileDownstreamTransportSocket(ts: TransportSocketInput | null | undefined, unpack: Unpack, issues: IssueCollector, secrets?: SecretProviders): DownstreamTls | undefined {
  if (!ts || isRawBuffer(ts)) return undefined;
  const any = ts.typed_config;
  if (any?.type_url !== DOWNSTREAM_TLS_CONTEXT_TYPE) {
    issues.error(`transport socket ${ts.name} (${any?.type_url ?? 'no typed_config'}) is not supported; use ${TLS_TRANSPORT_SOCKET} with a DownstreamTlsContext`);
    return undefined;
  }
  let config: DownstreamTlsContextConfig;
  try {
    config = unpack<DownstreamTlsContextConfig>(any);
  } catch (e) {
    issues.at('typed_config').error(`cannot decode DownstreamTlsContext: ${(e as Error).message}`);
    return undefined;
  }
  return compileDownstreamTlsContext(config, issues.at('typed_config'), secrets);
}

/** Compiles a DownstreamTlsContext; undefined (with errors under `issues`) when it cannot serve. */
export function compileDownstreamTlsContext(ctx: DownstreamTlsContextConfig, issues: IssueCollector, secrets?: SecretProviders): DownstreamTls | undefined {
  const before = issues.errors.length;
  const at = issues.at('common_tls_context');
  const common = compileCommonTlsContext(ctx.common_tls_context ?? {}, at);
  const usesSds = common.sds.length > 0;
  if (common.certificates === 0 && common.sdsCertificates.length === 0 && !(usesSds && issues.errors.length > before)) {
    at.at('tls_certificates').error('a server needs at least one certificate (tls_certificates or tls_certificate_sds_secret_configs)');
  }
  const requireClientCertificate = ctx.require_client_certificate?.value ?? false;
  const validation = common.validation;
  if (requireClientCertificate && !validation?.trustedCa && !common.sdsValidation && !validation?.acceptUntrusted) {
    issues.at('require_client_certificate').error('requiring client certificates needs validation_context.trusted_ca');
  }
  const secure = common.secure;
  if (issues.errors.length > before) return undefined;
  if (usesSds && !secrets) {
    const names = common.sds.map((r) => JSON.stringify(r.name)).join(', ');
    return { serverOptions: {}, alpn: [], requireSni: false, requireClientCertificate: false, unavailable: `no secret manager: the filter chain needs SDS secret(s) ${names}` };
  }
  // SDS material is checked when it arrives (a bad secret is NACKed); the static parts are checked now.
  if (!usesSds && !checkSecureContext(secure, at)) return undefined;
  const dynamic = usesSds && secrets ? new DynamicTlsMaterial(common, secrets) : undefined;
  const requestCert = requireClientCertificate || validation !== undefined || common.sdsValidation !== undefined;
  return {
    serverOptions: {
      ...secure,
      requestCert,
      // The client certificate is judged after the handshake (TlsTerminatingFilter), so that every
      // refusal — missing, untrusted, wrong SAN — is counted and closes before any byte is served.
      rejectUnauthorized: false,
      handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      ...(common.alpn.length > 0 ? { ALPNProtocols: [...common.alpn] } : {}),
    },
    alpn: common.alpn,
    requireSni: ctx.require_sni?.value ?? false,
    requireClientCertificate,
    ...(validation ? { validation } : {}),
    ...(dynamic ? { dynamic } : {}),
  };
}
