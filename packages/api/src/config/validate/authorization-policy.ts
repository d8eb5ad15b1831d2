// AuthorizationPolicy (security.istio.io/v1beta1), with the condition keys Istio documents.
import type { AuthorizationCondition, AuthorizationPolicy, AuthorizationRule } from '../types/security.js';
import { type Ctx, eachAt } from './context.js';
import { checkIPOrCidr } from './ip.js';
import { checkMatchLabels } from './labels.js';

/** Condition keys; `[...]` keys take a header or claim name inside the brackets. */
const EXACT_KEYS = new Set([
  'source.ip', 'remote.ip', 'source.namespace', 'source.principal', 'request.auth.principal', 'request.auth.audiences',
  'request.auth.presenter', 'destination.ip', 'destination.port', 'connection.sni',
]);
const BRACKET_KEYS = ['request.headers', 'request.auth.claims'];

export function checkConditionKey(key: string): string | undefined {
  if (EXACT_KEYS.has(key) || key.startsWith('experimental.envoy.filters.')) return undefined;
  for (const prefix of BRACKET_KEYS) {
    if (key.startsWith(`${prefix}[`)) return /^[^[\]]+\[[^[\]]+\]$/.test(key) ? undefined : `${JSON.stringify(key)} must be ${prefix}[<name>]`;
  }
  return `unknown condition key ${JSON.stringify(key)}`;
}

export function validateAuthorizationPolicy(ap: AuthorizationPolicy, ctx: Ctx): void {
  checkMatchLabels(ap.selector?.matchLabels, ctx.at('selector', 'matchLabels'));
  if (ap.action === 'DENY' && ap.rules === undefined) ctx.at('rules').error('a DENY policy without rules has no effect');
  eachAt(ap.rules, ctx.at('rules'), checkRule);
}

function checkRule(rule: AuthorizationRule, ctx: Ctx): void {
  if (rule.from !== undefined && rule.from.length === 0) ctx.at('from').error('from must not be an empty list');
  eachAt(rule.from, ctx.at('from'), (f, at) => {
    const src = f.source;
    if (src === undefined) return at.at('source').error('source is required');
    if (Object.values(src).every((v) => v === undefined || v.length === 0)) at.at('source').error('source must set at least one field');
    for (const field of ['ipBlocks', 'notIpBlocks'] as const) {
      eachAt(src[field], at.at('source', field), (ip, ipAt) => {
        const err = checkIPOrCidr(ip);
        if (err !== undefined) ipAt.error(err);
      });
    }
  });
  if (rule.to !== undefined && rule.to.length === 0) ctx.at('to').error('to must not be an empty list');
  eachAt(rule.to, ctx.at('to'), (t, at) => {
    const op = t.operation;
    if (op === undefined) return at.at('operation').error('operation is required');
    if (Object.values(op).every((v) => v === undefined || v.length === 0)) at.at('operation').error('operation must set at least one field');
    for (const field of ['ports', 'notPorts'] as const) {
      eachAt(op[field], at.at('operation', field), (p, pAt) => {
        if (!/^\d+$/.test(p) || Number(p) < 1 || Number(p) > 65535) pAt.error(`${JSON.stringify(p)} is not a port number in the range 1..65535`);
      });
    }
  });
  eachAt(rule.when, ctx.at('when'), checkCondition);
}

function checkCondition(c: AuthorizationCondition, ctx: Ctx): void {
  const key = c.key ?? '';
  if (key === '') ctx.at('key').error('key is required');
  else {
    const err = checkConditionKey(key);
    if (err !== undefined) ctx.at('key').error(err);
  }
  if ((c.values?.length ?? 0) === 0 && (c.notValues?.length ?? 0) === 0) ctx.error('values or notValues is required');
  if (key === 'source.ip' || key === 'destination.ip' || key === 'remote.ip') {
    for (const field of ['values', 'notValues'] as const) {
      eachAt(c[field], ctx.at(field), (v, at) => {
        const err = checkIPOrCidr(v);
        if (err !== undefined) at.error(err);
      });
    }
  }
}
