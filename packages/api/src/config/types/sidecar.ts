// Sidecar (networking/v1alpha3/sidecar.proto, Istio 1.1+): scopes what a workload's proxy sees and accepts.
import type { Port, WorkloadSelector } from './port.js';

export type CaptureMode = 'DEFAULT' | 'IPTABLES' | 'NONE';

export interface Sidecar {
  workloadSelector?: WorkloadSelector;
  ingress?: IstioIngressListener[];
  egress?: IstioEgressListener[];
  /** Istio 1.3+. */
  outboundTrafficPolicy?: OutboundTrafficPolicy;
}

export interface IstioIngressListener {
  port?: Port;
  bind?: string;
  captureMode?: CaptureMode;
  /** `127.0.0.1:PORT` or `unix:///path`. */
  defaultEndpoint?: string;
}

export interface IstioEgressListener {
  port?: Port;
  bind?: string;
  captureMode?: CaptureMode;
  /** `namespace/dnsName`; namespace `*`, `.`, `~` or a name. */
  hosts?: string[];
}

export type OutboundTrafficMode = 'REGISTRY_ONLY' | 'ALLOW_ANY';

export interface OutboundTrafficPolicy {
  mode?: OutboundTrafficMode;
}
