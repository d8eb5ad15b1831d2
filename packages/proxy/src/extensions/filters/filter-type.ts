// The type a filter's typed_config stands for: its own type URL, or for a TypedStruct (how istiod
// sends Istio's own filters) the URL of the message it wraps.
import type { AnyMessage, ProtoRegistry } from '@weft/api';

export function filterTypeUrl(registry: ProtoRegistry, any: AnyMessage | null | undefined): string | undefined {
  if (!any) return undefined;
  try {
    return registry.typeUrlOf(any);
  } catch {
    // Undecodable TypedStruct bytes: reported by type URL, and refused as an unknown filter.
    return any.type_url;
  }
}

/** Unpacks a filter config, reporting a config that does not decode at `issues` instead of throwing. */
export function unpackFilterConfig<T>(registry: ProtoRegistry, any: AnyMessage, onError: (message: string) => void): T | undefined {
  try {
    return registry.unpack<T>(any);
  } catch (e) {
    onError(`typed_config does not decode: ${(e as Error).message}`);
    return undefined;
  }
}
