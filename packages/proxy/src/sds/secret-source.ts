// SdsSecretConfig → where a secret comes from: the bootstrap's static secrets (no sds_config), the
// ADS stream (`ads: {}` or `self: {}`), or an SDS gRPC server named by a static cluster
// (`api_config_source { api_type: GRPC, grpc_services: [{ envoy_grpc: { cluster_name } }] }`, Istio's
// `sds-grpc` on pilot-agent's Unix socket) or by a URI (`google_grpc.target_uri`, Istio 1.3's
// `unix:/var/run/sds/uds_path`). Secret names are opaque: `default`, `ROOTCA`, `file-cert:a~b`.
import type { IssueCollector } from '@weft/base';

/** Envoy's default initial_fetch_timeout (ConfigSource): warming ends without the secret after it. */
export const DEFAULT_INITIAL_FETCH_TIMEOUT_MS = 15_000;

export type SecretSource =
  | { readonly kind: 'static' }
  | { readonly kind: 'ads' }
  /** `cluster`: a static bootstrap cluster (its pipe or socket address); `target`: a gRPC URI. */
  | { readonly kind: 'grpc'; readonly cluster?: string; readonly target?: string };

/** One secret a TLS context names, with the path of the reference. */
export interface SecretRef {
  readonly path: string;
  readonly name: string;
  readonly source: SecretSource;
  /** Identifies the source (`static`, `ads`, `grpc:cluster:sds-grpc`): one provider per source and name. */
  readonly sourceKey: string;
  /** 0 disables the timeout (Envoy: wait forever). */
  readonly initialFetchTimeoutMs: number;
}

type Maybe<T> = T | null | undefined;

/** The fields of envoy.config.core.v3.ConfigSource an SDS reference reads. */
export interface ConfigSourceInput {
  readonly ads?: Maybe<object>;
  readonly self?: Maybe<object>;
  readonly path?: string;
  readonly path_config_source?: Maybe<object>;
  readonly api_config_source?: Maybe<{
    readonly api_type?: string | number;
    readonly grpc_services?: ReadonlyArray<{ readonly envoy_grpc?: Maybe<{ readonly cluster_name?: string }>; readonly google_grpc?: Maybe<{ readonly target_uri?: string }> }>;
  }>;
  readonly initial_fetch_timeout?: Maybe<{ readonly seconds?: string | number; readonly nanos?: number }>;
  readonly config_source_specifier?: string;
}

export function sourceKey(s: SecretSource): string {
  if (s.kind !== 'grpc') return s.kind;
  return s.cluster !== undefined ? `grpc:cluster:${s.cluster}` : `grpc:target:${s.target ?? ''}`;
}

function timeoutMs(d: ConfigSourceInput['initial_fetch_timeout']): number {
  if (!d) return DEFAULT_INITIAL_FETCH_TIMEOUT_MS;
  return Number(d.seconds ?? 0) * 1000 + Math.floor((d.nanos ?? 0) / 1e6);
}

/**
 * An SdsSecretConfig's name and sds_config; undefined (with errors under `issues`) when the source
 * cannot be used. `issues` is at the SdsSecretConfig.
 */
export function secretRef(config: { readonly name: string; readonly sds_config?: Maybe<object> }, issues: IssueCollector): SecretRef | undefined {
  if (!config.name) {
    issues.at('name').error('a secret name is required');
    return undefined;
  }
  const cs = config.sds_config as Maybe<ConfigSourceInput>;
  const make = (source: SecretSource, ms = DEFAULT_INITIAL_FETCH_TIMEOUT_MS): SecretRef => ({ path: issues.path, name: config.name, source, sourceKey: sourceKey(source), initialFetchTimeoutMs: ms });
  if (!cs) return make({ kind: 'static' }, 0);
  const at = issues.at('sds_config');
  const ms = timeoutMs(cs.initial_fetch_timeout);
  const which = cs.config_source_specifier ?? (cs.ads ? 'ads' : cs.self ? 'self' : cs.api_config_source ? 'api_config_source' : cs.path ? 'path' : cs.path_config_source ? 'path_config_source' : undefined);
  if (which === 'ads' || which === 'self') return make({ kind: 'ads' }, ms);
  if (which !== 'api_config_source' || !cs.api_config_source) {
    at.error(which ? `SDS from ${which} is not supported (use ads or api_config_source GRPC)` : 'sds_config needs ads or api_config_source');
    return undefined;
  }
  const api = cs.api_config_source;
  const type = String(api.api_type ?? 'GRPC');
  if (type !== 'GRPC' && type !== '2') {
    at.at('api_config_source', 'api_type').error(`SDS api_type ${type} is not supported (GRPC: SecretDiscoveryService StreamSecrets)`);
    return undefined;
  }
  const services = api.grpc_services ?? [];
  if (services.length !== 1) {
    at.at('api_config_source', 'grpc_services').error('exactly one grpc_service is required');
    return undefined;
  }
  const svc = services[0]!;
  const cluster = svc.envoy_grpc?.cluster_name;
  const target = svc.google_grpc?.target_uri;
  if (cluster) return make({ kind: 'grpc', cluster }, ms);
  if (target) return make({ kind: 'grpc', target }, ms);
  at.at('api_config_source', 'grpc_services', 0).error('envoy_grpc.cluster_name or google_grpc.target_uri is required');
  return undefined;
}
