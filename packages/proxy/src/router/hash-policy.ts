// RouteAction.hash_policy decoded for the ring-hash and Maglev load balancers (Http::HashPolicyImpl).
import type { IssueCollector } from '@weft/base';
import type { HashPolicyConfig } from './config-types.js';
import { optionalMs } from './duration.js';
import { compileRegexRewrite, type RegexRewrite } from './regex-substitution.js';

export type HashPolicy = { readonly terminal: boolean } & (
  | { readonly kind: 'header'; readonly headerName: string; readonly rewrite?: RegexRewrite }
  | {
      readonly kind: 'cookie';
      readonly name: string;
      /** Set when Envoy should generate the cookie if the request lacks it. */
      readonly ttlMs?: number;
      readonly path: string;
      readonly attributes: ReadonlyArray<{ readonly name: string; readonly value: string }>;
    }
  | { readonly kind: 'source-ip' }
  | { readonly kind: 'query-parameter'; readonly name: string }
  | { readonly kind: 'filter-state'; readonly key: string }
);

export function compileHashPolicies(configs: readonly HashPolicyConfig[], issues: IssueCollector): HashPolicy[] {
  const out: HashPolicy[] = [];
  configs.forEach((c, i) => {
    const policy = compileHashPolicy(c, issues.at(i));
    if (policy) out.push(policy);
  });
  return out;
}

function compileHashPolicy(c: HashPolicyConfig, issues: IssueCollector): HashPolicy | undefined {
  const terminal = c.terminal;
  switch (c.policy_specifier) {
    case 'header': {
      const header = c.header;
      const rewrite = header?.regex_rewrite ? compileRegexRewrite(header.regex_rewrite, issues.at('header', 'regex_rewrite')) : undefined;
      return { kind: 'header', terminal, headerName: (header?.header_name ?? '').toLowerCase(), ...(rewrite ? { rewrite } : {}) };
    }
    case 'cookie': {
      const cookie = c.cookie;
      const ttlMs = optionalMs(cookie?.ttl);
      return {
        kind: 'cookie',
        terminal,
        name: cookie?.name ?? '',
        ...(ttlMs !== undefined ? { ttlMs } : {}),
        path: cookie?.path ?? '',
        attributes: (cookie?.attributes ?? []).map((a) => ({ name: a.name, value: a.value })),
      };
    }
    case 'connection_properties':
      // Envoy adds the source-IP hash only when source_ip is true.
      return c.connection_properties?.source_ip ? { kind: 'source-ip', terminal } : undefined;
    case 'query_parameter':
      return { kind: 'query-parameter', terminal, name: c.query_parameter?.name ?? '' };
    case 'filter_state':
      return { kind: 'filter-state', terminal, key: c.filter_state?.key ?? '' };
    default:
      issues.error('a hash policy specifier is required');
      return undefined;
  }
}
