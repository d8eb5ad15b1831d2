// authentication.istio.io/v1alpha1 Policy and MeshPolicy: naming/target rules, peers, origins and JWTs.
import type { AuthenticationPolicy, AuthnStringMatch, Jwt } from '../types/authentication.js';
import { type Ctx, eachAt } from './context.js';
import { checkSubsetName } from './destination.js';
import { isDNS1123Label } from './hosts.js';
import { checkIssuerAndAudiences, checkJwksUri, checkNonEmptyStrings } from './jwt.js';
import { checkPortNumber } from './ports.js';
import type { ObjectInfo } from './object-info.js';
import { checkRegex } from './regex.js';

const DEFAULT_NAME = 'default';

/**
 * A namespace-wide Policy must be named `default` and have no targets; a targeted one must not be named
 * `default`. MeshPolicy is the cluster-wide singleton `default` and has no targets.
 */
export function validateAuthnPolicy(policy: AuthenticationPolicy, ctx: Ctx, info: ObjectInfo): void {
  const { name, clusterScoped } = info;
  const targeted = (policy.targets?.length ?? 0) > 0;
  if (clusterScoped) {
    if (name !== DEFAULT_NAME) info.meta.at('name').error(`a MeshPolicy must be named "default", found ${JSON.stringify(name)}`);
    if (targeted) ctx.at('targets').error('a MeshPolicy must not have targets');
  } else {
    if (!targeted && name !== DEFAULT_NAME) info.meta.at('name').error(`a policy without targets must be named "default", found ${JSON.stringify(name)}`);
    if (targeted && name === DEFAULT_NAME) ctx.at('targets').error('the policy named "default" must not have targets');
  }
  eachAt(policy.targets, ctx.at('targets'), (t, at) => {
    if (!isDNS1123Label(t.name ?? '')) at.at('name').error(`target name ${JSON.stringify(t.name ?? '')} must be a service short name (DNS-1123 label)`);
    eachAt(t.ports, at.at('ports'), (p, pAt) => {
      if (p.number === undefined && p.name === undefined) pAt.error('a port selector needs number or name');
      if (p.number !== undefined) checkPortNumber(p.number, pAt.at('number'));
      if (p.name !== undefined) checkSubsetName(p.name, pAt.at('name'));
    });
  });
  const issuers = new Map<string, string>();
  const checkJwtOnce = (jwt: Jwt, at: Ctx): void => {
    const issuer = jwt.issuer ?? '';
    const first = issuers.get(issuer);
    if (issuer !== '' && first !== undefined) at.at('issuer').error(`issuer ${JSON.stringify(issuer)} is already used by ${first}`);
    else issuers.set(issuer, at.path);
    checkJwt(jwt, at);
  };
  eachAt(policy.peers, ctx.at('peers'), (peer, at) => {
    if (peer.mtls === undefined && peer.jwt === undefined) at.error('a peer method needs mtls or jwt');
    if (peer.jwt !== undefined) checkJwtOnce(peer.jwt, at.at('jwt'));
  });
  eachAt(policy.origins, ctx.at('origins'), (origin, at) => {
    if (origin.jwt === undefined) at.at('jwt').error('jwt is required');
    else checkJwtOnce(origin.jwt, at.at('jwt'));
  });
  if (policy.principalBinding === 'USE_ORIGIN' && (policy.origins?.length ?? 0) === 0) {
    ctx.at('principalBinding').warn('USE_ORIGIN without origins leaves requests without a principal');
  }
}

function checkJwt(jwt: Jwt, ctx: Ctx): void {
  checkIssuerAndAudiences(jwt, ctx);
  checkJwksUri(jwt.jwksUri, ctx.at('jwksUri'));
  checkNonEmptyStrings(jwt.jwtHeaders, 'header name', ctx.at('jwtHeaders'));
  checkNonEmptyStrings(jwt.jwtParams, 'query parameter name', ctx.at('jwtParams'));
  eachAt(jwt.triggerRules, ctx.at('triggerRules'), (rule, at) => {
    eachAt(rule.excludedPaths, at.at('excludedPaths'), checkPathMatch);
    eachAt(rule.includedPaths, at.at('includedPaths'), checkPathMatch);
  });
}

function checkPathMatch(m: AuthnStringMatch, ctx: Ctx): void {
  if (m.exact === undefined && m.prefix === undefined && m.suffix === undefined && m.regex === undefined) {
    ctx.error('one of exact, prefix, suffix or regex is required');
  }
  if (m.regex !== undefined) {
    const err = checkRegex(m.regex);
    if (err !== undefined) ctx.at('regex').error(err);
  }
}
