// envoy.type.matcher.v3.RegexMatchAndSubstitute compiled once: every match of the pattern in the input
// is replaced by the substitution (RE2::GlobalReplace), used by rewrites and hash policies.
import type { IssueCollector } from '@weft/base';
import type { RegexMatchAndSubstituteConfig } from './config-types.js';
import { backtrackingRisk, compileSearchRegex, compileSubstitution, replaceAll } from './re2-regex.js';

export type RegexRewrite = (input: string) => string;

export function compileRegexRewrite(config: RegexMatchAndSubstituteConfig, issues: IssueCollector): RegexRewrite | undefined {
  const pattern = config.pattern?.regex ?? '';
  const regex = compileSearchRegex(pattern);
  if (!regex.ok) {
    issues.at('pattern', 'regex').error(regex.error);
    return undefined;
  }
  const risk = backtrackingRisk(pattern);
  if (risk) issues.at('pattern', 'regex').warn(risk);
  const substitution = compileSubstitution(config.substitution, regex.value);
  if (!substitution.ok) {
    issues.at('substitution').error(substitution.error);
    return undefined;
  }
  const re = regex.value;
  const parts = substitution.value;
  return (input) => replaceAll(re, input, parts);
}
