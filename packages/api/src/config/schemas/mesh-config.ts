// Field schemas for MeshConfig and ProxyConfig.
import type { ConfigSource, MeshConfig, ProxyConfig, RemoteService, Tracing } from '../mesh-config.js';
import { bool, dur, enm, i32, i64, list, type MessageSchema, msg, str, strList } from '../validate/schema.js';
import { ClientTLSSchema, LocalityLbSchema, TcpKeepaliveSchema } from './destination-rule.js';
import { OutboundTrafficPolicySchema } from './service-entry.js';

const RemoteServiceSchema: MessageSchema<RemoteService> = {
  name: 'RemoteService',
  fields: { address: str, tlsSettings: msg(() => ClientTLSSchema), tcpKeepalive: msg(() => TcpKeepaliveSchema) },
};

const TracingSchema: MessageSchema<Tracing> = {
  name: 'Tracing',
  fields: {
    zipkin: msg<{ address?: string }>(() => ({ name: 'Tracing.Zipkin', fields: { address: str } })),
    lightstep: msg<NonNullable<Tracing['lightstep']>>(() => ({
      name: 'Tracing.Lightstep',
      fields: { address: str, accessToken: str, secure: bool, cacertPath: str },
    })),
    datadog: msg<{ address?: string }>(() => ({ name: 'Tracing.Datadog', fields: { address: str } })),
    stackdriver: msg<NonNullable<Tracing['stackdriver']>>(() => ({
      name: 'Tracing.Stackdriver',
      fields: { debug: bool, maxNumberOfAttributes: i64, maxNumberOfAnnotations: i64, maxNumberOfMessageEvents: i64 },
    })),
  },
  oneofs: [['zipkin', 'lightstep', 'datadog', 'stackdriver']],
};

export const ProxyConfigSchema: MessageSchema<ProxyConfig> = {
  name: 'ProxyConfig',
  fields: {
    configPath: str,
    binaryPath: str,
    serviceCluster: str,
    drainDuration: dur,
    parentShutdownDuration: dur,
    discoveryAddress: str,
    discoveryRefreshDelay: dur,
    zipkinAddress: str,
    connectTimeout: dur,
    statsdUdpAddress: str,
    envoyMetricsServiceAddress: str,
    proxyAdminPort: i32,
    availabilityZone: str,
    controlPlaneAuthPolicy: enm('NONE', 'MUTUAL_TLS', 'INHERIT'),
    customConfigFile: str,
    statNameLength: i32,
    concurrency: i32,
    proxyBootstrapTemplatePath: str,
    interceptionMode: enm('REDIRECT', 'TPROXY', 'NONE'),
    tracing: msg(() => TracingSchema),
    sds: msg<NonNullable<ProxyConfig['sds']>>(() => ({ name: 'SDS', fields: { enabled: bool, k8sSaJwtPath: str } })),
    envoyAccessLogService: msg(() => RemoteServiceSchema),
    envoyMetricsService: msg(() => RemoteServiceSchema),
  },
  deprecated: {
    discoveryRefreshDelay: 'it has no effect since Istio 1.1',
    zipkinAddress: 'use tracing.zipkin.address',
    envoyMetricsServiceAddress: 'use envoyMetricsService.address',
    availabilityZone: 'locality comes from the platform',
  },
};

const ConfigSourceSchema: MessageSchema<ConfigSource> = {
  name: 'ConfigSource',
  fields: { address: str, tlsSettings: msg(() => ClientTLSSchema) },
};

export const MeshConfigSchema: MessageSchema<MeshConfig> = {
  name: 'MeshConfig',
  fields: {
    mixerCheckServer: str,
    mixerReportServer: str,
    disablePolicyChecks: bool,
    policyCheckFailOpen: bool,
    sidecarToTelemetrySessionAffinity: bool,
    proxyListenPort: i32,
    proxyHttpPort: i32,
    connectTimeout: dur,
    protocolDetectionTimeout: dur,
    tcpKeepalive: msg(() => TcpKeepaliveSchema),
    ingressClass: str,
    ingressService: str,
    ingressControllerMode: enm('OFF', 'DEFAULT', 'STRICT'),
    authPolicy: enm('NONE', 'MUTUAL_TLS'),
    enableTracing: bool,
    accessLogFile: str,
    accessLogFormat: str,
    accessLogEncoding: enm('TEXT', 'JSON'),
    enableEnvoyAccessLogService: bool,
    defaultConfig: msg(() => ProxyConfigSchema),
    outboundTrafficPolicy: msg(() => OutboundTrafficPolicySchema),
    enableClientSidePolicyCheck: bool,
    sdsUdsPath: str,
    enableSdsTokenMount: bool,
    sdsUseK8sSaJwt: bool,
    configSources: list(msg(() => ConfigSourceSchema)),
    trustDomain: str,
    defaultServiceExportTo: strList,
    defaultVirtualServiceExportTo: strList,
    defaultDestinationRuleExportTo: strList,
    rootNamespace: str,
    localityLbSetting: msg(() => LocalityLbSchema),
    dnsRefreshRate: dur,
    disableReportBatch: bool,
    reportBatchMaxEntries: i32,
    reportBatchMaxTime: dur,
    h2UpgradePolicy: enm('DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'),
  },
  deprecated: { authPolicy: 'use authentication policies (Policy/MeshPolicy or PeerAuthentication)' },
};
