// The seam between Pilot and where services come from (Istio's ServiceDiscovery), owned by Pilot.
import type { ConfigSet } from '../model/mesh-snapshot.js';
import type { Service, ServiceInstance } from '../model/service.js';

export interface RegistryView {
  readonly services: readonly Service[];
  readonly instances: readonly ServiceInstance[];
}

/**
 * A service registry. `view` is pure: the same config gives the same services, so a snapshot can
 * be rebuilt at any time. Registries that watch something (Kubernetes) call `onChange`.
 */
export interface ServiceRegistry {
  readonly name: string;
  view(configs: ConfigSet): RegistryView;
}

/** Combines registries; the first one to define a hostname wins (as Istio's aggregate controller). */
export function aggregateView(registries: readonly ServiceRegistry[], configs: ConfigSet): RegistryView {
  const services: Service[] = [];
  const instances: ServiceInstance[] = [];
  const seen = new Set<string>();
  for (const r of registries) {
    const view = r.view(configs);
    const mine = new Set<Service>();
    for (const s of view.services) {
      if (seen.has(s.hostname)) continue;
      seen.add(s.hostname);
      services.push(s);
      mine.add(s);
    }
    for (const i of view.instances) if (mine.has(i.service)) instances.push(i);
  }
  return { services, instances };
}
