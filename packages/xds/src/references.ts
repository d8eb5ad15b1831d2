// Which RDS/EDS names a Listener or Cluster needs: the input to Snapshot.consistent().
import { TypeUrl, type ProtoRegistry, type AnyMessage } from '@weft/api';

const HCM_TYPE = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const HCM_NAMES = new Set(['envoy.filters.network.http_connection_manager', 'envoy.http_connection_manager']);

/**
 * What a resource refers to in another type: listeners name RouteConfigurations (RDS), EDS clusters
 * name ClusterLoadAssignments. `notes` records what could not be inspected (scoped routes, custom
 * cluster types, undecodable configs): the check stays permissive there, but says so.
 */
export interface ResourceReferences {
  readonly typeUrl: string;
  readonly names: readonly string[];
  readonly notes: readonly string[];
}

type Obj = Record<string, unknown>;

function asObj(v: unknown): Obj | undefined {
  return v !== null && typeof v === 'object' ? (v as Obj) : undefined;
}

function asArray(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(asObj).filter((x): x is Obj => x !== undefined) : [];
}

function isAny(v: Obj | undefined): v is Obj & AnyMessage {
  return v !== undefined && typeof v['type_url'] === 'string' && v['value'] instanceof Uint8Array;
}

/** Routes named by one HttpConnectionManager config (already decoded). */
function hcmRoutes(hcm: Obj, where: string, names: Set<string>, notes: string[]): void {
  const rds = asObj(hcm['rds']);
  const routeName = rds?.['route_config_name'];
  if (typeof routeName === 'string' && routeName !== '') names.add(routeName);
  else if (asObj(hcm['scoped_routes'])) notes.push(`${where}: scoped_routes not inspected`);
}

function filterRoutes(registry: ProtoRegistry, filter: Obj, where: string, names: Set<string>, notes: string[]): void {
  const typed = asObj(filter['typed_config']);
  if (isAny(typed)) {
    if (typed.type_url !== HCM_TYPE) return;
    try {
      hcmRoutes(registry.unpack(typed), where, names, notes);
    } catch (e) {
      notes.push(`${where}: HttpConnectionManager not decodable (${(e as Error).message})`);
    }
  } else if (HCM_NAMES.has(String(filter['name']))) {
    notes.push(`${where}: HttpConnectionManager without typed_config not inspected`);
  }
}

/** RouteConfiguration names a decoded Listener needs through RDS (filter chains and api_listener). */
export function listenerReferences(registry: ProtoRegistry, listener: Obj): ResourceReferences {
  const names = new Set<string>();
  const notes: string[] = [];
  const chains = asArray(listener['filter_chains']);
  const defaultChain = asObj(listener['default_filter_chain']);
  if (defaultChain) chains.push(defaultChain);
  chains.forEach((chain, i) => {
    asArray(chain['filters']).forEach((filter, j) => {
      filterRoutes(registry, filter, `filter_chains[${i}].filters[${j}]`, names, notes);
    });
  });
  const api = asObj(asObj(listener['api_listener'])?.['api_listener']);
  if (api) filterRoutes(registry, { typed_config: api }, 'api_listener', names, notes);
  return { typeUrl: TypeUrl.RouteConfiguration, names: [...names], notes };
}

/** ClusterLoadAssignment name a decoded Cluster needs: EDS clusters only, service_name or else name. */
export function clusterReferences(cluster: Obj): ResourceReferences {
  const notes: string[] = [];
  const custom = asObj(cluster['cluster_type']);
  if (custom) {
    notes.push(`cluster ${String(cluster['name'])}: custom cluster_type ${String(custom['name'])} not inspected`);
    return { typeUrl: TypeUrl.ClusterLoadAssignment, names: [], notes };
  }
  const type = cluster['type'];
  if (type !== 'EDS' && type !== 3) return { typeUrl: TypeUrl.ClusterLoadAssignment, names: [], notes };
  const serviceName = asObj(cluster['eds_cluster_config'])?.['service_name'];
  const name = typeof serviceName === 'string' && serviceName !== '' ? serviceName : String(cluster['name']);
  return { typeUrl: TypeUrl.ClusterLoadAssignment, names: [name], notes };
}
