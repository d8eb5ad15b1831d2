// The DownstreamTlsContext of a TLS-terminating gateway server (Istio 1.3
// buildGatewayListenerTLSContext): certificate files, an SDS credential, or Istio's own certs.
import type { Server, ServerTLSSettings } from '@weft/api';
import { typedConfig } from '../route/proto-values.js';
import { DOWNSTREAM_TLS_CONTEXT_TYPE, TLS_TRANSPORT_SOCKET } from './filter-names.js';
import type { TransportSocket } from './listener-build.js';

/** ALPN offered by HTTPS servers. */
export const ALPN_HTTP = ['h2', 'http/1.1'];
/** Suffix of the SDS secret holding a MUTUAL credential's CA (`<credentialName>-cacert`). */
export const SDS_CA_SUFFIX = '-cacert';
/** The sidecar certificates that ISTIO_MUTUAL servers present (Citadel's secret mounted at /etc/certs). */
export const ISTIO_CERT_CHAIN = '/etc/certs/cert-chain.pem';
export const ISTIO_KEY = '/etc/certs/key.pem';
export const ISTIO_ROOT_CERT = '/etc/certs/root-cert.pem';

const file = (filename: string) => ({ filename });

/**
 * SDS secrets for credentialName come over the proxy's ADS stream (Istio 1.3 pointed at the
 * gateway's node agent socket instead; the secret name is the credential name either way).
 */
export function sdsSecret(name: string): object {
  return { name, sds_config: { ads: {}, resource_api_version: 'V3' } };
}

function tlsParams(tls: ServerTLSSettings): object | undefined {
  const min = tls.minProtocolVersion ?? 'TLS_AUTO';
  const max = tls.maxProtocolVersion ?? 'TLS_AUTO';
  const ciphers = tls.cipherSuites ?? [];
  if (ciphers.length === 0 && min === 'TLS_AUTO' && max === 'TLS_AUTO') return undefined;
  // Istio spells the versions TLSV1_2, Envoy TLSv1_2.
  const envoy = (v: string) => v.replace(/^TLSV/, 'TLSv');
  return { tls_minimum_protocol_version: envoy(min), tls_maximum_protocol_version: envoy(max), ...(ciphers.length > 0 ? { cipher_suites: ciphers } : {}) };
}

/**
 * Istio 1.3's verify_subject_alt_name compared every SAN type; its v3 successor needs a type, so
 * URIs (`spiffe://…`) are matched as URI SANs and other names as DNS SANs.
 */
function validation(trustedCa: string | undefined, tls: ServerTLSSettings): object | undefined {
  const sans = tls.subjectAltNames ?? [];
  const spki = tls.verifyCertificateSpki ?? [];
  const hash = tls.verifyCertificateHash ?? [];
  if (!trustedCa && sans.length === 0 && spki.length === 0 && hash.length === 0) return undefined;
  return {
    ...(trustedCa ? { trusted_ca: file(trustedCa) } : {}),
    ...(spki.length > 0 ? { verify_certificate_spki: [...spki] } : {}),
    ...(hash.length > 0 ? { verify_certificate_hash: [...hash] } : {}),
    ...(sans.length > 0 ? { match_typed_subject_alt_names: sans.map((s) => ({ san_type: s.includes('://') ? 'URI' : 'DNS', matcher: { exact: s } })) } : {}),
  };
}

export function downstreamTlsContext(tls: ServerTLSSettings): object {
  const mode = tls.mode ?? 'PASSTHROUGH';
  const common: Record<string, unknown> = { alpn_protocols: [...ALPN_HTTP] };
  if (mode === 'ISTIO_MUTUAL') {
    common['tls_certificates'] = [{ certificate_chain: file(ISTIO_CERT_CHAIN), private_key: file(ISTIO_KEY) }];
    common['validation_context'] = validation(ISTIO_ROOT_CERT, tls);
  } else if (tls.credentialName) {
    common['tls_certificate_sds_secret_configs'] = [sdsSecret(tls.credentialName)];
    if (mode === 'MUTUAL') {
      common['combined_validation_context'] = {
        default_validation_context: validation(undefined, tls) ?? {},
        validation_context_sds_secret_config: sdsSecret(tls.credentialName + SDS_CA_SUFFIX),
      };
    } else {
      const v = validation(undefined, tls);
      if (v) common['validation_context'] = v;
    }
  } else {
    common['tls_certificates'] = [{ certificate_chain: file(tls.serverCertificate ?? ''), private_key: file(tls.privateKey ?? '') }];
    const v = validation(tls.caCertificates || undefined, tls);
    if (v) common['validation_context'] = v;
  }
  const params = tlsParams(tls);
  if (params) common['tls_params'] = params;
  return { common_tls_context: common, require_client_certificate: { value: mode === 'MUTUAL' || mode === 'ISTIO_MUTUAL' } };
}

/** The TLS transport socket of a terminating server's filter chain. */
export function gatewayTransportSocket(server: Server): TransportSocket | undefined {
  if (!server.tls) return undefined;
  return { name: TLS_TRANSPORT_SOCKET, typed_config: typedConfig(DOWNSTREAM_TLS_CONTEXT_TYPE, downstreamTlsContext(server.tls)) };
}

/** Istio's getSNIHostsForServer: the server's hosts without their namespace, deduplicated and sorted. */
export function sniHostsForServer(hosts: readonly string[]): string[] {
  return [...new Set(hosts.map((h) => (h.includes('/') ? h.slice(h.indexOf('/') + 1) : h)))].sort();
}
