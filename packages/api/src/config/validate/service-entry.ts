// ServiceEntry: hosts, VIPs, ports and endpoints consistent with the resolution mode.
import type { ServiceEntry } from '../types/service-entry.js';
import type { WorkloadEntry } from '../types/workload-entry.js';
import { type Ctx, eachAt } from './context.js';
import { checkExportTo } from './export-to.js';
import { checkFQDN, checkWildcardDomain } from './hosts.js';
import { checkIPv4Address, checkIPv4Subnet, isIP } from './ip.js';
import { checkLabels } from './labels.js';
import { checkPortName, checkPortNumber, checkProtocol, isHttpProtocol, isTlsProtocol, parseProtocol } from './ports.js';
import { checkUnixAddress, UNIX_PREFIX } from './unix-address.js';

export function validateServiceEntry(se: ServiceEntry, ctx: Ctx): void {
  const hosts = se.hosts ?? [];
  // An invalid resolution was dropped by the decoder; resolution-specific checks would only mislead.
  const resolution = ctx.at('resolution').rejected ? undefined : (se.resolution ?? 'NONE');
  if (hosts.length === 0) ctx.at('hosts').error('at least one host is required');
  eachAt(se.hosts, ctx.at('hosts'), (host, at) => {
    const err = host === '*' ? '"*" is not allowed as a service entry host' : checkWildcardDomain(host);
    if (err !== undefined) at.error(err);
    // DNS resolution without endpoints resolves the hosts themselves, which needs concrete names.
    else if (resolution === 'DNS' && (se.endpoints?.length ?? 0) === 0 && checkFQDN(host) !== undefined) {
      at.error('with resolution DNS and no endpoints, hosts must be fully qualified names without wildcards');
    }
  });
  eachAt(se.addresses, ctx.at('addresses'), (addr, at) => {
    const err = checkIPv4Subnet(addr);
    if (err !== undefined) at.error(err);
    else if (addr.includes('/') && resolution !== undefined && resolution !== 'NONE' && resolution !== 'STATIC') {
      at.error('CIDR addresses are only allowed with resolution NONE or STATIC');
    }
  });
  const portNames = checkPorts(se, ctx.at('ports'));
  if (se.workloadSelector !== undefined && (se.endpoints?.length ?? 0) > 0) {
    ctx.error('workloadSelector and endpoints cannot both be set');
  }
  checkEndpoints(se, resolution, portNames, ctx);
  // Plain TCP cannot tell hosts apart (no Host header, no SNI), so several hosts need HTTP or TLS ports.
  if (resolution !== undefined && resolution !== 'NONE' && hosts.length > 1) {
    const tcpLike = (se.ports ?? []).some((p) => {
      const proto = parseProtocol(p?.protocol ?? '');
      return proto !== undefined && !isHttpProtocol(proto) && !isTlsProtocol(proto);
    });
    if (tcpLike) ctx.at('hosts').error('several hosts need HTTP or TLS ports unless resolution is NONE');
  }
  checkExportTo(se.exportTo, ctx.at('exportTo'));
}

/** Port names and numbers must be unique; returns the declared names for endpoint port checks. */
function checkPorts(se: ServiceEntry, ctx: Ctx): Set<string> {
  const names = new Set<string>();
  const numbers = new Set<number>();
  eachAt(se.ports, ctx, (port, at) => {
    checkPortName(port.name, at.at('name'));
    checkProtocol(port.protocol, at.at('protocol'));
    checkPortNumber(port.number ?? 0, at.at('number'));
    if (port.name !== undefined && names.has(port.name)) at.at('name').error(`port name ${JSON.stringify(port.name)} is already defined`);
    if (port.number !== undefined && numbers.has(port.number)) at.at('number').error(`port ${port.number} is already defined`);
    if (port.name !== undefined) names.add(port.name);
    if (port.number !== undefined) numbers.add(port.number);
  });
  return names;
}

function checkEndpoints(se: ServiceEntry, resolution: string | undefined, portNames: Set<string>, ctx: Ctx): void {
  const endpoints = se.endpoints ?? [];
  if (resolution === 'NONE' && endpoints.length > 0) ctx.at('endpoints').error('endpoints must not be set with resolution NONE');
  if (resolution === 'STATIC' && endpoints.length === 0 && se.workloadSelector === undefined) {
    ctx.at('endpoints').error('resolution STATIC requires endpoints');
  }
  let unix = false;
  eachAt(se.endpoints, ctx.at('endpoints'), (ep, at) => {
    checkEndpoint(ep, resolution, portNames, at);
    unix ||= (ep.address ?? '').startsWith(UNIX_PREFIX);
  });
  if (unix && (se.ports?.length ?? 0) !== 1) ctx.at('ports').error('unix domain socket endpoints need exactly one service port');
}

function checkEndpoint(ep: WorkloadEntry, resolution: string | undefined, portNames: Set<string>, ctx: Ctx): void {
  const address = ep.address ?? '';
  if (address.startsWith(UNIX_PREFIX)) {
    checkUnixAddress(address.slice(UNIX_PREFIX.length), ctx.at('address'));
    if (Object.keys(ep.ports ?? {}).length > 0) ctx.at('ports').error('unix domain socket endpoints must not have ports');
  } else if (resolution === 'STATIC') {
    // STATIC endpoints are used as-is, so they must be IP addresses (IPv4 in Istio 1.x).
    const err = checkIPv4Address(address);
    if (err !== undefined) ctx.at('address').error(err);
  } else if (resolution === 'DNS' && !isIP(address)) {
    const err = checkFQDN(address);
    if (err !== undefined) ctx.at('address').error(`endpoint address ${JSON.stringify(address)} is neither an IP address nor a DNS name`);
  }
  checkLabels(ep.labels, ctx.at('labels'));
  for (const [name, port] of Object.entries(ep.ports ?? {})) {
    const at = ctx.at('ports').key(name);
    if (!portNames.has(name)) at.error(`port name ${JSON.stringify(name)} is not declared in the service entry's ports`);
    checkPortNumber(port, at);
  }
}
