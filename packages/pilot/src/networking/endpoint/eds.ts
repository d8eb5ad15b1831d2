// The EDS generator (Istio 1.3 loadAssignmentsForClusterIsolated): one ClusterLoadAssignment per
// requested cluster: the service port's endpoints, filtered by the subset's labels, by locality.
import type { ClusterLoadAssignment } from '@weft/api';
import { findPort, labelsMatch, type Service } from '../../model/service.js';
import { edsClusterNames } from '../cluster/cds.js';
import { destinationRuleForService, findSubset } from '../cluster/destination-rule-lookup.js';
import { outboundShareKey, sharedValue, type Generator, type GeneratorContext, type GeneratedResource } from '../generator.js';
import type { SidecarScope } from '../sidecar-scope.js';
import { parseClusterName } from '../names.js';
import { localityLbEndpoints } from './locality-lb-endpoints.js';

export const CLUSTER_LOAD_ASSIGNMENT_TYPE = 'envoy.config.endpoint.v3.ClusterLoadAssignment';

type NamedAssignment = ClusterLoadAssignment & { cluster_name: string };

/** The scope's services by host name (the first of each), built once per scope. */
const servicesByHost = new WeakMap<SidecarScope, Map<string, Service>>();

/** The service a cluster name refers to: the one the proxy sees, else any with that host name. */
function serviceFor(ctx: GeneratorContext, host: string): Service | undefined {
  let byHost = servicesByHost.get(ctx.scope);
  if (!byHost) {
    byHost = new Map();
    for (const s of ctx.scope.services) if (!byHost.has(s.hostname)) byHost.set(s.hostname, s);
    servicesByHost.set(ctx.scope, byHost);
  }
  return byHost.get(host) ?? ctx.snapshot.service(host);
}

/**
 * The load assignment of one cluster. A name that is not an outbound cluster, or whose service,
 * port or subset is unknown, gets an assignment with no endpoints: Envoy waits for an answer to
 * every name it asked for, and an empty one is the honest answer.
 * (Istio 1.3 would send all endpoints for an unknown subset; we send none.)
 */
export function loadAssignment(ctx: GeneratorContext, clusterName: string): NamedAssignment {
  const empty: NamedAssignment = { cluster_name: clusterName, endpoints: [] };
  const key = parseClusterName(clusterName);
  if (!key || key.direction !== 'outbound') return empty;
  const service = serviceFor(ctx, key.host);
  const port = service && findPort(service, key.port);
  if (!service || !port) return empty;
  let labels: Readonly<Record<string, string>> | undefined;
  if (key.subset) {
    const subset = findSubset(destinationRuleForService(ctx, service), key.subset);
    if (!subset) return empty;
    labels = subset.labels;
  }
  const instances = ctx.snapshot
    .instances(service.hostname, port.port)
    .filter((i) => i.endpoint.servicePortName === port.name && labelsMatch(labels, i.endpoint.labels));
  return { cluster_name: clusterName, endpoints: localityLbEndpoints(instances) };
}

/**
 * EDS for the requested cluster names (deduplicated, sorted); with none requested, every EDS
 * cluster the proxy gets from CDS.
 */
export const edsGenerator: Generator = (ctx, names): GeneratedResource[] => {
  // What an assignment reads of the proxy is in the outbound share key: within a push, proxies
  // with the same key share each generated assignment (and so its encoding).
  const key = outboundShareKey(ctx);
  const one = (name: string): GeneratedResource =>
    sharedValue(ctx, `eds|${key}|${name}`, () => ({ name, messageType: CLUSTER_LOAD_ASSIGNMENT_TYPE, resource: loadAssignment(ctx, name) }));
  if (names && names.length > 0) return [...new Set(names)].sort().map(one);
  return sharedValue(ctx, `eds.all|${key}`, () => edsClusterNames(ctx).map(one));
};

/**
 * The cluster names among `clusterNames` whose endpoints come from one of `hostnames`: what an
 * incremental EDS push (PushRequest.EdsUpdates) must resend to a proxy watching `clusterNames`.
 */
export function clustersForHostnames(clusterNames: Iterable<string>, hostnames: Iterable<string>): string[] {
  const hosts = new Set(hostnames);
  const out: string[] = [];
  for (const name of clusterNames) {
    const key = parseClusterName(name);
    if (key?.direction === 'outbound' && hosts.has(key.host)) out.push(name);
  }
  return out.sort();
}
