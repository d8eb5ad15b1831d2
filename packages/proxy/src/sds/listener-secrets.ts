// The SDS secrets a listener's filter chains name (DownstreamTlsContext.common_tls_context), so
// that listener warming can wait for them without building the listener.
import { IssueCollector } from '@weft/base';
import { DOWNSTREAM_TLS_CONTEXT_TYPE, type CommonTlsContextConfig, type DownstreamTlsContextConfig, type SdsSecretConfigInput, type TransportSocketInput, type Unpack } from '../tls/tls-config.js';
import { secretRef, type SecretRef } from './secret-source.js';

type Maybe<T> = T | null | undefined;

/** The fields of a Listener this reads (Listener__Output fits). */
export interface ListenerSecretsInput {
  readonly filter_chains?: ReadonlyArray<{ readonly transport_socket?: Maybe<TransportSocketInput> }>;
  readonly default_filter_chain?: Maybe<{ readonly transport_socket?: Maybe<TransportSocketInput> }>;
}

/** The secret configs a CommonTlsContext names. */
export function commonTlsSecretConfigs(ctx: Maybe<CommonTlsContextConfig>): SdsSecretConfigInput[] {
  if (!ctx) return [];
  const out = [...(ctx.tls_certificate_sds_secret_configs ?? [])];
  if (ctx.validation_context_sds_secret_config) out.push(ctx.validation_context_sds_secret_config);
  const combined = ctx.combined_validation_context?.validation_context_sds_secret_config;
  if (combined) out.push(combined);
  return out;
}

/** Every SDS reference of the listener's filter chains; undecodable sockets are skipped (validation reports them). */
export function listenerSecretRefs(listener: ListenerSecretsInput, unpack: Unpack): SecretRef[] {
  const refs: SecretRef[] = [];
  const chains = [...(listener.filter_chains ?? []), ...(listener.default_filter_chain ? [listener.default_filter_chain] : [])];
  for (const fc of chains) {
    const any = fc.transport_socket?.typed_config;
    if (any?.type_url !== DOWNSTREAM_TLS_CONTEXT_TYPE) continue;
    let ctx: DownstreamTlsContextConfig;
    try {
      ctx = unpack<DownstreamTlsContextConfig>(any);
    } catch {
      continue;
    }
    for (const s of commonTlsSecretConfigs(ctx.common_tls_context)) {
      const ref = secretRef(s, new IssueCollector('secret'));
      if (ref) refs.push(ref);
    }
  }
  return refs;
}
