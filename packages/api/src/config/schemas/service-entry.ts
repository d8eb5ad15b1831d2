// Field schemas for ServiceEntry, WorkloadEntry, Sidecar and (opaque) EnvoyFilter.
import type { ServiceEntry } from '../types/service-entry.js';
import type { IstioEgressListener, IstioIngressListener, OutboundTrafficPolicy, Sidecar } from '../types/sidecar.js';
import type { WorkloadEntry } from '../types/workload-entry.js';
import { enm, list, map, type MessageSchema, msg, str, strList, strMap, u32 } from '../validate/schema.js';
import { PortSchema, WorkloadSelectorSchema } from './port.js';

export const WorkloadEntrySchema: MessageSchema<WorkloadEntry> = {
  name: 'WorkloadEntry',
  fields: {
    address: str,
    ports: map(u32),
    labels: strMap,
    network: str,
    locality: str,
    weight: u32,
    serviceAccount: str,
  },
};

export const ServiceEntrySchema: MessageSchema<ServiceEntry> = {
  name: 'ServiceEntry',
  fields: {
    hosts: strList,
    addresses: strList,
    ports: list(msg(() => PortSchema)),
    location: enm('MESH_EXTERNAL', 'MESH_INTERNAL'),
    resolution: enm('NONE', 'STATIC', 'DNS'),
    endpoints: list(msg(() => WorkloadEntrySchema)),
    workloadSelector: msg(() => WorkloadSelectorSchema),
    exportTo: strList,
    subjectAltNames: strList,
  },
};

const CAPTURE_MODE = enm('DEFAULT', 'IPTABLES', 'NONE');

const IngressListenerSchema: MessageSchema<IstioIngressListener> = {
  name: 'IstioIngressListener',
  fields: { port: msg(() => PortSchema), bind: str, captureMode: CAPTURE_MODE, defaultEndpoint: str },
};

const EgressListenerSchema: MessageSchema<IstioEgressListener> = {
  name: 'IstioEgressListener',
  fields: { port: msg(() => PortSchema), bind: str, captureMode: CAPTURE_MODE, hosts: strList },
};

export const OutboundTrafficPolicySchema: MessageSchema<OutboundTrafficPolicy> = {
  name: 'OutboundTrafficPolicy',
  fields: { mode: enm('REGISTRY_ONLY', 'ALLOW_ANY') },
};

export const SidecarSchema: MessageSchema<Sidecar> = {
  name: 'Sidecar',
  fields: {
    workloadSelector: msg(() => WorkloadSelectorSchema),
    ingress: list(msg(() => IngressListenerSchema)),
    egress: list(msg(() => EgressListenerSchema)),
    outboundTrafficPolicy: msg(() => OutboundTrafficPolicySchema),
  },
};
