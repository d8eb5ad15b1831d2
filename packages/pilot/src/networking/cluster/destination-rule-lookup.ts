// Which DestinationRule applies to a service for a proxy (Istio 1.3 PushContext.DestinationRule):
// the proxy's namespace first, then the service's namespace, then the root namespace.
import { hostsMatch, type Cluster, type DestinationRule, type Subset } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import type { Service } from '../../model/service.js';
import type { GeneratorContext } from '../generator.js';

export interface DestinationRuleQuery {
  /** The proxy's config namespace. */
  readonly proxyNamespace: string;
  readonly hostname: string;
  /** Namespace of the registry object that defined the service. */
  readonly serviceNamespace: string;
  /** MeshConfig.rootNamespace (`istio-system`). */
  readonly rootNamespace: string;
  /** `cluster.local`: short hosts resolve to `<host>.<rule namespace>.svc.<suffix>`. */
  readonly domainSuffix: string;
}

/**
 * The host a rule applies to, fully qualified: a name without dots is relative to the rule's
 * namespace (`reviews` in `default` → `reviews.default.svc.cluster.local`); `*` stays as is.
 */
export function destinationRuleHost(rule: Config<DestinationRule>, domainSuffix: string): string {
  const host = rule.spec.host ?? '';
  if (host === '*' || host.includes('.')) return host;
  return `${host}.${rule.metadata.namespace}.svc.${domainSuffix}`;
}

/** `exportTo: ["."]` keeps a rule private to its namespace; no exportTo means the mesh default (`*`). */
function isPrivate(rule: Config<DestinationRule>): boolean {
  const exportTo = rule.spec.exportTo ?? [];
  return exportTo.length > 0 && exportTo.every((e) => e === '.' || e === rule.metadata.namespace);
}

/** Istio sorts hosts non-wildcard first, then longer first; the first that matches wins. */
function specificity(host: string, hostname: string): number {
  if (host === hostname) return Number.MAX_SAFE_INTEGER;
  return (host.startsWith('*') ? 0 : 1_000_000) + host.length;
}

/**
 * Istio's MostSpecificHostMatch: an exact host wins; otherwise the most specific host that
 * matches (wildcards included). Among rules for the same host, the first in config order wins.
 */
function mostSpecific(
  rules: readonly Config<DestinationRule>[],
  hostname: string,
  domainSuffix: string,
): Config<DestinationRule> | undefined {
  let best: { rule: Config<DestinationRule>; score: number } | undefined;
  for (const rule of rules) {
    const host = destinationRuleHost(rule, domainSuffix);
    if (host !== hostname && !hostsMatch(host, hostname)) continue;
    const score = specificity(host, hostname);
    if (!best || score > best.score) best = { rule, score };
  }
  return best?.rule;
}

/**
 * Picks the rule for `query.hostname` from the rules visible to the proxy (the sidecar scope's list):
 * 1. any rule in the proxy's namespace, unless that namespace is the root namespace (so a
 *    catch-all rule there does not shadow service-specific ones for gateways in istio-system);
 * 2. a non-private rule in the service's namespace;
 * 3. a non-private rule in the root namespace.
 */
export function destinationRuleFor(
  rules: readonly Config<DestinationRule>[],
  query: DestinationRuleQuery,
): Config<DestinationRule> | undefined {
  const inNamespace = (ns: string, publicOnly: boolean) =>
    rules.filter((r) => r.metadata.namespace === ns && (!publicOnly || !isPrivate(r)));
  const steps: (readonly Config<DestinationRule>[])[] = [];
  if (query.proxyNamespace !== query.rootNamespace) steps.push(inNamespace(query.proxyNamespace, false));
  if (query.serviceNamespace) steps.push(inNamespace(query.serviceNamespace, true));
  steps.push(inNamespace(query.rootNamespace, true));
  for (const candidates of steps) {
    const hit = mostSpecific(candidates, query.hostname, query.domainSuffix);
    if (hit) return hit;
  }
  return undefined;
}

/** The rule for a service as seen by the proxy of `ctx`. */
export function destinationRuleForService(ctx: GeneratorContext, service: Service): Config<DestinationRule> | undefined {
  return destinationRuleFor(ctx.scope.destinationRules, {
    proxyNamespace: ctx.proxy.namespace,
    hostname: service.hostname,
    serviceNamespace: service.attributes.namespace,
    rootNamespace: ctx.snapshot.mesh.rootNamespace ?? 'istio-system',
    domainSuffix: ctx.snapshot.domainSuffix,
  });
}

export function findSubset(rule: Config<DestinationRule> | undefined, name: string): Subset | undefined {
  return rule?.spec.subsets?.find((s) => s.name === name);
}

/** `/apis/networking.istio.io/v1alpha3/namespaces/<ns>/destination-rule/<name>`: the config path Istio puts in cluster metadata. */
export function destinationRuleConfigPath(rule: Config<DestinationRule>): string {
  return `/apis/networking.istio.io/v1alpha3/namespaces/${rule.metadata.namespace}/destination-rule/${rule.metadata.name}`;
}

/** `filter_metadata.istio.config`: which DestinationRule shaped a cluster (shown by istioctl). */
export function configMetadata(rule: Config<DestinationRule>): NonNullable<Cluster['metadata']> {
  return { filter_metadata: { istio: { fields: { config: { string_value: destinationRuleConfigPath(rule) } } } } };
}
