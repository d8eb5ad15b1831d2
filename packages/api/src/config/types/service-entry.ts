// ServiceEntry (networking/v1alpha3/service_entry.proto): adds hosts to Pilot's service registry.
import type { Port, WorkloadSelector } from './port.js';
import type { WorkloadEntry } from './workload-entry.js';

export type ServiceEntryLocation = 'MESH_EXTERNAL' | 'MESH_INTERNAL';
export type ServiceEntryResolution = 'NONE' | 'STATIC' | 'DNS';

export interface ServiceEntry {
  hosts?: string[];
  /** VIPs or CIDRs. */
  addresses?: string[];
  ports?: Port[];
  location?: ServiceEntryLocation;
  resolution?: ServiceEntryResolution;
  endpoints?: WorkloadEntry[];
  /** Istio 1.6+; exclusive with endpoints. */
  workloadSelector?: WorkloadSelector;
  exportTo?: string[];
  subjectAltNames?: string[];
}
