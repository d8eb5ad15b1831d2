// StringMatch (exact | prefix | regex): regexes must compile under RE2, the proxy's regex engine.
import type { StringMatch } from '../types/virtual-service.js';
import type { Ctx } from './context.js';
import { checkRegex } from './regex.js';

export interface StringMatchRules {
  /** Query parameters do not support prefix matching. */
  readonly prefix?: boolean;
  /** An empty match `{}` means "header present" for headers; elsewhere it matches anything. */
  readonly emptyMeans?: 'presence' | 'anything';
}

export function checkStringMatch(m: StringMatch, ctx: Ctx, rules: StringMatchRules = {}): void {
  if (m.exact === undefined && m.prefix === undefined && m.regex === undefined) {
    if (rules.emptyMeans !== 'presence') ctx.warn('empty match (no exact, prefix or regex) matches every value');
  }
  if (m.prefix !== undefined && rules.prefix === false) ctx.at('prefix').error('prefix matching is not supported here; use exact or regex');
  if (m.regex !== undefined) {
    const err = checkRegex(m.regex);
    if (err !== undefined) ctx.at('regex').error(err);
  }
}
