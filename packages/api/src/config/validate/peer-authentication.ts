// PeerAuthentication and RequestAuthentication (security.istio.io/v1beta1).
import type { PeerAuthentication, RequestAuthentication } from '../types/security.js';
import { type Ctx, eachAt } from './context.js';
import { checkIssuerAndAudiences, checkJwksUri, checkNonEmptyStrings } from './jwt.js';
import { checkMatchLabels } from './labels.js';

export function validatePeerAuthentication(pa: PeerAuthentication, ctx: Ctx): void {
  checkMatchLabels(pa.selector?.matchLabels, ctx.at('selector', 'matchLabels'));
  const ports = Object.keys(pa.portLevelMtls ?? {});
  // Port-level settings only make sense for a concrete workload, whose ports are known.
  if (ports.length > 0 && Object.keys(pa.selector?.matchLabels ?? {}).length === 0) {
    ctx.at('portLevelMtls').error('portLevelMtls requires a selector');
  }
  for (const port of ports) {
    const n = Number(port);
    if (!/^\d+$/.test(port) || n < 1 || n > 65535) ctx.at('portLevelMtls').key(port).error(`${JSON.stringify(port)} is not a port number in the range 1..65535`);
  }
}

export function validateRequestAuthentication(ra: RequestAuthentication, ctx: Ctx): void {
  checkMatchLabels(ra.selector?.matchLabels, ctx.at('selector', 'matchLabels'));
  const issuers = new Map<string, number>();
  eachAt(ra.jwtRules, ctx.at('jwtRules'), (rule, at, i) => {
    checkIssuerAndAudiences(rule, at);
    checkJwksUri(rule.jwksUri, at.at('jwksUri'));
    if (rule.jwksUri !== undefined && rule.jwks !== undefined) at.at('jwks').warn('jwks and jwksUri are both set; jwks wins');
    eachAt(rule.fromHeaders, at.at('fromHeaders'), (h, hAt) => {
      if ((h.name ?? '') === '') hAt.at('name').error('header name is required');
    });
    checkNonEmptyStrings(rule.fromParams, 'query parameter name', at.at('fromParams'));
    const issuer = rule.issuer ?? '';
    const first = issuers.get(issuer);
    if (issuer !== '' && first !== undefined) at.at('issuer').error(`issuer ${JSON.stringify(issuer)} is already used by jwtRules[${first}]`);
    else issuers.set(issuer, i);
  });
}
