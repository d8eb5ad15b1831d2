// Outbound clusters (Istio 1.3 buildOutboundClusters): `outbound|port||host` for every visible
// service port, plus `outbound|port|subset|host` for every subset of its DestinationRule.
import type { Cluster, DestinationRule, Subset } from '@weft/api';
import type { Config } from '../../model/mesh-snapshot.js';
import type { Proxy } from '../../model/proxy.js';
import { labelsMatch, type Service, type ServicePort } from '../../model/service.js';
import { localityLbEndpoints } from '../endpoint/locality-lb-endpoints.js';
import { outboundShareKey, sharedValue, type GeneratorContext } from '../generator.js';
import { dnsSrvSubsetKey, outboundClusterName } from '../names.js';
import { finishDraft, newDraft, setUpstreamProtocol, type ClusterDraft, type DiscoveryType } from './cluster-draft.js';
import { configMetadata, destinationRuleForService } from './destination-rule-lookup.js';
import { protoDuration } from './proto-duration.js';
import { applyTrafficPolicy, defaultTrafficPolicy } from './traffic-policy.js';

/** MeshConfig.dnsRefreshRate's default. */
const DEFAULT_DNS_REFRESH_RATE = '5s';

/**
 * Cluster type by resolution. Gateways have no original-destination listeners, so a Passthrough
 * service becomes an EDS cluster for them (as in Istio).
 */
export function outboundDiscoveryType(proxy: Proxy, service: Service): DiscoveryType {
  switch (service.resolution) {
    case 'ClientSideLB':
      return 'EDS';
    case 'DNSLB':
      return 'STRICT_DNS';
    case 'Passthrough':
      return proxy.type === 'sidecar' ? 'ORIGINAL_DST' : 'EDS';
  }
}

/**
 * Secure-naming identities for ISTIO_MUTUAL SAN checks: the service's own (ServiceEntry
 * subjectAltNames) plus the SPIFFE identity of every workload behind the port, sorted.
 */
export function serviceAccounts(ctx: GeneratorContext, service: Service, port: number): string[] {
  const trustDomain = ctx.snapshot.mesh.trustDomain || 'cluster.local';
  const out = new Set(service.serviceAccounts);
  for (const instance of ctx.snapshot.instances(service.hostname, port)) {
    const sa = instance.endpoint.serviceAccount;
    if (!sa) continue;
    out.add(sa.startsWith('spiffe://') ? sa : `spiffe://${trustDomain}/ns/${service.attributes.namespace}/sa/${sa}`);
  }
  return [...out].sort();
}

interface ClusterInput {
  readonly ctx: GeneratorContext;
  readonly service: Service;
  readonly port: ServicePort;
  readonly rule: Config<DestinationRule> | undefined;
  readonly subset?: Subset;
}

/** Istio's buildDefaultCluster: type, DNS settings, static endpoints, then the default policy. */
function baseDraft({ ctx, service, port, subset }: ClusterInput, type: DiscoveryType): ClusterDraft {
  const name = outboundClusterName(port.port, service.hostname, subset?.name ?? '');
  const draft = newDraft(name, type, 'outbound');
  const mesh = ctx.snapshot.mesh;
  if (type === 'STRICT_DNS') {
    const c = draft.cluster;
    c.dns_lookup_family = 'V4_ONLY';
    c.dns_refresh_rate = protoDuration(mesh.dnsRefreshRate ?? DEFAULT_DNS_REFRESH_RATE) ?? null;
    c.respect_dns_ttl = true;
    // DNS clusters carry their endpoints (host names) inline; a subset keeps only its labelled ones.
    const instances = ctx.snapshot.instances(service.hostname, port.port).filter((i) => labelsMatch(subset?.labels, i.endpoint.labels));
    c.load_assignment = { cluster_name: name, endpoints: localityLbEndpoints(instances) };
  }
  applyTrafficPolicy(draft, defaultTrafficPolicy(mesh, type), { mesh });
  setUpstreamProtocol(draft, port.protocol, 'outbound');
  return draft;
}

/** The rule's policy, then the subset's on top: subset components replace the rule's one by one. */
function clusterFor(input: ClusterInput, type: DiscoveryType): Cluster & { name: string } {
  const { ctx, service, port, rule, subset } = input;
  const draft = baseDraft(input, type);
  if (rule) {
    const options = {
      mesh: ctx.snapshot.mesh,
      port,
      tls: {
        istioMutualSni: dnsSrvSubsetKey(port.port, service.hostname, subset?.name ?? ''),
        serviceAccounts: serviceAccounts(ctx, service, port.port),
        proxy: ctx.proxy,
      },
    };
    applyTrafficPolicy(draft, rule.spec.trafficPolicy, options);
    if (subset) applyTrafficPolicy(draft, subset.trafficPolicy, options);
    draft.cluster.metadata = configMetadata(rule);
  }
  return finishDraft(draft);
}

/** The clusters of one service port: the service-wide one first, then one per subset. */
export function outboundClustersForPort(ctx: GeneratorContext, service: Service, port: ServicePort): (Cluster & { name: string })[] {
  const rule = destinationRuleForService(ctx, service);
  const type = outboundDiscoveryType(ctx.proxy, service);
  const clusters = [clusterFor({ ctx, service, port, rule }, type)];
  for (const subset of rule?.spec.subsets ?? []) {
    if (subset.name) clusters.push(clusterFor({ ctx, service, port, rule, subset }, type));
  }
  return clusters;
}

/** Every outbound cluster of the services the proxy sees; UDP ports have none. */
export function outboundClusters(ctx: GeneratorContext): readonly (Cluster & { name: string })[] {
  // Shared by every proxy with the same outbound scope within one push (not to be mutated).
  return sharedValue(ctx, `cds.outbound|${outboundShareKey(ctx)}`, () => buildOutboundClusters(ctx));
}

function buildOutboundClusters(ctx: GeneratorContext): (Cluster & { name: string })[] {
  return ctx.scope.services.flatMap((service) =>
    service.ports.filter((p) => p.protocol !== 'UDP').flatMap((port) => outboundClustersForPort(ctx, service, port)),
  );
}
