// MeshConfig (mesh/v1alpha1/config.proto, ConfigMap `istio` key `mesh`) and ProxyConfig, Istio 1.3 fields,
// with Istio 1.3's code defaults (pkg/config/mesh DefaultMeshConfig / DefaultProxyConfig).
import type { ClientTLSSettings, LocalityLoadBalancerSetting, TcpKeepalive } from './types/destination-rule.js';
import type { H2UpgradePolicy } from './types/destination-rule.js';
import type { OutboundTrafficPolicy } from './types/sidecar.js';

export type AuthenticationPolicyMode = 'NONE' | 'MUTUAL_TLS' | 'INHERIT';

export interface RemoteService {
  address?: string;
  tlsSettings?: ClientTLSSettings;
  tcpKeepalive?: TcpKeepalive;
}

export interface Tracing {
  zipkin?: { address?: string };
  lightstep?: { address?: string; accessToken?: string; secure?: boolean; cacertPath?: string };
  datadog?: { address?: string };
  stackdriver?: { debug?: boolean; maxNumberOfAttributes?: number; maxNumberOfAnnotations?: number; maxNumberOfMessageEvents?: number };
}

export interface ProxyConfig {
  configPath?: string;
  binaryPath?: string;
  serviceCluster?: string;
  drainDuration?: string;
  parentShutdownDuration?: string;
  discoveryAddress?: string;
  /** Deprecated. */
  discoveryRefreshDelay?: string;
  /** Deprecated; use tracing.zipkin. */
  zipkinAddress?: string;
  connectTimeout?: string;
  statsdUdpAddress?: string;
  /** Deprecated; use envoyMetricsService. */
  envoyMetricsServiceAddress?: string;
  proxyAdminPort?: number;
  /** Deprecated. */
  availabilityZone?: string;
  controlPlaneAuthPolicy?: AuthenticationPolicyMode;
  customConfigFile?: string;
  statNameLength?: number;
  concurrency?: number;
  proxyBootstrapTemplatePath?: string;
  interceptionMode?: 'REDIRECT' | 'TPROXY' | 'NONE';
  tracing?: Tracing;
  sds?: { enabled?: boolean; k8sSaJwtPath?: string };
  envoyAccessLogService?: RemoteService;
  envoyMetricsService?: RemoteService;
}

export interface ConfigSource {
  address?: string;
  tlsSettings?: ClientTLSSettings;
}

export interface MeshConfig {
  mixerCheckServer?: string;
  mixerReportServer?: string;
  disablePolicyChecks?: boolean;
  policyCheckFailOpen?: boolean;
  sidecarToTelemetrySessionAffinity?: boolean;
  proxyListenPort?: number;
  proxyHttpPort?: number;
  connectTimeout?: string;
  protocolDetectionTimeout?: string;
  tcpKeepalive?: TcpKeepalive;
  ingressClass?: string;
  ingressService?: string;
  ingressControllerMode?: 'OFF' | 'DEFAULT' | 'STRICT';
  /** Deprecated global mTLS switch. */
  authPolicy?: 'NONE' | 'MUTUAL_TLS';
  enableTracing?: boolean;
  accessLogFile?: string;
  accessLogFormat?: string;
  accessLogEncoding?: 'TEXT' | 'JSON';
  enableEnvoyAccessLogService?: boolean;
  defaultConfig?: ProxyConfig;
  outboundTrafficPolicy?: OutboundTrafficPolicy;
  enableClientSidePolicyCheck?: boolean;
  sdsUdsPath?: string;
  enableSdsTokenMount?: boolean;
  sdsUseK8sSaJwt?: boolean;
  configSources?: ConfigSource[];
  trustDomain?: string;
  defaultServiceExportTo?: string[];
  defaultVirtualServiceExportTo?: string[];
  defaultDestinationRuleExportTo?: string[];
  rootNamespace?: string;
  localityLbSetting?: LocalityLoadBalancerSetting;
  dnsRefreshRate?: string;
  disableReportBatch?: boolean;
  reportBatchMaxEntries?: number;
  reportBatchMaxTime?: string;
  h2UpgradePolicy?: H2UpgradePolicy;
}

/** Istio 1.3's DefaultProxyConfig. */
export function defaultProxyConfig(): ProxyConfig {
  return {
    configPath: '/etc/istio/proxy',
    binaryPath: '/usr/local/bin/envoy',
    serviceCluster: 'istio-proxy',
    drainDuration: '45s',
    parentShutdownDuration: '60s',
    discoveryAddress: 'istio-pilot:15010',
    connectTimeout: '1s',
    statsdUdpAddress: '',
    envoyMetricsService: { address: '' },
    envoyAccessLogService: { address: '' },
    proxyAdminPort: 15000,
    controlPlaneAuthPolicy: 'NONE',
    customConfigFile: '',
    concurrency: 0,
    statNameLength: 189,
  };
}

/**
 * Istio 1.3's DefaultMeshConfig: the code defaults, not the Helm ConfigMap (Helm sets connectTimeout 10s,
 * accessLogFile "" and, with k8sIngress enabled, ingressClass/ingressControllerMode). Fields the code leaves
 * at their proto zero value but whose effective default is documented are filled in: ingressControllerMode
 * OFF, protocolDetectionTimeout 100ms, report batching 100 entries / 1s.
 */
export function defaultMeshConfig(): MeshConfig {
  return {
    mixerCheckServer: '',
    mixerReportServer: '',
    disablePolicyChecks: true,
    policyCheckFailOpen: false,
    sidecarToTelemetrySessionAffinity: false,
    rootNamespace: 'istio-system',
    proxyListenPort: 15001,
    connectTimeout: '1s',
    protocolDetectionTimeout: '100ms',
    ingressService: 'istio-ingressgateway',
    ingressControllerMode: 'OFF',
    enableTracing: true,
    accessLogFile: '/dev/stdout',
    accessLogEncoding: 'TEXT',
    defaultConfig: defaultProxyConfig(),
    sdsUdsPath: '',
    enableSdsTokenMount: false,
    trustDomain: '',
    defaultServiceExportTo: ['*'],
    defaultVirtualServiceExportTo: ['*'],
    defaultDestinationRuleExportTo: ['*'],
    outboundTrafficPolicy: { mode: 'ALLOW_ANY' },
    dnsRefreshRate: '5s',
    reportBatchMaxEntries: 100,
    reportBatchMaxTime: '1s',
  };
}
