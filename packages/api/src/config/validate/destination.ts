// Route destinations and their weights (HTTP, TLS and TCP routes share the rules).
import type { PortSelector } from '../types/port.js';
import type { Destination, HTTPRouteDestination, RouteDestination } from '../types/virtual-service.js';
import { type Ctx, eachAt } from './context.js';
import { checkHeaderList, checkHeaderMapKeys, checkHeaders } from './headers.js';
import { checkWildcardDomain, isDNS1123Label } from './hosts.js';
import { checkPortNumber } from './ports.js';

export function checkSubsetName(name: string | undefined, ctx: Ctx): void {
  if (name === undefined || name === '') ctx.error('subset name cannot be empty');
  else if (!isDNS1123Label(name)) ctx.error(`subset name ${JSON.stringify(name)} is not a DNS-1123 label`);
}

/** Destination ports are selected by number; `name` was rejected by validation even before 1.4 removed it. */
export function checkDestinationPort(port: PortSelector | undefined, ctx: Ctx): void {
  if (port === undefined) return;
  if (port.name !== undefined) ctx.at('name').error('port.name is not supported for destinations; use port.number');
  if (port.number !== undefined) checkPortNumber(port.number, ctx.at('number'));
}

export function checkDestination(d: Destination, ctx: Ctx): void {
  const host = d.host ?? '';
  if (host === '') ctx.at('host').error('host is required');
  else if (host === '*') ctx.at('host').error('"*" is not a valid destination host');
  else {
    const err = checkWildcardDomain(host);
    if (err !== undefined) ctx.at('host').error(err);
  }
  if (d.subset !== undefined) checkSubsetName(d.subset, ctx.at('subset'));
  checkDestinationPort(d.port, ctx.at('port'));
}

/**
 * Weights are percentages; with more than one destination they must add up to exactly 100
 * (an omitted weight counts as 0), as Istio 1.x requires. One destination implicitly gets 100.
 */
export function checkRouteDestinations(
  route: readonly (RouteDestination | HTTPRouteDestination | undefined)[] | undefined,
  ctx: Ctx,
): void {
  if (route === undefined) return;
  let total = 0;
  eachAt(route, ctx, (rd, at) => {
    if (rd.destination === undefined) at.at('destination').error('destination is required');
    else checkDestination(rd.destination, at.at('destination'));
    const weight = rd.weight ?? 0;
    if (weight < 0 || weight > 100) at.at('weight').error(`weight ${weight} must be in the range 0..100`);
    total += weight;
    // TLS/TCP destinations have no header fields (the decoder rejects them), so this is a no-op there.
    checkHttpDestinationHeaders(rd as HTTPRouteDestination, at);
  });
  if (route.length > 1 && total !== 100) ctx.error(`weights of the ${route.length} destinations must add up to 100, got ${total}`);
}

function checkHttpDestinationHeaders(rd: HTTPRouteDestination, ctx: Ctx): void {
  checkHeaders(rd.headers, ctx.at('headers'));
  checkHeaderMapKeys(rd.appendRequestHeaders, ctx.at('appendRequestHeaders'));
  checkHeaderMapKeys(rd.appendResponseHeaders, ctx.at('appendResponseHeaders'));
  checkHeaderList(rd.removeRequestHeaders, ctx.at('removeRequestHeaders'));
  checkHeaderList(rd.removeResponseHeaders, ctx.at('removeResponseHeaders'));
}
