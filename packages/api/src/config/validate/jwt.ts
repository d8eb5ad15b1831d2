// JWT settings shared by authentication.istio.io Policy (Jwt) and security.istio.io RequestAuthentication (JWTRule).
import type { Ctx } from './context.js';
import { eachAt } from './context.js';

/** jwksUri must be an http(s) URL with a host; Pilot fetches keys from it. */
export function checkJwksUri(uri: string | undefined, ctx: Ctx): void {
  if (uri === undefined || uri === '') return;
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    ctx.error(`jwksUri ${JSON.stringify(uri)} is not a valid URL`);
    return;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') ctx.error(`jwksUri scheme ${JSON.stringify(url.protocol.slice(0, -1))} is not supported; use http or https`);
  else if (url.hostname === '') ctx.error(`jwksUri ${JSON.stringify(uri)} has no host`);
}

export function checkIssuerAndAudiences(jwt: { issuer?: string; audiences?: (string | undefined)[] }, ctx: Ctx): void {
  if ((jwt.issuer ?? '') === '') ctx.at('issuer').error('issuer is required');
  eachAt(jwt.audiences, ctx.at('audiences'), (a, at) => {
    if (a === '') at.error('audience must be a non-empty string');
  });
}

export function checkNonEmptyStrings(values: (string | undefined)[] | undefined, what: string, ctx: Ctx): void {
  eachAt(values, ctx, (v, at) => {
    if (v === '') at.error(`${what} must be a non-empty string`);
  });
}
