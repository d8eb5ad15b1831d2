// The service model, after Istio's pilot/pkg/model/service.go: Service, ServicePort, Endpoint, ServiceInstance.
import type { Protocol } from './protocol.js';

export interface ServicePort {
  readonly name: string;
  readonly port: number;
  readonly protocol: Protocol;
}

/**
 * How a proxy finds endpoints: ClientSideLB = EDS, DNSLB = STRICT_DNS (ServiceEntry DNS),
 * Passthrough = ORIGINAL_DST (ServiceEntry NONE, headless services).
 */
export type Resolution = 'ClientSideLB' | 'DNSLB' | 'Passthrough';

export interface Service {
  /** Fully qualified host name, e.g. `reviews.default.svc.cluster.local` or `api.example.com`. */
  readonly hostname: string;
  /** The service VIP, `0.0.0.0` when it has none. */
  readonly address: string;
  readonly ports: readonly ServicePort[];
  /** Secure-naming identities of the workloads behind it. */
  readonly serviceAccounts: readonly string[];
  readonly meshExternal: boolean;
  readonly resolution: Resolution;
  readonly attributes: {
    readonly registry: 'ServiceEntry' | 'Kubernetes' | 'Memory';
    /** Name of the object that defined it (ServiceEntry name, Service name). */
    readonly name: string;
    readonly namespace: string;
    /** Namespaces that can see the service: `*` (all), `.` is resolved to the namespace. */
    readonly exportTo: ReadonlySet<string>;
  };
}

/** One workload endpoint of a service port (Istio's IstioEndpoint). */
export interface Endpoint {
  /** IP address, or a DNS name for DNSLB services. */
  readonly address: string;
  /** Port the workload listens on. */
  readonly port: number;
  /** Name of the service port this endpoint serves. */
  readonly servicePortName: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly serviceAccount?: string;
  readonly network?: string;
  /** `region/zone/subzone`. */
  readonly locality?: string;
  /** Load-balancing weight; 1 when unset. */
  readonly lbWeight?: number;
}

export interface ServiceInstance {
  readonly service: Service;
  readonly servicePort: ServicePort;
  readonly endpoint: Endpoint;
}

export function findPort(service: Service, port: number): ServicePort | undefined {
  return service.ports.find((p) => p.port === port);
}

/** True when every key/value of `selector` is in `labels` (an empty selector matches everything). */
export function labelsMatch(selector: Readonly<Record<string, string>> | undefined, labels: Readonly<Record<string, string>>): boolean {
  if (!selector) return true;
  for (const [k, v] of Object.entries(selector)) if (labels[k] !== v) return false;
  return true;
}
