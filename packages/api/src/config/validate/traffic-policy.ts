// TrafficPolicy and its parts: load balancer, connection pool, outlier detection, client TLS, per-port overrides.
import type {
  ClientTLSSettings, ConnectionPoolSettings, LoadBalancerSettings, OutlierDetection, PortTrafficPolicy, TrafficPolicy,
} from '../types/destination-rule.js';
import { type Ctx, eachAt } from './context.js';
import { checkDestinationPort } from './destination.js';
import { checkDuration } from './duration.js';
import { checkLocalityLbSetting } from './locality.js';
import { checkIntPercent } from './percent.js';

export function checkTrafficPolicy(p: TrafficPolicy, ctx: Ctx): void {
  const empty =
    p.loadBalancer === undefined && p.connectionPool === undefined && p.outlierDetection === undefined &&
    p.tls === undefined && p.portLevelSettings === undefined;
  if (empty) {
    ctx.error('traffic policy must set at least one field');
    return;
  }
  checkPolicyParts(p, ctx);
  eachAt(p.portLevelSettings, ctx.at('portLevelSettings'), checkPortPolicy);
  const ports = new Map<number, number>();
  eachAt(p.portLevelSettings, ctx.at('portLevelSettings'), (pl, at, i) => {
    const n = pl.port?.number;
    if (n === undefined) return;
    const first = ports.get(n);
    if (first !== undefined) at.at('port', 'number').error(`port ${n} already has settings in portLevelSettings[${first}]`);
    else ports.set(n, i);
  });
}

function checkPolicyParts(p: TrafficPolicy | PortTrafficPolicy, ctx: Ctx): void {
  if (p.loadBalancer !== undefined) checkLoadBalancer(p.loadBalancer, ctx.at('loadBalancer'));
  if (p.connectionPool !== undefined) checkConnectionPool(p.connectionPool, ctx.at('connectionPool'));
  if (p.outlierDetection !== undefined) checkOutlierDetection(p.outlierDetection, ctx.at('outlierDetection'));
  if (p.tls !== undefined) checkClientTLS(p.tls, ctx.at('tls'));
}

function checkPortPolicy(p: PortTrafficPolicy, ctx: Ctx): void {
  if (p.port === undefined) ctx.at('port').error('port is required');
  else checkDestinationPort(p.port, ctx.at('port'));
  const empty = p.loadBalancer === undefined && p.connectionPool === undefined && p.outlierDetection === undefined && p.tls === undefined;
  if (empty) ctx.error('port traffic policy must set at least one of loadBalancer, connectionPool, outlierDetection or tls');
  else checkPolicyParts(p, ctx);
}

function checkLoadBalancer(lb: LoadBalancerSettings, ctx: Ctx): void {
  const cookie = lb.consistentHash?.httpCookie;
  if (cookie !== undefined) {
    const at = ctx.at('consistentHash', 'httpCookie');
    if ((cookie.name ?? '') === '') at.at('name').error('httpCookie name is required');
    if (cookie.ttl === undefined) at.at('ttl').error('httpCookie ttl is required');
  }
  if (lb.localityLbSetting !== undefined) checkLocalityLbSetting(lb.localityLbSetting, ctx.at('localityLbSetting'));
}

function nonNegative(value: number | undefined, ctx: Ctx): void {
  if (value !== undefined && value < 0) ctx.error(`must be non-negative, got ${value}`);
}

function checkConnectionPool(pool: ConnectionPoolSettings, ctx: Ctx): void {
  if (pool.tcp === undefined && pool.http === undefined) {
    ctx.error('connection pool must set tcp, http, or both');
    return;
  }
  const http = pool.http;
  if (http !== undefined) {
    const at = ctx.at('http');
    for (const f of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries'] as const) {
      nonNegative(http[f], at.at(f));
    }
    checkDuration(http.idleTimeout, at.at('idleTimeout'));
  }
  const tcp = pool.tcp;
  if (tcp !== undefined) {
    nonNegative(tcp.maxConnections, ctx.at('tcp', 'maxConnections'));
    checkDuration(tcp.connectTimeout, ctx.at('tcp', 'connectTimeout'));
  }
}

function checkOutlierDetection(od: OutlierDetection, ctx: Ctx): void {
  nonNegative(od.consecutiveErrors, ctx.at('consecutiveErrors'));
  checkDuration(od.interval, ctx.at('interval'));
  checkDuration(od.baseEjectionTime, ctx.at('baseEjectionTime'));
  checkIntPercent(od.maxEjectionPercent, ctx.at('maxEjectionPercent'));
  checkIntPercent(od.minHealthPercent, ctx.at('minHealthPercent'));
}

/** MUTUAL origination needs a client certificate and key (unless an SDS credentialName supplies them). */
function checkClientTLS(tls: ClientTLSSettings, ctx: Ctx): void {
  if (tls.mode === 'MUTUAL' && !tls.credentialName) {
    if (!tls.clientCertificate) ctx.at('clientCertificate').error('MUTUAL TLS requires clientCertificate (or credentialName)');
    if (!tls.privateKey) ctx.at('privateKey').error('MUTUAL TLS requires privateKey (or credentialName)');
  }
  if (tls.mode === 'ISTIO_MUTUAL') {
    for (const f of ['clientCertificate', 'privateKey', 'caCertificates', 'credentialName'] as const) {
      if (tls[f]) ctx.at(f).warn(`ignored with ISTIO_MUTUAL, which uses Istio's certificates`);
    }
  }
}
