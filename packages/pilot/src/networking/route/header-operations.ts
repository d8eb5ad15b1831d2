// Header manipulation (Istio 1.3 translateAppendHeaders): VirtualService `headers` set/add/remove and
// the deprecated append*/remove* fields → Envoy request/response headers_to_add/remove.
import type { HeaderOperations, Headers, Route } from '@weft/api';

export type HeaderValueOption = NonNullable<Route['request_headers_to_add']>[number];

export interface HeaderMutations {
  request_headers_to_add: HeaderValueOption[];
  request_headers_to_remove: string[];
  response_headers_to_add: HeaderValueOption[];
  response_headers_to_remove: string[];
}

/** The deprecated (1.0–1.4) header fields of HTTPRoute and HTTPRouteDestination. */
export interface LegacyHeaderFields {
  appendHeaders?: Record<string, string>;
  appendRequestHeaders?: Record<string, string>;
  appendResponseHeaders?: Record<string, string>;
  removeRequestHeaders?: string[];
  removeResponseHeaders?: string[];
}

/**
 * `set` overwrites, `add` appends (v3 append_action; the v2 `append` flag is deprecated). Sorted by
 * header name, as Istio sorts them so that output is stable.
 */
export function headerValueOptions(headers: Record<string, string> | undefined, append: boolean): HeaderValueOption[] {
  return Object.entries(headers ?? {})
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => ({
      header: { key, value },
      append_action: append ? 'APPEND_IF_EXISTS_OR_ADD' : 'OVERWRITE_IF_EXISTS_OR_ADD',
    }));
}

function operations(ops: HeaderOperations | undefined): { add: HeaderValueOption[]; remove: string[] } {
  return { add: [...headerValueOptions(ops?.set, false), ...headerValueOptions(ops?.add, true)], remove: [...(ops?.remove ?? [])] };
}

/** All header mutations of a route or destination: `headers` first, then the deprecated fields. */
export function headerMutations(headers: Headers | undefined, legacy: LegacyHeaderFields = {}): HeaderMutations {
  const request = operations(headers?.request);
  const response = operations(headers?.response);
  return {
    request_headers_to_add: [...request.add, ...headerValueOptions(legacy.appendHeaders, true), ...headerValueOptions(legacy.appendRequestHeaders, true)],
    request_headers_to_remove: [...request.remove, ...(legacy.removeRequestHeaders ?? [])],
    response_headers_to_add: [...response.add, ...headerValueOptions(legacy.appendResponseHeaders, true)],
    response_headers_to_remove: [...response.remove, ...(legacy.removeResponseHeaders ?? [])],
  };
}

/** Concatenates two sets of mutations (route-level first). */
export function mergeMutations(a: HeaderMutations, b: HeaderMutations): HeaderMutations {
  return {
    request_headers_to_add: [...a.request_headers_to_add, ...b.request_headers_to_add],
    request_headers_to_remove: [...a.request_headers_to_remove, ...b.request_headers_to_remove],
    response_headers_to_add: [...a.response_headers_to_add, ...b.response_headers_to_add],
    response_headers_to_remove: [...a.response_headers_to_remove, ...b.response_headers_to_remove],
  };
}

/** Only the non-empty lists, for spreading into a Route or ClusterWeight. */
export function nonEmptyMutations(m: HeaderMutations): Partial<HeaderMutations> {
  const out: Partial<HeaderMutations> = {};
  if (m.request_headers_to_add.length > 0) out.request_headers_to_add = m.request_headers_to_add;
  if (m.request_headers_to_remove.length > 0) out.request_headers_to_remove = m.request_headers_to_remove;
  if (m.response_headers_to_add.length > 0) out.response_headers_to_add = m.response_headers_to_add;
  if (m.response_headers_to_remove.length > 0) out.response_headers_to_remove = m.response_headers_to_remove;
  return out;
}
