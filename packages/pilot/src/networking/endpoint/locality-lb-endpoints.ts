// Service instances → Envoy LocalityLbEndpoints: one group per locality, each endpoint weighted,
// each group weighted by the sum of its endpoints (Istio 1.3 eds.go / cluster.go).
import type { Endpoint, ServiceInstance } from '../../model/service.js';

/** Envoy caps a locality's weight; Istio rescales to at most 128 when a sum exceeds it. */
export const MAX_LOCALITY_WEIGHT = 128;

export interface LocalityObject {
  region?: string;
  zone?: string;
  sub_zone?: string;
}

export interface LbEndpointObject {
  endpoint: { address: { socket_address: { address: string; port_value: number } } };
  load_balancing_weight: { value: number };
  metadata?: { filter_metadata: Record<string, { fields: Record<string, { string_value: string }> }> };
}

export interface LocalityLbEndpointsObject {
  locality: LocalityObject;
  lb_endpoints: LbEndpointObject[];
  /** Required by gRPC's xDS client (grpc-js-xds drops localities without it), so always set. */
  load_balancing_weight: { value: number };
}

/** `region/zone/subzone` → core.v3.Locality; an endpoint without locality gets the empty one, as in Istio. */
export function localityOf(locality: string | undefined): LocalityObject {
  const [region, zone, subZone] = (locality ?? '').split('/');
  return { ...(region ? { region } : {}), ...(zone ? { zone } : {}), ...(subZone ? { sub_zone: subZone } : {}) };
}

/**
 * One LbEndpoint. Istio's metadata carries the workload UID (Kubernetes only) and network under
 * filter key `istio`; the network is what split-horizon EDS and telemetry read.
 */
export function lbEndpoint(endpoint: Endpoint): LbEndpointObject {
  const out: LbEndpointObject = {
    endpoint: { address: { socket_address: { address: endpoint.address, port_value: endpoint.port } } },
    load_balancing_weight: { value: endpoint.lbWeight && endpoint.lbWeight > 0 ? endpoint.lbWeight : 1 },
  };
  if (endpoint.network) out.metadata = { filter_metadata: { istio: { fields: { network: { string_value: endpoint.network } } } } };
  return out;
}

function compareEndpoints(a: LbEndpointObject, b: LbEndpointObject): number {
  const x = a.endpoint.address.socket_address;
  const y = b.endpoint.address.socket_address;
  return x.address < y.address ? -1 : x.address > y.address ? 1 : x.port_value - y.port_value;
}

/** Istio's LoadBalancingWeightNormalize: only when some locality exceeds 128, scale all to the 128 total (rounding up). */
function normalize(groups: LocalityLbEndpointsObject[]): void {
  if (!groups.some((g) => g.load_balancing_weight.value > MAX_LOCALITY_WEIGHT)) return;
  const total = groups.reduce((sum, g) => sum + g.load_balancing_weight.value, 0);
  for (const g of groups) g.load_balancing_weight = { value: Math.ceil((g.load_balancing_weight.value * MAX_LOCALITY_WEIGHT) / total) };
}

/** Groups the instances by locality; localities and endpoints are sorted so the output is deterministic. */
export function localityLbEndpoints(instances: readonly ServiceInstance[]): LocalityLbEndpointsObject[] {
  const byLocality = new Map<string, LbEndpointObject[]>();
  for (const instance of instances) {
    const key = instance.endpoint.locality ?? '';
    let list = byLocality.get(key);
    if (!list) byLocality.set(key, (list = []));
    list.push(lbEndpoint(instance.endpoint));
  }
  const groups = [...byLocality.keys()].sort().map((key) => {
    const eps = (byLocality.get(key) ?? []).sort(compareEndpoints);
    const weight = eps.reduce((sum, ep) => sum + ep.load_balancing_weight.value, 0);
    return { locality: localityOf(key), lb_endpoints: eps, load_balancing_weight: { value: weight } };
  });
  normalize(groups);
  return groups;
}
