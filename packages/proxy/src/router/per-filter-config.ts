// typed_per_filter_config resolved as Envoy's mostSpecificPerFilterConfig does: weighted cluster entry,
// then route, then virtual host, then route configuration. Merged once per route at compile time.
import type { TypedPerFilterConfig } from './config-types.js';
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
