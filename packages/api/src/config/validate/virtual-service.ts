// VirtualService: hosts, gateway bindings, and the http/tls/tcp route lists.
import type { L4MatchAttributes, TCPRoute, TLSMatchAttributes, TLSRoute, VirtualService } from '../types/virtual-service.js';
import { type Ctx, eachAt } from './context.js';
import { checkRouteDestinations } from './destination.js';
import { checkExportTo } from './export-to.js';
import { checkGatewayReference, checkWildcardDomain, hostSubsetOf, hostsMatch, MESH_GATEWAY } from './hosts.js';
import { checkHTTPRoute } from './http-route.js';
import { checkIPv4Subnet, isIP } from './ip.js';
import { checkLabels } from './labels.js';
import { checkPortNumber } from './ports.js';

export function validateVirtualService(vs: VirtualService, ctx: Ctx): void {
  const gateways = vs.gateways ?? [];
  eachAt(vs.gateways, ctx.at('gateways'), checkGatewayReference);
  const appliesToMesh = gateways.length === 0 || gateways.includes(MESH_GATEWAY);
  // A VirtualService without hosts is a delegate (Istio 1.8+): only HTTP routes, no gateways, no
  // further delegation; its routes are merged into the root routes that name it.
  const isDelegate = (vs.hosts?.length ?? 0) === 0;
  if (isDelegate) {
    if (gateways.length > 0) ctx.at('gateways').error('a delegate virtual service (no hosts) must not have gateways');
    if ((vs.tls?.length ?? 0) > 0) ctx.at('tls').error('a delegate virtual service (no hosts) must not have tls routes');
    if ((vs.tcp?.length ?? 0) > 0) ctx.at('tcp').error('a delegate virtual service (no hosts) must not have tcp routes');
    eachAt(vs.http, ctx.at('http'), (r, at) => {
      if (r.delegate !== undefined) at.at('delegate').error('a delegate virtual service cannot delegate again');
    });
  } else {
    checkHosts(vs.hosts, appliesToMesh, ctx.at('hosts'));
  }
  if ((vs.http?.length ?? 0) === 0 && (vs.tcp?.length ?? 0) === 0 && (vs.tls?.length ?? 0) === 0) {
    ctx.error('at least one of http, tls or tcp routes is required');
  }
  eachAt(vs.http, ctx.at('http'), checkHTTPRoute);
  eachAt(vs.tls, ctx.at('tls'), (r, at) => checkTLSRoute(r, vs.hosts ?? [], at));
  eachAt(vs.tcp, ctx.at('tcp'), checkTCPRoute);
  checkExportTo(vs.exportTo, ctx.at('exportTo'));
}

/** FQDN, short name, IP or leftmost wildcard; `*` only for gateway-only services; no overlapping hosts. */
function checkHosts(hosts: readonly (string | undefined)[] | undefined, appliesToMesh: boolean, ctx: Ctx): void {
  if (hosts === undefined || hosts.length === 0) {
    ctx.error('at least one host is required');
    return;
  }
  let allValid = true;
  eachAt(hosts, ctx, (host, at) => {
    const err = checkWildcardDomain(host);
    if (err !== undefined && !isIP(host)) {
      at.error(err);
      allValid = false;
    } else if (host === '*' && appliesToMesh) {
      at.error('wildcard host "*" is not allowed for virtual services bound to the mesh gateway');
      allValid = false;
    }
  });
  if (!allValid) return;
  // *.foo.com and bar.foo.com overlap just as two identical names do.
  hosts.forEach((a, i) => {
    hosts.forEach((b, j) => {
      if (j > i && a !== undefined && b !== undefined && hostsMatch(a, b)) ctx.at(j).error(`host ${JSON.stringify(b)} overlaps host ${JSON.stringify(a)} (hosts[${i}])`);
    });
  });
}

function checkSubnets(subnets: readonly (string | undefined)[] | undefined, ctx: Ctx): void {
  eachAt(subnets, ctx, (s, at) => {
    const err = checkIPv4Subnet(s);
    if (err !== undefined) at.error(err);
  });
}

function checkL4Common(m: L4MatchAttributes | TLSMatchAttributes, ctx: Ctx): void {
  checkSubnets(m.destinationSubnets, ctx.at('destinationSubnets'));
  if (m.sourceSubnet !== undefined && m.sourceSubnet !== '') {
    const err = checkIPv4Subnet(m.sourceSubnet);
    if (err !== undefined) ctx.at('sourceSubnet').error(err);
  }
  if (m.port !== undefined && m.port !== 0) checkPortNumber(m.port, ctx.at('port'));
  checkLabels(m.sourceLabels, ctx.at('sourceLabels'));
  eachAt(m.gateways, ctx.at('gateways'), checkGatewayReference);
}

/** SNI hosts must fall inside the service's hosts, otherwise the route could never be selected. */
function checkTLSRoute(r: TLSRoute, vsHosts: readonly (string | undefined)[], ctx: Ctx): void {
  if ((r.match?.length ?? 0) === 0) ctx.at('match').error('a TLS route needs at least one match');
  eachAt(r.match, ctx.at('match'), (m, at) => {
    if ((m.sniHosts?.length ?? 0) === 0) at.at('sniHosts').error('a TLS match needs at least one SNI host');
    eachAt(m.sniHosts, at.at('sniHosts'), (sni, sniAt) => {
      const err = checkWildcardDomain(sni);
      if (err !== undefined && !isIP(sni)) {
        sniAt.error(err);
        return;
      }
      if (!vsHosts.some((h) => h !== undefined && hostSubsetOf(sni, h))) {
        sniAt.error(`SNI host ${JSON.stringify(sni)} is not within any of the virtual service hosts [${vsHosts.join(', ')}]`);
      }
    });
    checkL4Common(m, at);
  });
  if ((r.route?.length ?? 0) === 0) ctx.at('route').error('a TLS route needs at least one destination');
  checkRouteDestinations(r.route, ctx.at('route'));
}

function checkTCPRoute(r: TCPRoute, ctx: Ctx): void {
  eachAt(r.match, ctx.at('match'), checkL4Common);
  if ((r.route?.length ?? 0) === 0) ctx.at('route').error('a TCP route needs at least one destination');
  checkRouteDestinations(r.route, ctx.at('route'));
}
