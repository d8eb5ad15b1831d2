// DestinationRule (networking/v1alpha3/destination_rule.proto): traffic policy applied after routing.
import type { PortSelector } from './port.js';

export interface DestinationRule {
  host?: string;
  trafficPolicy?: TrafficPolicy;
  subsets?: Subset[];
  exportTo?: string[];
}

export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
  portLevelSettings?: PortTrafficPolicy[];
}

export interface PortTrafficPolicy {
  port?: PortSelector;
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: ClientTLSSettings;
}

/** A subset's traffic policy replaces (does not merge with) the host-level one. */
export interface Subset {
  name?: string;
  labels?: Record<string, string>;
  trafficPolicy?: TrafficPolicy;
}

export type SimpleLB = 'ROUND_ROBIN' | 'LEAST_CONN' | 'RANDOM' | 'PASSTHROUGH';

/** One of `simple` or `consistentHash`; `localityLbSetting` is per-rule from Istio 1.5. */
export interface LoadBalancerSettings {
  simple?: SimpleLB;
  consistentHash?: ConsistentHashLB;
  localityLbSetting?: LocalityLoadBalancerSetting;
}

/** One hash key: httpHeaderName, httpCookie, useSourceIp or httpQueryParameterName. */
export interface ConsistentHashLB {
  httpHeaderName?: string;
  httpCookie?: HTTPCookie;
  useSourceIp?: boolean;
  httpQueryParameterName?: string;
  minimumRingSize?: number;
}

export interface HTTPCookie {
  name?: string;
  path?: string;
  ttl?: string;
}

export interface ConnectionPoolSettings {
  tcp?: TCPSettings;
  http?: HTTPSettings;
}

export interface TCPSettings {
  maxConnections?: number;
  connectTimeout?: string;
  tcpKeepalive?: TcpKeepalive;
}

export interface TcpKeepalive {
  probes?: number;
  time?: string;
  interval?: string;
}

export type H2UpgradePolicy = 'DEFAULT' | 'DO_NOT_UPGRADE' | 'UPGRADE';

export interface HTTPSettings {
  http1MaxPendingRequests?: number;
  http2MaxRequests?: number;
  maxRequestsPerConnection?: number;
  maxRetries?: number;
  idleTimeout?: string;
  h2UpgradePolicy?: H2UpgradePolicy;
}

export interface OutlierDetection {
  /** Istio 1.1-1.4 maps this to Envoy's consecutive_gateway_failure. */
  consecutiveErrors?: number;
  consecutiveGatewayErrors?: number;
  consecutive5xxErrors?: number;
  interval?: string;
  baseEjectionTime?: string;
  maxEjectionPercent?: number;
  minHealthPercent?: number;
}

export type ClientTLSMode = 'DISABLE' | 'SIMPLE' | 'MUTUAL' | 'ISTIO_MUTUAL';

/** Client-side TLS (called TLSSettings before Istio 1.6). */
export interface ClientTLSSettings {
  mode?: ClientTLSMode;
  clientCertificate?: string;
  privateKey?: string;
  caCertificates?: string;
  credentialName?: string;
  subjectAltNames?: string[];
  sni?: string;
}

/** Locality load balancing: mesh-wide in 1.1-1.4 (MeshConfig), per DestinationRule from 1.5. */
export interface LocalityLoadBalancerSetting {
  distribute?: LocalityDistribute[];
  failover?: LocalityFailover[];
  enabled?: boolean;
}

export interface LocalityDistribute {
  from?: string;
  /** locality → weight; weights sum to 100. */
  to?: Record<string, number>;
}

export interface LocalityFailover {
  from?: string;
  to?: string;
}
