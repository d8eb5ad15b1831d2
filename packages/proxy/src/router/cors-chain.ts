// Which CORS policies apply to a route, most specific first. Typed per-filter configs for
// `envoy.filters.http.cors` (weighted cluster entry, route, virtual host, route configuration) take
// precedence; without any, the deprecated `cors` fields of the route action and virtual host apply.
import type { IssueCollector } from '@weft/base';
import type { Any__Output, CorsPolicyConfig } from './config-types.js';
import { compileCorsPolicy, CORS_POLICY_TYPE_URL, type CorsPolicy, type CorsPolicySource } from './cors-policy.js';

export interface CorsOptions {
  /** Decodes an Any into the registry's object form (e.g. `registry.unpack`); needed for typed CORS configs. */
  readonly unpack?: (any: Any__Output) => unknown;
  /** Policies already compiled in this route table, so shared levels compile (and report) once. */
  readonly corsCache: WeakMap<object, CorsPolicy | null>;
}

export interface CorsLevel {
  readonly typed?: Any__Output | undefined;
  readonly legacy?: CorsPolicyConfig | null;
}

export function compileCorsChain(levels: readonly CorsLevel[], options: CorsOptions, issues: IssueCollector): CorsPolicy[] {
  const typed = levels.flatMap((l) => (l.typed ? [l.typed] : []));
  if (typed.length > 0) return typed.flatMap((any) => compileTyped(any, options, issues));
  const out: CorsPolicy[] = [];
  for (const l of levels) {
    const legacy = l.legacy;
    if (!legacy) continue;
    const policy = cached(legacy, options, () => compileCorsPolicy(legacy, issues.at('cors')));
    if (policy) out.push(policy);
  }
  return out;
}

function compileTyped(any: Any__Output, options: CorsOptions, issues: IssueCollector): CorsPolicy[] {
  const policy = cached(any, options, () => {
    const at = issues.at('typed_per_filter_config', 'envoy.filters.http.cors');
    if (any.type_url !== CORS_POLICY_TYPE_URL) {
      at.error(`expected ${CORS_POLICY_TYPE_URL}, got ${any.type_url}`);
      return null;
    }
    if (!options.unpack) {
      at.error('a typed CORS policy needs an Any decoder (RouteTableOptions.unpack)');
      return null;
    }
    return compileCorsPolicy(options.unpack(any) as CorsPolicySource, at);
  });
  return policy ? [policy] : [];
}

function cached(key: object, options: CorsOptions, compile: () => CorsPolicy | null): CorsPolicy | null {
  const hit = options.corsCache.get(key);
  if (hit !== undefined) return hit;
  const policy = compile();
  options.corsCache.set(key, policy);
  return policy;
}
