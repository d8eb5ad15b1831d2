// One HTTPRoute: forward (route), redirect or delegate, plus matches, rewrites, retries, faults, mirror, CORS.
import type { HTTPMatchRequest, HTTPRedirect, HTTPRoute, HTTPRewrite } from '../types/virtual-service.js';
import { checkCors } from './cors.js';
import { type Ctx, eachAt } from './context.js';
import { checkDestination, checkRouteDestinations } from './destination.js';
import { checkDuration } from './duration.js';
import { checkHeaderList, checkHeaderMapKeys, checkHeaderName, checkHeaders } from './headers.js';
import { checkGatewayReference } from './hosts.js';
import { checkFault } from './http-fault.js';
import { checkRetry } from './http-retry.js';
import { checkLabels } from './labels.js';
import { checkIntPercent, checkPercentage } from './percent.js';
import { checkPortNumber } from './ports.js';
import { checkStringMatch } from './string-match.js';

export function checkHTTPRoute(r: HTTPRoute, ctx: Ctx): void {
  checkRouteKind(r, ctx);
  checkHeaderMapKeys(r.appendHeaders, ctx.at('appendHeaders'));
  checkHeaderMapKeys(r.appendRequestHeaders, ctx.at('appendRequestHeaders'));
  checkHeaderMapKeys(r.appendResponseHeaders, ctx.at('appendResponseHeaders'));
  checkHeaderList(r.removeRequestHeaders, ctx.at('removeRequestHeaders'));
  checkHeaderList(r.removeResponseHeaders, ctx.at('removeResponseHeaders'));
  checkHeaders(r.headers, ctx.at('headers'));
  if (r.corsPolicy !== undefined) checkCors(r.corsPolicy, ctx.at('corsPolicy'));
  if (r.fault !== undefined) checkFault(r.fault, ctx.at('fault'));
  eachAt(r.match, ctx.at('match'), checkMatch);
  if (r.mirror !== undefined) checkDestination(r.mirror, ctx.at('mirror'));
  checkIntPercent(r.mirrorPercent, ctx.at('mirrorPercent'));
  checkPercentage(r.mirrorPercentage, ctx.at('mirrorPercentage'));
  if (r.mirror === undefined && (r.mirrorPercent !== undefined || r.mirrorPercentage !== undefined)) {
    ctx.at(r.mirrorPercentage !== undefined ? 'mirrorPercentage' : 'mirrorPercent').warn('has no effect without mirror');
  }
  if (r.redirect !== undefined) checkRedirect(r.redirect, ctx.at('redirect'));
  if (r.retries !== undefined) checkRetry(r.retries, ctx.at('retries'));
  if (r.rewrite !== undefined) checkRewrite(r.rewrite, ctx.at('rewrite'));
  checkRouteDestinations(r.route, ctx.at('route'));
  checkDuration(r.timeout, ctx.at('timeout'));
  if (r.fault !== undefined && (r.retries !== undefined || r.timeout !== undefined)) {
    ctx.warn('Istio does not apply timeout or retries on a route that injects faults');
  }
}

/** A route forwards, redirects or delegates; exactly one, and a redirect cannot also rewrite or inject faults. */
function checkRouteKind(r: HTTPRoute, ctx: Ctx): void {
  const hasRoute = (r.route?.length ?? 0) > 0;
  if (r.redirect !== undefined) {
    if (hasRoute) ctx.error('a route cannot have both route and redirect');
    if (r.fault !== undefined) ctx.error('a route cannot have both fault and redirect');
    if (r.rewrite !== undefined) ctx.error('a route cannot have both rewrite and redirect');
    if (r.websocketUpgrade === true) ctx.error('websocketUpgrade is not allowed on redirect routes');
  }
  if (r.delegate !== undefined) {
    if (hasRoute || r.redirect !== undefined) ctx.error('a route cannot have delegate together with route or redirect');
    if ((r.delegate.name ?? '') === '') ctx.at('delegate', 'name').error('delegate name is required');
  }
  if (!hasRoute && r.redirect === undefined && r.delegate === undefined) ctx.error('one of route, redirect or delegate is required');
}

function checkMatch(m: HTTPMatchRequest, ctx: Ctx): void {
  for (const field of ['uri', 'scheme', 'method', 'authority'] as const) {
    const sm = m[field];
    if (sm !== undefined) checkStringMatch(sm, ctx.at(field));
  }
  for (const [name, sm] of Object.entries(m.headers ?? {})) {
    checkHeaderName(name, ctx.at('headers').key(name));
    checkStringMatch(sm, ctx.at('headers').key(name), { emptyMeans: 'presence' });
  }
  for (const [name, sm] of Object.entries(m.withoutHeaders ?? {})) {
    checkHeaderName(name, ctx.at('withoutHeaders').key(name));
    checkStringMatch(sm, ctx.at('withoutHeaders').key(name), { emptyMeans: 'presence' });
  }
  for (const [name, sm] of Object.entries(m.queryParams ?? {})) {
    checkStringMatch(sm, ctx.at('queryParams').key(name), { prefix: false, emptyMeans: 'presence' });
  }
  checkPortNumber(m.port, ctx.at('port'));
  checkLabels(m.sourceLabels, ctx.at('sourceLabels'));
  eachAt(m.gateways, ctx.at('gateways'), checkGatewayReference);
  if (m.ignoreUriCase === true && m.uri?.regex !== undefined) ctx.at('ignoreUriCase').warn('ignoreUriCase does not apply to regex matches');
}

function checkRedirect(redirect: HTTPRedirect, ctx: Ctx): void {
  if ((redirect.uri ?? '') === '' && (redirect.authority ?? '') === '') ctx.error('redirect must set uri, authority, or both');
  const code = redirect.redirectCode;
  if (code !== undefined && code !== 0 && (code < 300 || code > 399)) ctx.at('redirectCode').error(`redirect code ${code} must be a 3xx status`);
}

function checkRewrite(rewrite: HTTPRewrite, ctx: Ctx): void {
  if ((rewrite.uri ?? '') === '' && (rewrite.authority ?? '') === '') ctx.error('rewrite must set uri, authority, or both');
}
