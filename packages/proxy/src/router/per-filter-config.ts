// typed_per_filter_config resolved as Envoy's mostSpecificPerFilterConfig does: weighted cluster entry,
// then route, then virtual host, then route configuration. Merged once per route at compile time.
// Each entry is also checked when the route table compiles, by the filter that owns its type URL
// (Envoy builds every per-route filter config when it loads the route table, so a bad one fails the
// RDS update with its path, not the first request that uses it).
import type { IssueCollector } from '@weft/base';
import type { Any__Output, TypedPerFilterConfig } from './config-types.js';
import type { PerFilterConfig } from './route-decision.js';

export const NO_PER_FILTER_CONFIG: PerFilterConfig = new Map();

/** Overlays a more specific level on `base`; `base` is returned unchanged when the level is empty. */
export function overlayPerFilterConfig(base: PerFilterConfig, level: TypedPerFilterConfig): PerFilterConfig {
  const names = Object.keys(level);
  if (names.length === 0) return base;
  const merged = new Map(base);
  for (const name of names) {
    const any = level[name];
    if (any) merged.set(name, any);
  }
  return merged;
}

/** Checks one typed_per_filter_config entry; `issues` is at its map key. */
export type PerFilterConfigCheck = (config: Any__Output, issues: IssueCollector) => void;

/** Per-route config checks by type URL (`type.googleapis.com/...`), supplied by the filters that read them. */
export type PerFilterConfigChecks = ReadonlyMap<string, PerFilterConfigCheck>;

/** Runs the checks on one level's typed_per_filter_config (errors at `typed_per_filter_config.<name>...`). */
export function checkPerFilterConfigs(level: TypedPerFilterConfig, checks: PerFilterConfigChecks | undefined, issues: IssueCollector): void {
  if (!checks || checks.size === 0) return;
  for (const [name, any] of Object.entries(level)) {
    const check = any ? checks.get(any.type_url) : undefined;
    if (check && any) check(any, issues.at('typed_per_filter_config', name));
  }
}
