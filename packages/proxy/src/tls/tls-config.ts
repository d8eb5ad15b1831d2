// The fields of Envoy's TLS transport socket config (envoy.extensions.transport_sockets.tls.v3) that
// the proxy reads, as structural types: the decoded `*__Output` messages fit them, and tests can
// write them by hand. Field names are the .proto names.
import type { StringMatcherConfig } from '../router/config-types.js';

export const TLS_TRANSPORT_SOCKET = 'envoy.transport_sockets.tls';
export const DOWNSTREAM_TLS_CONTEXT_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.DownstreamTlsContext';
export const UPSTREAM_TLS_CONTEXT_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.UpstreamTlsContext';
export const RAW_BUFFER_TRANSPORT_SOCKET = 'envoy.transport_sockets.raw_buffer';
export const RAW_BUFFER_TYPE = 'type.googleapis.com/envoy.extensions.transport_sockets.raw_buffer.v3.RawBuffer';

type Maybe<T> = T | null | undefined;

/** envoy.config.core.v3.TransportSocket. */
export interface TransportSocketInput {
  readonly name: string;
  readonly typed_config?: Maybe<{ readonly type_url: string; readonly value: Uint8Array }>;
}

/** Decodes a typed_config Any (the proto registry's unpack). */
export type Unpack = <T>(any: { readonly type_url: string; readonly value: Uint8Array }) => T;

/** Plaintext: no transport socket, or raw_buffer. */
export function isRawBuffer(ts: TransportSocketInput): boolean {
  const type = ts.typed_config?.type_url;
  return type === RAW_BUFFER_TYPE || (!type && ts.name === RAW_BUFFER_TRANSPORT_SOCKET);
}

/** envoy.config.core.v3.DataSource: exactly one of the specifiers. */
export interface DataSourceConfig {
  readonly filename?: string;
  readonly inline_bytes?: Uint8Array;
  readonly inline_string?: string;
  readonly environment_variable?: string;
  readonly specifier?: string;
}

export interface SdsSecretConfigInput {
  readonly name: string;
  readonly sds_config?: Maybe<object>;
}

export interface TlsCertificateConfig {
  readonly certificate_chain?: Maybe<DataSourceConfig>;
  readonly private_key?: Maybe<DataSourceConfig>;
  readonly password?: Maybe<DataSourceConfig>;
  readonly pkcs12?: Maybe<DataSourceConfig>;
  readonly private_key_provider?: Maybe<object>;
}

export type TlsProtocolVersion = 'TLS_AUTO' | 'TLSv1_0' | 'TLSv1_1' | 'TLSv1_2' | 'TLSv1_3' | 0 | 1 | 2 | 3 | 4;

export interface TlsParametersConfig {
  readonly tls_minimum_protocol_version?: TlsProtocolVersion;
  readonly tls_maximum_protocol_version?: TlsProtocolVersion;
  readonly cipher_suites?: readonly string[];
  readonly ecdh_curves?: readonly string[];
  readonly signature_algorithms?: readonly string[];
}

export type SanType = 'SAN_TYPE_UNSPECIFIED' | 'EMAIL' | 'DNS' | 'URI' | 'IP_ADDRESS' | 'OTHER_NAME' | 0 | 1 | 2 | 3 | 4 | 5;

export interface SubjectAltNameMatcherConfig {
  readonly san_type?: SanType;
  readonly matcher?: Maybe<StringMatcherConfig>;
}

export interface CertificateValidationContextConfig {
  readonly trusted_ca?: Maybe<DataSourceConfig>;
  readonly crl?: Maybe<DataSourceConfig>;
  readonly verify_certificate_hash?: readonly string[];
  readonly verify_certificate_spki?: readonly string[];
  readonly match_subject_alt_names?: readonly StringMatcherConfig[];
  readonly match_typed_subject_alt_names?: readonly SubjectAltNameMatcherConfig[];
  readonly trust_chain_verification?: 'VERIFY_TRUST_CHAIN' | 'ACCEPT_UNTRUSTED' | 0 | 1;
  readonly allow_expired_certificate?: boolean;
  readonly require_signed_certificate_timestamp?: Maybe<{ readonly value: boolean }>;
  readonly max_verify_depth?: Maybe<{ readonly value: number }>;
  readonly custom_validator_config?: Maybe<object>;
  readonly ca_certificate_provider_instance?: Maybe<object>;
  readonly system_root_certs?: Maybe<object>;
}

export interface CommonTlsContextConfig {
  readonly tls_params?: Maybe<TlsParametersConfig>;
  readonly tls_certificates?: readonly TlsCertificateConfig[];
  readonly tls_certificate_sds_secret_configs?: readonly SdsSecretConfigInput[];
  readonly validation_context?: Maybe<CertificateValidationContextConfig>;
  readonly validation_context_sds_secret_config?: Maybe<SdsSecretConfigInput>;
  readonly combined_validation_context?: Maybe<{
    readonly default_validation_context?: Maybe<CertificateValidationContextConfig>;
    readonly validation_context_sds_secret_config?: Maybe<SdsSecretConfigInput>;
  }>;
  readonly alpn_protocols?: readonly string[];
  readonly tls_certificate_provider_instance?: Maybe<object>;
  readonly tls_certificate_certificate_provider_instance?: Maybe<object>;
  readonly custom_handshaker?: Maybe<object>;
}

export interface DownstreamTlsContextConfig {
  readonly common_tls_context?: Maybe<CommonTlsContextConfig>;
  readonly require_client_certificate?: Maybe<{ readonly value: boolean }>;
  readonly require_sni?: Maybe<{ readonly value: boolean }>;
}

export interface UpstreamTlsContextConfig {
  readonly common_tls_context?: Maybe<CommonTlsContextConfig>;
  readonly sni?: string;
  readonly allow_renegotiation?: boolean;
}
