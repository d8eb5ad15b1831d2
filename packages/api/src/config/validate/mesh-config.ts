// MeshConfig and ProxyConfig rules from Istio 1.3's ValidateMeshConfig/ValidateProxyConfig:
// reachable addresses, valid ports, bounded connect timeouts and a drain shorter than the parent shutdown.
import { defaultMeshConfig, defaultProxyConfig, type MeshConfig, type ProxyConfig } from '../mesh-config.js';
import { MeshConfigSchema } from '../schemas/mesh-config.js';
import type { ValidationResult } from '../issue.js';
import { Ctx } from './context.js';
import { checkDuration } from './duration.js';
import { checkFQDN } from './hosts.js';
import { isIP } from './ip.js';
import { checkLocalityLbSetting } from './locality.js';
import { checkPortNumber } from './ports.js';
import { decodeMessage } from './schema.js';

const S = 1_000_000_000n;

/** `host:port` where host is a DNS name or IP (IPv6 in brackets), as Go's net.SplitHostPort reads it. */
export function checkProxyAddress(address: string, ctx: Ctx): void {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(address);
  if (m === null) {
    ctx.error(`address ${JSON.stringify(address)} must be host:port`);
    return;
  }
  const host = m[1] ?? m[2] ?? '';
  checkPortNumber(Number(m[3]), ctx);
  if (!isIP(host) && checkFQDN(host) !== undefined) ctx.error(`${JSON.stringify(host)} is not a valid hostname or IP address`);
}

export function checkProxyConfig(pc: ProxyConfig, ctx: Ctx): void {
  for (const f of ['configPath', 'binaryPath', 'serviceCluster'] as const) if ((pc[f] ?? '') === '') ctx.at(f).error(`${f} must be set`);
  const drain = checkDuration(pc.drainDuration ?? '0s', ctx.at('drainDuration'), { precision: 's', max: 3600n * S });
  const parent = checkDuration(pc.parentShutdownDuration ?? '0s', ctx.at('parentShutdownDuration'), { precision: 's', max: 3600n * S });
  if (drain !== undefined && parent !== undefined && parent <= drain) {
    ctx.at('parentShutdownDuration').error(`parentShutdownDuration ${pc.parentShutdownDuration} must be longer than drainDuration ${pc.drainDuration}`);
  }
  if ((pc.discoveryAddress ?? '') === '') ctx.at('discoveryAddress').error('discoveryAddress must be set');
  else checkProxyAddress(pc.discoveryAddress ?? '', ctx.at('discoveryAddress'));
  const tracing = pc.tracing;
  if (tracing?.zipkin?.address !== undefined) checkProxyAddress(tracing.zipkin.address, ctx.at('tracing', 'zipkin', 'address'));
  if (tracing?.datadog?.address !== undefined) checkProxyAddress(tracing.datadog.address.replace('$(HOST_IP)', '127.0.0.1'), ctx.at('tracing', 'datadog', 'address'));
  const ls = tracing?.lightstep;
  if (ls !== undefined) {
    checkProxyAddress(ls.address ?? '', ctx.at('tracing', 'lightstep', 'address'));
    if ((ls.accessToken ?? '') === '') ctx.at('tracing', 'lightstep', 'accessToken').error('accessToken is required');
    if (ls.secure === true && (ls.cacertPath ?? '') === '') ctx.at('tracing', 'lightstep', 'cacertPath').error('cacertPath is required when secure is true');
  }
  checkDuration(pc.connectTimeout ?? '0s', ctx.at('connectTimeout'), { max: 30n * S });
  if ((pc.statsdUdpAddress ?? '') !== '') checkProxyAddress(pc.statsdUdpAddress ?? '', ctx.at('statsdUdpAddress'));
  if ((pc.envoyMetricsServiceAddress ?? '') !== '') checkProxyAddress(pc.envoyMetricsServiceAddress ?? '', ctx.at('envoyMetricsServiceAddress'));
  for (const f of ['envoyAccessLogService', 'envoyMetricsService'] as const) {
    const address = pc[f]?.address ?? '';
    if (address !== '') checkProxyAddress(address, ctx.at(f, 'address'));
  }
  checkPortNumber(pc.proxyAdminPort ?? 0, ctx.at('proxyAdminPort'));
  if (pc.controlPlaneAuthPolicy === 'INHERIT') ctx.at('controlPlaneAuthPolicy').error('controlPlaneAuthPolicy must be NONE or MUTUAL_TLS');
}

export interface MeshConfigValidation extends ValidationResult {
  /** The decoded config merged over defaultMeshConfig() (defaultConfig merged over defaultProxyConfig()). */
  readonly meshConfig?: MeshConfig;
}

/**
 * Decodes `raw` (the parsed `mesh` ConfigMap value) over Istio 1.3's defaults and validates the result,
 * like Istio's ApplyMeshConfigDefaults. Paths are relative to the mesh config (`defaultConfig.drainDuration`).
 */
export function validateMeshConfig(raw: unknown, options: { source?: string } = {}): MeshConfigValidation {
  const ctx = Ctx.root(options.source !== undefined ? { source: options.source } : {});
  const decoded = decodeMessage(MeshConfigSchema, raw ?? {}, ctx) ?? {};
  const mesh: MeshConfig = { ...defaultMeshConfig(), ...decoded, defaultConfig: { ...defaultProxyConfig(), ...decoded.defaultConfig } };
  // Empty Mixer addresses disable checks/reports; set ones must be reachable host:port pairs.
  for (const f of ['mixerCheckServer', 'mixerReportServer'] as const) {
    const address = mesh[f] ?? '';
    if (address !== '') checkProxyAddress(address, ctx.at(f));
  }
  checkPortNumber(mesh.proxyListenPort ?? 0, ctx.at('proxyListenPort'));
  checkDuration(mesh.connectTimeout ?? '0s', ctx.at('connectTimeout'), { max: 30n * S });
  checkProxyConfig(mesh.defaultConfig ?? {}, ctx.at('defaultConfig'));
  if (mesh.localityLbSetting !== undefined) checkLocalityLbSetting(mesh.localityLbSetting, ctx.at('localityLbSetting'));
  return { ...ctx.result(), meshConfig: mesh };
}
