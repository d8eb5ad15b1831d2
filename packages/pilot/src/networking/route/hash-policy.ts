// Consistent-hash load balancing needs a hash key on the route (Istio 1.3 getHashPolicy and
// getHashPolicyByService): header, cookie, source IP or query parameter from the DestinationRule.
import type { ConsistentHashLB, Destination, PortTrafficPolicy, Route, TrafficPolicy } from '@weft/api';
import type { Service } from '../../model/service.js';
import { destinationRuleFor } from '../cluster/destination-rule-lookup.js';
import type { GeneratorContext } from '../generator.js';
import { durationOf } from './proto-values.js';

export type HashPolicy = NonNullable<NonNullable<Route['route']>['hash_policy']>[number];

/** The Envoy hash policy for one consistentHash setting (undefined when there is none). */
export function consistentHashPolicy(ch: ConsistentHashLB | undefined): HashPolicy | undefined {
  if (!ch) return undefined;
  if (ch.httpHeaderName) return { header: { header_name: ch.httpHeaderName } };
  if (ch.httpCookie) {
    const ttl = durationOf(ch.httpCookie.ttl);
    return {
      cookie: {
        name: ch.httpCookie.name ?? '',
        ...(ttl ? { ttl } : {}),
        ...(ch.httpCookie.path ? { path: ch.httpCookie.path } : {}),
      },
    };
  }
  if (ch.useSourceIp) return { connection_properties: { source_ip: true } };
  if (ch.httpQueryParameterName) return { query_parameter: { name: ch.httpQueryParameterName } };
  return undefined;
}

function portLevelHash(policies: PortTrafficPolicy[] | undefined, port: number | undefined): ConsistentHashLB | undefined {
  if (port === undefined) return undefined;
  return policies?.find((p) => p.port?.number === port)?.loadBalancer?.consistentHash;
}

/**
 * The most specific consistentHash for a destination: the subset's port-level setting, the subset's,
 * the rule's port-level setting, then the rule's own.
 */
export function consistentHashFor(policy: TrafficPolicy | undefined, subsetPolicy: TrafficPolicy | undefined, port: number | undefined): ConsistentHashLB | undefined {
  return (
    portLevelHash(subsetPolicy?.portLevelSettings, port) ??
    subsetPolicy?.loadBalancer?.consistentHash ??
    portLevelHash(policy?.portLevelSettings, port) ??
    policy?.loadBalancer?.consistentHash
  );
}

/** The hash policy from the DestinationRule that applies to `destination` (host already fully qualified). */
export function hashPolicyForDestination(ctx: GeneratorContext, destination: Destination, service: Service | undefined): HashPolicy | undefined {
  const host = destination.host ?? '';
  const rule = destinationRuleFor(ctx.scope.destinationRules, {
    proxyNamespace: ctx.proxy.namespace,
    hostname: host,
    serviceNamespace: service?.attributes.namespace ?? '',
    rootNamespace: ctx.snapshot.mesh.rootNamespace ?? 'istio-system',
    domainSuffix: ctx.snapshot.domainSuffix,
  });
  if (!rule) return undefined;
  const subset = destination.subset ? rule.spec.subsets?.find((s) => s.name === destination.subset) : undefined;
  return consistentHashPolicy(consistentHashFor(rule.spec.trafficPolicy, subset?.trafficPolicy, destination.port?.number));
}

/** The hash policy for a service port's default route (no VirtualService). */
export function hashPolicyForServicePort(ctx: GeneratorContext, service: Service, port: number): HashPolicy | undefined {
  return hashPolicyForDestination(ctx, { host: service.hostname, port: { number: port } }, service);
}
