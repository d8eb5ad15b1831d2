// DestinationRule client TLS → the cluster's `envoy.transport_sockets.tls` socket (Istio 1.3
// applyUpstreamTLSSettings): DISABLE, SIMPLE, MUTUAL (file paths, or SDS via credentialName on
// gateways) and ISTIO_MUTUAL (the workload certificate over SDS, SNI outbound_.port_.subset_.host).
import type { ClientTLSSettings } from '@weft/api';
import type { Proxy } from '../../model/proxy.js';
import type { ClusterDraft } from './cluster-draft.js';
import { packTyped } from './typed-config.js';

export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
export const UPSTREAM_TLS_CONTEXT = 'envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';

// SDS names shared with pilot-agent's bootstrap and the node agent. TODO(lead): move to names.ts.
/** The bootstrap's static cluster that reaches the node agent's SDS server. */
export const SDS_CLUSTER = 'sds-grpc';
/** SDS resource of the workload's key and certificate chain. */
export const SDS_DEFAULT_SECRET = 'default';
/** SDS resource of the mesh root certificate. */
export const SDS_ROOT_SECRET = 'ROOTCA';
/** Gateway credentials (`credentialName`) are SDS resources `kubernetes://<name>` and `kubernetes://<name>-cacert`. */
export const CREDENTIAL_PREFIX = 'kubernetes://';

/** ALPN for in-mesh mutual TLS: `istio` tells the server sidecar the client is a sidecar (1.3). */
const ALPN_IN_MESH = ['istio'];
const ALPN_IN_MESH_H2 = ['istio', 'h2'];
const ALPN_H2 = ['h2'];

export interface UpstreamTlsOptions {
  /** Default SNI for ISTIO_MUTUAL: `outbound_.<port>_.<subset>_.<host>`. */
  readonly istioMutualSni: string;
  /** Secure-naming identities of the destination, used when the rule lists no subjectAltNames. */
  readonly serviceAccounts: readonly string[];
  readonly proxy: Proxy;
}

function sdsSecret(name: string): object {
  return {
    name,
    sds_config: {
      api_config_source: { api_type: 'GRPC', transport_api_version: 'V3', grpc_services: [{ envoy_grpc: { cluster_name: SDS_CLUSTER } }] },
      resource_api_version: 'V3',
    },
  };
}

function sanMatchers(sans: readonly string[] | undefined): object {
  return sans && sans.length > 0 ? { match_subject_alt_names: sans.map((exact) => ({ exact })) } : {};
}

/** Static validation context (CA file, SANs), or undefined when neither is given (Envoy then verifies nothing). */
function fileValidation(tls: ClientTLSSettings): object | undefined {
  if (!tls.caCertificates && !tls.subjectAltNames?.length) return undefined;
  return { ...(tls.caCertificates ? { trusted_ca: { filename: tls.caCertificates } } : {}), ...sanMatchers(tls.subjectAltNames) };
}

function sdsValidation(tls: ClientTLSSettings, rootSecret: string): Record<string, unknown> {
  return { combined_validation_context: { default_validation_context: sanMatchers(tls.subjectAltNames), validation_context_sds_secret_config: sdsSecret(rootSecret) } };
}

function simpleContext(tls: ClientTLSSettings, credential: string | undefined): Record<string, unknown> {
  if (credential) return sdsValidation(tls, `${credential}-cacert`);
  const validation = fileValidation(tls);
  return validation ? { validation_context: validation } : {};
}

function mutualContext(tls: ClientTLSSettings, credential: string | undefined): Record<string, unknown> | undefined {
  if (credential) return { tls_certificate_sds_secret_configs: [sdsSecret(credential)], ...sdsValidation(tls, `${credential}-cacert`) };
  // Istio logs and leaves the cluster unchanged when the key pair is missing.
  if (!tls.clientCertificate || !tls.privateKey) return undefined;
  const validation = fileValidation(tls);
  return {
    tls_certificates: [{ certificate_chain: { filename: tls.clientCertificate }, private_key: { filename: tls.privateKey } }],
    ...(validation ? { validation_context: validation } : {}),
  };
}

/**
 * The UpstreamTlsContext for a mode, or null for DISABLE, or undefined when nothing changes.
 * `credentialName` is honoured on gateways only, as Istio does (sidecars keep the file paths).
 */
export function upstreamTlsContext(tls: ClientTLSSettings, options: UpstreamTlsOptions, http2: boolean): object | null | undefined {
  const credential = tls.credentialName && options.proxy.type === 'router' ? CREDENTIAL_PREFIX + tls.credentialName : undefined;
  const sni = tls.sni ? { sni: tls.sni } : {};
  switch (tls.mode ?? 'DISABLE') {
    case 'DISABLE':
      return null;
    case 'SIMPLE':
      return { common_tls_context: { ...simpleContext(tls, credential), ...(http2 ? { alpn_protocols: ALPN_H2 } : {}) }, ...sni };
    case 'MUTUAL': {
      const common = mutualContext(tls, credential);
      if (!common) return undefined;
      return { common_tls_context: { ...common, ...(http2 ? { alpn_protocols: ALPN_H2 } : {}) }, ...sni };
    }
    case 'ISTIO_MUTUAL': {
      const sans = tls.subjectAltNames?.length ? tls.subjectAltNames : options.serviceAccounts;
      return {
        common_tls_context: {
          tls_certificate_sds_secret_configs: [sdsSecret(SDS_DEFAULT_SECRET)],
          ...sdsValidation({ subjectAltNames: [...sans] }, SDS_ROOT_SECRET),
          alpn_protocols: http2 ? ALPN_IN_MESH_H2 : ALPN_IN_MESH,
        },
        sni: tls.sni || options.istioMutualSni,
      };
    }
  }
}

/** Sets (or, for DISABLE, removes) the cluster's TLS transport socket. */
export function applyUpstreamTls(draft: ClusterDraft, tls: ClientTLSSettings | undefined, options: UpstreamTlsOptions): void {
  if (!tls) return;
  // 1.3 sets HTTP/2 options for sniffed ports too, and advertises h2 whenever they are present.
  const context = upstreamTlsContext(tls, options, draft.protocol !== 'http1');
  if (context === undefined) return;
  if (context === null) {
    delete draft.cluster.transport_socket;
    return;
  }
  draft.cluster.transport_socket = { name: TLS_TRANSPORT_SOCKET, typed_config: packTyped(UPSTREAM_TLS_CONTEXT, context) };
}
