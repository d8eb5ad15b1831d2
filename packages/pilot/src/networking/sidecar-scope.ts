// Which services, VirtualServices and DestinationRules one proxy sees (Istio's SidecarScope, 1.1+).
import { hostsMatch, type DestinationRule, type OutboundTrafficPolicy, type Sidecar, type VirtualService } from '@weft/api';
import type { Config, MeshSnapshot } from '../model/mesh-snapshot.js';
import type { Proxy } from '../model/proxy.js';
import { labelsMatch, type Service } from '../model/service.js';

export interface SidecarScope {
  /** The Sidecar resource in force, if any. */
  readonly sidecar?: Config<Sidecar>;
  /** Visible services, sorted by hostname. */
  readonly services: readonly Service[];
  readonly virtualServices: readonly Config<VirtualService>[];
  readonly destinationRules: readonly Config<DestinationRule>[];
  readonly outboundTrafficPolicy: OutboundTrafficPolicy;
}

/** `namespace/name` of the Sidecar in force, '' for none: what tells scopes apart, in sharing keys. */
export function sidecarKey(sidecar: Config<Sidecar> | undefined): string {
  return sidecar ? `${sidecar.metadata.namespace}/${sidecar.metadata.name}` : '';
}

/** The Sidecar for a proxy: workload-selector match in its namespace, else the namespace default, else the root namespace default. */
export function selectSidecar(snapshot: MeshSnapshot, proxy: Proxy): Config<Sidecar> | undefined {
  const inNs = snapshot.configs.sidecars.filter((s) => s.metadata.namespace === proxy.namespace);
  const selected = inNs.find((s) => s.spec.workloadSelector?.labels && labelsMatch(s.spec.workloadSelector.labels, proxy.labels));
  if (selected) return selected;
  const nsDefault = inNs.find((s) => !s.spec.workloadSelector?.labels);
  if (nsDefault) return nsDefault;
  const root = snapshot.mesh.rootNamespace ?? 'istio-system';
  return snapshot.configs.sidecars.find((s) => s.metadata.namespace === root && !s.spec.workloadSelector?.labels);
}

/** `ns/host` egress patterns of a Sidecar, with `.` resolved to the Sidecar's namespace. */
function egressHosts(sidecar: Config<Sidecar>): { namespace: string; host: string }[] {
  const out: { namespace: string; host: string }[] = [];
  for (const listener of sidecar.spec.egress ?? []) {
    for (const h of listener.hosts ?? []) {
      const slash = h.indexOf('/');
      const ns = slash < 0 ? '*' : h.slice(0, slash);
      const host = slash < 0 ? h : h.slice(slash + 1);
      if (ns === '~') continue; // `~/...` imports nothing
      out.push({ namespace: ns === '.' ? sidecar.metadata.namespace : ns, host });
    }
  }
  return out;
}

function exported(exportTo: readonly string[] | undefined, ownNamespace: string, viewer: string): boolean {
  if (!exportTo || exportTo.length === 0) return true;
  return exportTo.some((e) => e === '*' || (e === '.' ? ownNamespace === viewer : e === viewer));
}

function imported(patterns: readonly { namespace: string; host: string }[] | undefined, namespace: string, hosts: readonly string[]): boolean {
  if (!patterns) return true;
  return patterns.some((p) => (p.namespace === '*' || p.namespace === namespace) && hosts.some((h) => hostsMatch(p.host, h)));
}

export function sidecarScope(snapshot: MeshSnapshot, proxy: Proxy): SidecarScope {
  const sidecar = proxy.type === 'sidecar' ? selectSidecar(snapshot, proxy) : undefined;
  const patterns = sidecar ? egressHosts(sidecar) : undefined;
  const services = snapshot
    .visibleServices(proxy.namespace)
    .filter((s) => imported(patterns, s.attributes.namespace, [s.hostname]));
  const virtualServices = snapshot.configs.virtualServices.filter(
    (vs) => exported(vs.spec.exportTo, vs.metadata.namespace, proxy.namespace) && imported(patterns, vs.metadata.namespace, vs.spec.hosts ?? []),
  );
  const destinationRules = snapshot.configs.destinationRules.filter((dr) => exported(dr.spec.exportTo, dr.metadata.namespace, proxy.namespace));
  const outboundTrafficPolicy = sidecar?.spec.outboundTrafficPolicy ?? snapshot.mesh.outboundTrafficPolicy ?? { mode: 'ALLOW_ANY' };
  return { ...(sidecar ? { sidecar } : {}), services, virtualServices, destinationRules, outboundTrafficPolicy };
}
