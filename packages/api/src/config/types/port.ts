// Ports and selectors shared by several networking kinds (networking/v1alpha3 Port, PortSelector, WorkloadSelector).

/** A service or listener port. `protocol` is one of HTTP, HTTPS, GRPC, GRPC-WEB, HTTP2, MONGO, MYSQL, REDIS, TCP, TLS, UDP. */
export interface Port {
  number?: number;
  protocol?: string;
  name?: string;
}

/** Selects a port of a service; `name` was dropped in Istio 1.4 (only `number` remains). */
export interface PortSelector {
  number?: number;
  name?: string;
}

/** networking.istio.io workload selector (Sidecar, ServiceEntry, EnvoyFilter). */
export interface WorkloadSelector {
  labels?: Record<string, string>;
}

/** security.istio.io selector (istio.type.v1beta1.WorkloadSelector). */
export interface SecurityWorkloadSelector {
  matchLabels?: Record<string, string>;
}

/** A percentage as a double in [0, 100] (networking/v1alpha3 Percent). */
export interface Percent {
  value?: number;
}
