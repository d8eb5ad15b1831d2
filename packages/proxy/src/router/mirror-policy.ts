// request_mirror_policies (Envoy's shadow policies): a route's own, else its virtual host's, else the
// route configuration's. Sampling is left to the router filter, which has the stream's random value.
import type { IssueCollector } from '@weft/base';
import type { MirrorPolicyConfig } from './config-types.js';
import { ALWAYS, perMillion, runtimeFractionOf } from './fractional-percent.js';
import type { HeaderSource } from './request-head.js';

export interface MirrorPolicy {
  readonly cluster: string;
  /** Share of requests to mirror, parts per million; 100% when runtime_fraction is unset. */
  readonly fractionPerMillion: number;
  /** Envoy appends `-shadow` to the mirrored request's host unless disabled. */
  readonly appendShadowSuffix: boolean;
  readonly traceSampled?: boolean;
}

/** A mirror whose cluster is read from a request header at routing time. */
export interface CompiledMirror {
  readonly fixed?: MirrorPolicy;
  readonly clusterHeader?: string;
  readonly template: Omit<MirrorPolicy, 'cluster'>;
}

export function compileMirrors(configs: readonly MirrorPolicyConfig[], issues: IssueCollector): CompiledMirror[] {
  return configs.map((c, i) => {
    const at = issues.at(i);
    if (Boolean(c.cluster) === Boolean(c.cluster_header)) at.error('exactly one of cluster and cluster_header is required');
    const template = {
      fractionPerMillion: perMillion(runtimeFractionOf(c.runtime_fraction, ALWAYS)),
      appendShadowSuffix: !c.disable_shadow_host_suffix_append,
      ...(c.trace_sampled ? { traceSampled: c.trace_sampled.value } : {}),
    };
    return c.cluster
      ? { fixed: { cluster: c.cluster, ...template }, template }
      : { clusterHeader: c.cluster_header.toLowerCase(), template };
  });
}

/** True when any mirror needs the request to name its cluster. */
export function mirrorsAreDynamic(mirrors: readonly CompiledMirror[]): boolean {
  return mirrors.some((m) => m.fixed === undefined);
}

/** The mirrors of one request; a header-named mirror whose header is absent is skipped, as in Envoy. */
export function resolveMirrors(mirrors: readonly CompiledMirror[], head: HeaderSource): MirrorPolicy[] {
  const out: MirrorPolicy[] = [];
  for (const m of mirrors) {
    if (m.fixed) {
      out.push(m.fixed);
      continue;
    }
    const cluster = m.clusterHeader ? head.header(m.clusterHeader) : undefined;
    if (cluster) out.push({ cluster, ...m.template });
  }
  return out;
}
