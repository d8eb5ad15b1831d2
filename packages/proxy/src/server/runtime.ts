// The bootstrap's layered_runtime static layers as a flat key → value map (later layers win), the
// place Envoy reads resource limits such as `envoy.resource_limits.listener.<name>.connection_limit`.
import type { Bootstrap__Output, ProtoRegistry } from '@weft/api';

export type RuntimeValues = ReadonlyMap<string, unknown>;

function flatten(prefix: string, value: unknown, out: Map<string, unknown>): void {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value)) flatten(prefix ? `${prefix}.${k}` : k, v, out);
  } else {
    out.set(prefix, value);
  }
}

export function staticRuntime(registry: ProtoRegistry, bootstrap: Bootstrap__Output): RuntimeValues {
  const out = new Map<string, unknown>();
  for (const layer of bootstrap.layered_runtime?.layers ?? []) {
    if (layer.static_layer) flatten('', registry.toJson('google.protobuf.Struct', layer.static_layer), out);
  }
  return out;
}

/** A non-negative integer runtime value, or undefined when unset or malformed. */
export function runtimeInteger(values: RuntimeValues, key: string): number | undefined {
  const v = values.get(key);
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}
