// WorkloadEntry (Istio 1.6+), which is also the shape of ServiceEntry endpoints.

export interface WorkloadEntry {
  /** IP address, DNS name (DNS resolution) or `unix:///path`. */
  address?: string;
  /** service port name → endpoint port. */
  ports?: Record<string, number>;
  labels?: Record<string, string>;
  network?: string;
  /** `region/zone/subzone`. */
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}
