// The immutable input of one push (Istio's PushContext): services, endpoints and config, indexed.
// Built once per full push; generators read it and never change it.
import type { ConfigObject, DestinationRule, Gateway, MeshConfig, ServiceEntry, Sidecar, VirtualService, WorkloadEntry } from '@weft/api';
import type { Service, ServiceInstance } from './service.js';

export type Config<S> = ConfigObject<S> & { readonly metadata: { readonly name: string; readonly namespace: string } };

/** Config objects by kind, each with name and namespace filled in. */
export interface ConfigSet {
  readonly virtualServices: readonly Config<VirtualService>[];
  readonly destinationRules: readonly Config<DestinationRule>[];
  readonly gateways: readonly Config<Gateway>[];
  readonly serviceEntries: readonly Config<ServiceEntry>[];
  readonly workloadEntries: readonly Config<WorkloadEntry>[];
  readonly sidecars: readonly Config<Sidecar>[];
}

export const EMPTY_CONFIG_SET: ConfigSet = {
  virtualServices: [],
  destinationRules: [],
  gateways: [],
  serviceEntries: [],
  workloadEntries: [],
  sidecars: [],
};

export interface MeshSnapshotInput {
  readonly version: string;
  readonly mesh: MeshConfig;
  /** DNS suffix of the cluster, `cluster.local` by default (`--domain`). */
  readonly domainSuffix: string;
  readonly configs: ConfigSet;
  readonly services: readonly Service[];
  readonly instances: readonly ServiceInstance[];
}

export class MeshSnapshot {
  readonly version: string;
  readonly mesh: MeshConfig;
  readonly domainSuffix: string;
  readonly configs: ConfigSet;
  /** Sorted by hostname, so generated output is deterministic. */
  readonly services: readonly Service[];
  private readonly byHost: ReadonlyMap<string, Service>;
  private readonly instancesByHostPort: ReadonlyMap<string, readonly ServiceInstance[]>;
  /** Indexes built on first use (the snapshot itself is frozen). */
  private readonly lazy: { all?: readonly ServiceInstance[]; byAddress?: Map<string, ServiceInstance[]> } = {};

  constructor(input: MeshSnapshotInput) {
    this.version = input.version;
    this.mesh = input.mesh;
    this.domainSuffix = input.domainSuffix;
    this.configs = input.configs;
    this.services = [...input.services].sort((a, b) => (a.hostname < b.hostname ? -1 : a.hostname > b.hostname ? 1 : 0));
    this.byHost = new Map(this.services.map((s) => [s.hostname, s]));
    const instances = new Map<string, ServiceInstance[]>();
    for (const i of input.instances) {
      const key = `${i.service.hostname}|${i.servicePort.port}`;
      let list = instances.get(key);
      if (!list) instances.set(key, (list = []));
      list.push(i);
    }
    this.instancesByHostPort = instances;
    Object.freeze(this);
  }

  service(hostname: string): Service | undefined {
    return this.byHost.get(hostname);
  }

  /** Endpoints of one service port, in registry order. */
  instances(hostname: string, port: number): readonly ServiceInstance[] {
    return this.instancesByHostPort.get(`${hostname}|${port}`) ?? [];
  }

  /** Every instance, for /debug/endpointz and inbound generation (built once). */
  allInstances(): readonly ServiceInstance[] {
    return (this.lazy.all ??= [...this.instancesByHostPort.values()].flat());
  }

  /** The instances whose endpoint address is `address`, in allInstances() order (built once). */
  instancesAt(address: string): readonly ServiceInstance[] {
    let byAddress = this.lazy.byAddress;
    if (!byAddress) {
      byAddress = new Map();
      for (const i of this.allInstances()) {
        let list = byAddress.get(i.endpoint.address);
        if (!list) byAddress.set(i.endpoint.address, (list = []));
        list.push(i);
      }
      this.lazy.byAddress = byAddress;
    }
    return byAddress.get(address) ?? [];
  }

  /** Services a proxy in `namespace` may see (exportTo `*`, or its own namespace). */
  visibleServices(namespace: string): readonly Service[] {
    return this.services.filter((s) => s.attributes.exportTo.has('*') || s.attributes.exportTo.has(namespace));
  }
}
