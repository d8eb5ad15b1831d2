// ServiceEntry (+ WorkloadEntry selected by workloadSelector) → services and instances, as Istio's
// serviceentry conversion does: one Service per host, one instance per endpoint and service port.
import type { ServiceEntry, WorkloadEntry } from '@weft/api';
import type { Config, ConfigSet } from '../model/mesh-snapshot.js';
import { portProtocol } from '../model/protocol.js';
import { labelsMatch, type Endpoint, type Resolution, type Service, type ServiceInstance, type ServicePort } from '../model/service.js';
import type { RegistryView, ServiceRegistry } from './service-registry.js';

const RESOLUTION: Record<string, Resolution> = { NONE: 'Passthrough', STATIC: 'ClientSideLB', DNS: 'DNSLB' };

function exportSet(exportTo: readonly string[] | undefined, namespace: string): ReadonlySet<string> {
  if (!exportTo || exportTo.length === 0) return new Set(['*']);
  return new Set(exportTo.map((e) => (e === '.' ? namespace : e)));
}

function endpointOf(we: WorkloadEntry, port: ServicePort): Endpoint {
  return {
    address: we.address ?? '',
    port: we.ports?.[port.name] ?? port.port,
    servicePortName: port.name,
    labels: we.labels ?? {},
    ...(we.serviceAccount ? { serviceAccount: we.serviceAccount } : {}),
    ...(we.network ? { network: we.network } : {}),
    ...(we.locality ? { locality: we.locality } : {}),
    ...(we.weight ? { lbWeight: we.weight } : {}),
  };
}

function convert(se: Config<ServiceEntry>, workloadEntries: readonly Config<WorkloadEntry>[]): RegistryView {
  const spec = se.spec;
  const namespace = se.metadata.namespace;
  const ports: ServicePort[] = (spec.ports ?? []).map((p) => ({ name: p.name ?? '', port: p.number ?? 0, protocol: portProtocol(p.name, p.protocol) }));
  const resolution = RESOLUTION[spec.resolution ?? 'NONE'] ?? 'Passthrough';
  const selected = spec.workloadSelector?.labels
    ? workloadEntries.filter((we) => we.metadata.namespace === namespace && labelsMatch(spec.workloadSelector?.labels, we.spec.labels ?? {})).map((we) => we.spec)
    : [];
  const workloads = [...(spec.endpoints ?? []), ...selected];
  const services: Service[] = [];
  const instances: ServiceInstance[] = [];
  for (const host of spec.hosts ?? []) {
    const service: Service = {
      hostname: host,
      address: spec.addresses?.[0] ?? '0.0.0.0',
      ports,
      serviceAccounts: spec.subjectAltNames ?? [],
      meshExternal: spec.location === 'MESH_EXTERNAL',
      resolution,
      attributes: { registry: 'ServiceEntry', name: host, namespace, exportTo: exportSet(spec.exportTo, namespace) },
    };
    services.push(service);
    for (const port of ports) {
      if (workloads.length === 0 && resolution === 'DNSLB') {
        // DNS without endpoints: the host itself is resolved by the proxy.
        instances.push({ service, servicePort: port, endpoint: { address: host, port: port.port, servicePortName: port.name, labels: {} } });
      }
      for (const we of workloads) instances.push({ service, servicePort: port, endpoint: endpointOf(we, port) });
    }
  }
  return { services, instances };
}

export class ServiceEntryRegistry implements ServiceRegistry {
  readonly name = 'ServiceEntry';
  private readonly converted = new WeakMap<Config<ServiceEntry>, RegistryView>();

  view(configs: ConfigSet): RegistryView {
    const services: Service[] = [];
    const instances: ServiceInstance[] = [];
    // Oldest first: when two ServiceEntries define a host, the first keeps it (creation order).
    for (const se of configs.serviceEntries) {
      // An unchanged ServiceEntry (same object) converts to the same services and instances, unless
      // it selects WorkloadEntries, which may have changed.
      let v = se.spec.workloadSelector ? undefined : this.converted.get(se);
      if (!v) {
        v = convert(se, configs.workloadEntries);
        if (!se.spec.workloadSelector) this.converted.set(se, v);
      }
      services.push(...v.services);
      instances.push(...v.instances);
    }
    return { services, instances };
  }
}
