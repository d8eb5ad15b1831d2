// What a new MeshSnapshot changes compared with the one last pushed, and so how much must be pushed
// (Istio's ServiceEntry controller deciding between an EDS update and a full push). Pure.
import { TypeUrl } from '@weft/api';
import type { MeshSnapshot } from '../model/mesh-snapshot.js';
import type { Service, ServiceInstance } from '../model/service.js';

export type PushScope =
  /** Only the endpoints of these hosts changed: only their ClusterLoadAssignments need regenerating. */
  | { readonly full: false; readonly edsUpdates: ReadonlySet<string> }
  /**
   * Something else changed (or may have). `types`: the only types that can differ (a change of
   * VirtualServices or Gateways alone leaves clusters and endpoints as they are); absent: all.
   */
  | { readonly full: true; readonly reason: string; readonly types?: ReadonlySet<string> };

/** What a change of only VirtualServices and Gateways can change: neither CDS nor EDS reads them. */
const ROUTING_TYPES: ReadonlySet<string> = new Set([TypeUrl.Listener, TypeUrl.RouteConfiguration]);

function serviceKey(s: Service): string {
  return JSON.stringify([s.hostname, s.address, s.ports, s.serviceAccounts, s.meshExternal, s.resolution, s.attributes.registry, s.attributes.name, s.attributes.namespace, [...s.attributes.exportTo].sort()]);
}

function instancesByHost(mesh: MeshSnapshot): Map<string, ServiceInstance[]> {
  const out = new Map<string, ServiceInstance[]>();
  for (const i of mesh.allInstances()) {
    let list = out.get(i.service.hostname);
    if (!list) out.set(i.service.hostname, (list = []));
    list.push(i);
  }
  return out;
}

function endpointsKey(list: readonly ServiceInstance[] | undefined): string {
  return JSON.stringify((list ?? []).map((i) => [i.servicePort.port, i.endpoint]));
}

/** The kinds compared as config; ServiceEntries and WorkloadEntries reach generation only as services and instances. */
function changedKinds(previous: MeshSnapshot, next: MeshSnapshot): string[] {
  const a = previous.configs;
  const b = next.configs;
  const kinds: [string, readonly unknown[], readonly unknown[]][] = [
    ['VirtualService', a.virtualServices, b.virtualServices],
    ['DestinationRule', a.destinationRules, b.destinationRules],
    ['Gateway', a.gateways, b.gateways],
    ['Sidecar', a.sidecars, b.sidecars],
  ];
  return kinds.filter(([, x, y]) => !sameObjects(x, y) && JSON.stringify(x) !== JSON.stringify(y)).map(([k]) => k);
}

/** The same objects in the same order: what did not change keeps its objects (configSetFrom, the ServiceEntry registry). */
function sameObjects(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (a === b) return true;
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function sameServices(previous: MeshSnapshot, next: MeshSnapshot): boolean {
  if (previous.services.length !== next.services.length) return false;
  for (let i = 0; i < next.services.length; i++) {
    const a = previous.services[i]!;
    const b = next.services[i]!;
    if (a !== b && serviceKey(a) !== serviceKey(b)) return false;
  }
  return true;
}

/**
 * An endpoint-only push is safe when config and services are unchanged and, for every host whose
 * endpoints changed, nothing but its ClusterLoadAssignments reads them:
 * - a DNS service carries its endpoints inline in the Cluster (STRICT_DNS), so CDS changes;
 * - the workloads' service accounts feed the ISTIO_MUTUAL SAN list of the Cluster;
 * - an endpoint at a connected proxy's address is that proxy's own inbound (LDS, CDS).
 * `proxyAddresses`: every IP of every connected proxy.
 */
export function pushScope(previous: MeshSnapshot | undefined, next: MeshSnapshot, proxyAddresses: ReadonlySet<string>): PushScope {
  if (!previous) return { full: true, reason: 'first push' };
  if ((previous.mesh !== next.mesh && JSON.stringify(previous.mesh) !== JSON.stringify(next.mesh)) || previous.domainSuffix !== next.domainSuffix) return { full: true, reason: 'mesh config' };
  const kinds = changedKinds(previous, next);
  const services = sameServices(previous, next);
  if (kinds.length > 0) {
    const reason = `config (${kinds.join(', ')})`;
    const routingOnly = services && kinds.every((k) => k === 'VirtualService' || k === 'Gateway') && changedEndpoints(previous, next).length === 0;
    return routingOnly ? { full: true, reason, types: ROUTING_TYPES } : { full: true, reason };
  }
  if (!services) return { full: true, reason: 'services' };
  const edsUpdates = new Set<string>();
  for (const { host, old, now } of changedEndpoints(previous, next)) {
    const service = next.service(host);
    if (!service || service.resolution === 'DNSLB') return { full: true, reason: `endpoints of DNS service ${host}` };
    const accounts = (list: readonly ServiceInstance[] | undefined) => JSON.stringify([...new Set((list ?? []).map((i) => `${i.servicePort.port}|${i.endpoint.serviceAccount ?? ''}`))].sort());
    if (accounts(old) !== accounts(now)) return { full: true, reason: `service accounts of ${host}` };
    for (const i of [...(old ?? []), ...(now ?? [])]) {
      if (proxyAddresses.has(i.endpoint.address)) return { full: true, reason: `endpoint of a connected proxy (${i.endpoint.address})` };
    }
    edsUpdates.add(host);
  }
  return { full: false, edsUpdates };
}

/** The hosts whose endpoints differ between the two snapshots, with their instances before and after. */
function changedEndpoints(previous: MeshSnapshot, next: MeshSnapshot): { host: string; old?: ServiceInstance[]; now?: ServiceInstance[] }[] {
  const before = instancesByHost(previous);
  const after = instancesByHost(next);
  const out: { host: string; old?: ServiceInstance[]; now?: ServiceInstance[] }[] = [];
  for (const host of new Set([...before.keys(), ...after.keys()])) {
    const old = before.get(host);
    const now = after.get(host);
    if (sameObjects(old, now) || endpointsKey(old) === endpointsKey(now)) continue;
    out.push({ host, ...(old ? { old } : {}), ...(now ? { now } : {}) });
  }
  return out;
}
