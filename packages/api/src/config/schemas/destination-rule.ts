// Field schemas for DestinationRule and TrafficPolicy.
import type {
  ClientTLSSettings, ConnectionPoolSettings, ConsistentHashLB, DestinationRule, HTTPCookie, HTTPSettings,
  LoadBalancerSettings, LocalityDistribute, LocalityFailover, LocalityLoadBalancerSetting, OutlierDetection,
  PortTrafficPolicy, Subset, TCPSettings, TcpKeepalive, TrafficPolicy,
} from '../types/destination-rule.js';
import { bool, dur, enm, i32, list, map, type MessageSchema, msg, str, strList, strMap, u32 } from '../validate/schema.js';
import { PortSelectorSchema } from './port.js';

const HTTPCookieSchema: MessageSchema<HTTPCookie> = { name: 'HTTPCookie', fields: { name: str, path: str, ttl: dur } };

const ConsistentHashSchema: MessageSchema<ConsistentHashLB> = {
  name: 'ConsistentHashLB',
  fields: {
    httpHeaderName: str,
    httpCookie: msg(() => HTTPCookieSchema),
    useSourceIp: bool,
    httpQueryParameterName: str,
    minimumRingSize: u32,
  },
  oneofs: [['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName']],
};

const LocalityDistributeSchema: MessageSchema<LocalityDistribute> = {
  name: 'LocalityLoadBalancerSetting.Distribute',
  fields: { from: str, to: map(u32) },
};

const LocalityFailoverSchema: MessageSchema<LocalityFailover> = {
  name: 'LocalityLoadBalancerSetting.Failover',
  fields: { from: str, to: str },
};

export const LocalityLbSchema: MessageSchema<LocalityLoadBalancerSetting> = {
  name: 'LocalityLoadBalancerSetting',
  fields: {
    distribute: list(msg(() => LocalityDistributeSchema)),
    failover: list(msg(() => LocalityFailoverSchema)),
    enabled: bool,
  },
};

const LoadBalancerSchema: MessageSchema<LoadBalancerSettings> = {
  name: 'LoadBalancerSettings',
  fields: {
    simple: enm('ROUND_ROBIN', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH'),
    consistentHash: msg(() => ConsistentHashSchema),
    localityLbSetting: msg(() => LocalityLbSchema),
  },
  oneofs: [['simple', 'consistentHash']],
};

export const TcpKeepaliveSchema: MessageSchema<TcpKeepalive> = {
  name: 'TcpKeepalive',
  fields: { probes: u32, time: dur, interval: dur },
};

const TCPSettingsSchema: MessageSchema<TCPSettings> = {
  name: 'ConnectionPoolSettings.TCPSettings',
  fields: { maxConnections: i32, connectTimeout: dur, tcpKeepalive: msg(() => TcpKeepaliveSchema) },
};

const HTTPSettingsSchema: MessageSchema<HTTPSettings> = {
  name: 'ConnectionPoolSettings.HTTPSettings',
  fields: {
    http1MaxPendingRequests: i32,
    http2MaxRequests: i32,
    maxRequestsPerConnection: i32,
    maxRetries: i32,
    idleTimeout: dur,
    h2UpgradePolicy: enm('DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'),
  },
};

const ConnectionPoolSchema: MessageSchema<ConnectionPoolSettings> = {
  name: 'ConnectionPoolSettings',
  fields: { tcp: msg(() => TCPSettingsSchema), http: msg(() => HTTPSettingsSchema) },
};

const OutlierDetectionSchema: MessageSchema<OutlierDetection> = {
  name: 'OutlierDetection',
  fields: {
    consecutiveErrors: i32,
    consecutiveGatewayErrors: u32,
    consecutive5xxErrors: u32,
    interval: dur,
    baseEjectionTime: dur,
    maxEjectionPercent: i32,
    minHealthPercent: i32,
  },
};

export const ClientTLSSchema: MessageSchema<ClientTLSSettings> = {
  name: 'ClientTLSSettings',
  fields: {
    mode: enm('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'),
    clientCertificate: str,
    privateKey: str,
    caCertificates: str,
    credentialName: str,
    subjectAltNames: strList,
    sni: str,
  },
};

const PortTrafficPolicySchema: MessageSchema<PortTrafficPolicy> = {
  name: 'TrafficPolicy.PortTrafficPolicy',
  fields: {
    port: msg(() => PortSelectorSchema),
    loadBalancer: msg(() => LoadBalancerSchema),
    connectionPool: msg(() => ConnectionPoolSchema),
    outlierDetection: msg(() => OutlierDetectionSchema),
    tls: msg(() => ClientTLSSchema),
  },
};

const TrafficPolicySchema: MessageSchema<TrafficPolicy> = {
  name: 'TrafficPolicy',
  fields: {
    loadBalancer: msg(() => LoadBalancerSchema),
    connectionPool: msg(() => ConnectionPoolSchema),
    outlierDetection: msg(() => OutlierDetectionSchema),
    tls: msg(() => ClientTLSSchema),
    portLevelSettings: list(msg(() => PortTrafficPolicySchema)),
  },
};

const SubsetSchema: MessageSchema<Subset> = {
  name: 'Subset',
  fields: { name: str, labels: strMap, trafficPolicy: msg(() => TrafficPolicySchema) },
};

export const DestinationRuleSchema: MessageSchema<DestinationRule> = {
  name: 'DestinationRule',
  fields: {
    host: str,
    trafficPolicy: msg(() => TrafficPolicySchema),
    subsets: list(msg(() => SubsetSchema)),
    exportTo: strList,
  },
};
