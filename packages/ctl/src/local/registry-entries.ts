// The service registry the local platform hands Pilot (pure): every Kubernetes Service becomes a
// ServiceEntry (its FQDN and VIP, MESH_INTERNAL, STATIC, workloadSelector = the Service's selector)
// and every ready pod a WorkloadEntry (pod IP, labels, service account, target ports by port name),
// which is what Istio's Kubernetes registry derives from Services and Endpoints.
import { parseProtocol } from '@weft/api';
import type { KubeContainerPort, KubeServicePort } from './kube/kube-objects.js';

export const REGISTRY_LABEL = 'weft.local/registry';

export interface RegistryService {
  readonly name: string;
  readonly namespace: string;
  readonly vip: string;
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly KubeServicePort[];
  readonly annotations: Readonly<Record<string, string>>;
}

export interface RegistryPod {
  readonly name: string;
  readonly namespace: string;
  readonly ip: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount: string;
  readonly containerPorts: readonly KubeContainerPort[];
}

/** A Service port's name in the registry: its own, or `port-<n>` for a single unnamed port. */
export function registryPortName(p: KubeServicePort): string {
  return p.name || `port-${p.port}`;
}

/** Istio's protocol selection by port name prefix (`http`, `http-web`, `grpc`, `tcp`...); TCP when none applies. */
export function portProtocolOf(p: KubeServicePort): string {
  const prefix = (p.name.toLowerCase().startsWith('grpc-web') ? 'grpc-web' : p.name.toLowerCase().split('-')[0]) ?? '';
  return parseProtocol(prefix) ?? 'TCP';
}

export function serviceEntryName(service: { readonly name: string }): string {
  return `kube-svc-${service.name}`;
}

export function workloadEntryName(pod: { readonly name: string }): string {
  return `kube-pod-${pod.name}`;
}

export function serviceEntry(s: RegistryService, domain: string): Record<string, unknown> {
  const exportTo = s.annotations['networking.istio.io/exportTo'];
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'ServiceEntry',
    metadata: { name: serviceEntryName(s), namespace: s.namespace, labels: { [REGISTRY_LABEL]: 'kubernetes' } },
    spec: {
      hosts: [`${s.name}.${s.namespace}.svc.${domain}`],
      addresses: [s.vip],
      ports: s.ports.map((p) => ({ number: p.port, name: registryPortName(p), protocol: portProtocolOf(p) })),
      location: 'MESH_INTERNAL',
      resolution: 'STATIC',
      workloadSelector: { labels: { ...s.selector } },
      ...(exportTo ? { exportTo: exportTo.split(',').map((e) => e.trim()).filter(Boolean) } : {}),
    },
  };
}

/** The port a Service port reaches on a pod: its targetPort number, or the container port of that name. */
export function targetPortOn(pod: RegistryPod, p: KubeServicePort): number | undefined {
  if (typeof p.targetPort === 'number') return p.targetPort;
  return pod.containerPorts.find((c) => c.name === p.targetPort)?.containerPort;
}

/** The pod's WorkloadEntry; `ports` maps each selecting Service's port names to the pod's target ports. */
export function workloadEntry(pod: RegistryPod, selecting: readonly RegistryService[]): Record<string, unknown> {
  const ports: Record<string, number> = {};
  for (const s of selecting) {
    for (const p of s.ports) {
      const target = targetPortOn(pod, p);
      const name = registryPortName(p);
      if (target !== undefined && ports[name] === undefined) ports[name] = target;
    }
  }
  return {
    apiVersion: 'networking.istio.io/v1alpha3',
    kind: 'WorkloadEntry',
    metadata: { name: workloadEntryName(pod), namespace: pod.namespace, labels: { [REGISTRY_LABEL]: 'kubernetes' } },
    spec: { address: pod.ip, labels: { ...pod.labels }, serviceAccount: pod.serviceAccount, ...(Object.keys(ports).length > 0 ? { ports } : {}) },
  };
}
