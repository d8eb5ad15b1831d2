// Groups validated config objects by kind, with namespaces defaulted, into the ConfigSet a snapshot holds.
import type { DestinationRule, Gateway, IstioConfig, ServiceEntry, Sidecar, VirtualService, WorkloadEntry } from '@weft/api';
import type { Config, ConfigSet } from '../model/mesh-snapshot.js';

/** Sorted by namespace/name so that every snapshot built from the same config is identical. */
function byKey<S>(list: Config<S>[]): Config<S>[] {
  const key = (c: Config<S>) => `${c.metadata.namespace}/${c.metadata.name}`;
  return list.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

const normalized = new WeakMap<IstioConfig, Config<unknown>>();

export function configSetFrom(configs: readonly IstioConfig[], defaultNamespace = 'default'): ConfigSet {
  const out = {
    virtualServices: [] as Config<VirtualService>[],
    destinationRules: [] as Config<DestinationRule>[],
    gateways: [] as Config<Gateway>[],
    serviceEntries: [] as Config<ServiceEntry>[],
    workloadEntries: [] as Config<WorkloadEntry>[],
    sidecars: [] as Config<Sidecar>[],
  };
  for (const c of configs) {
    if (!c.apiVersion.startsWith('networking.istio.io/')) continue;
    // The same input object gives the same config object, push after push: what did not change keeps
    // its identity, so later stages (registries, the push scope) can skip it cheaply.
    let withNs = normalized.get(c);
    if (!withNs || withNs.metadata.namespace !== (c.metadata.namespace ?? defaultNamespace)) {
      withNs = { ...c, metadata: { ...c.metadata, name: c.metadata.name ?? '', namespace: c.metadata.namespace ?? defaultNamespace } };
      normalized.set(c, withNs);
    }
    switch (c.kind) {
      case 'VirtualService':
        out.virtualServices.push(withNs as Config<VirtualService>);
        break;
      case 'DestinationRule':
        out.destinationRules.push(withNs as Config<DestinationRule>);
        break;
      case 'Gateway':
        out.gateways.push(withNs as Config<Gateway>);
        break;
      case 'ServiceEntry':
        out.serviceEntries.push(withNs as Config<ServiceEntry>);
        break;
      case 'WorkloadEntry':
        out.workloadEntries.push(withNs as Config<WorkloadEntry>);
        break;
      case 'Sidecar':
        out.sidecars.push(withNs as Config<Sidecar>);
        break;
      default:
        break;
    }
  }
  return {
    virtualServices: byKey(out.virtualServices),
    destinationRules: byKey(out.destinationRules),
    gateways: byKey(out.gateways),
    serviceEntries: byKey(out.serviceEntries),
    workloadEntries: byKey(out.workloadEntries),
    sidecars: byKey(out.sidecars),
  };
}
