// Header values with %VARIABLE% substitutions (Envoy's custom request/response header formatter),
// compiled once with the route configuration. The access log's command operators are reused
// (%DOWNSTREAM_REMOTE_ADDRESS%, %START_TIME(...)%, %REQ(x)%, %PROTOCOL%, %HOSTNAME%, ...); the
// header-only ones (%UPSTREAM_REMOTE_ADDRESS%, %UPSTREAM_METADATA([...])%, %PER_REQUEST_STATE(x)%)
// are added here. Unlike a log line, a missing value is empty (the header is then not added unless
// keep_empty_value), and `%%` is a literal `%`. An unknown operator is a configuration error.
import type { AccessLogEntry } from '../extensions/access_loggers/access-log-entry.js';
import { buildOperator } from '../extensions/access_loggers/formatter/command-operators.js';
import { scanCommands } from '../extensions/access_loggers/formatter/substitution-format.js';

/** What a header format reads at request time; the router builds one per stream, lazily. */
export interface HeaderFormatInput {
  readonly entry: AccessLogEntry;
  /** `ip:port` of the upstream host chosen for the request (empty before one is chosen). */
  readonly upstreamRemoteAddress?: string;
  /** filter_metadata[filter] of the chosen upstream host, as a plain object. */
  upstreamMetadata?(filter: string): unknown;
}

export type CompiledHeaderFormat = (input: HeaderFormatInput) => string;

/** Compiles a header value; returns the formatter or the reasons it is invalid. */
export function compileHeaderFormat(text: string): { format?: CompiledHeaderFormat; errors: string[] } {
  const { parts, errors } = scanCommands(text, operator, true);
  if (errors.length > 0) return { errors };
  return {
    errors: [],
    format: (input) => {
      let s = '';
      for (const p of parts) s += typeof p === 'string' ? p : p(input);
      return s;
    },
  };
}

function operator(name: string, arg: string | undefined, max: number | undefined): CompiledHeaderFormat | string {
  switch (name) {
    case 'UPSTREAM_REMOTE_ADDRESS':
      if (arg !== undefined) return `%${name}% takes no argument`;
      return (i) => i.upstreamRemoteAddress ?? '';
    case 'UPSTREAM_METADATA':
      return upstreamMetadata(arg);
    case 'PER_REQUEST_STATE':
      // No filter writes per-request (filter) state: always empty, as in Envoy without such a filter.
      if (!arg) return `%${name}(...)% needs an argument`;
      return () => '';
  }
  const built = buildOperator(name, arg, max);
  if (typeof built === 'string') return built;
  return (i) => {
    const v = built.extract(i.entry);
    return v === undefined ? '' : String(v);
  };
}

/** `%UPSTREAM_METADATA(["filter", "key", ...])%`: a string, number or boolean at that path; else empty. */
function upstreamMetadata(arg: string | undefined): CompiledHeaderFormat | string {
  let path: unknown;
  try {
    path = JSON.parse(arg ?? '');
  } catch {
    return `%UPSTREAM_METADATA(${arg ?? ''})%: the argument must be a JSON array of strings`;
  }
  if (!Array.isArray(path) || path.length < 2 || !path.every((p) => typeof p === 'string')) {
    return `%UPSTREAM_METADATA(${arg ?? ''})%: the argument must be a JSON array of at least two strings (filter, key...)`;
  }
  const [filter, ...keys] = path as string[];
  return (i) => {
    let v: unknown = i.upstreamMetadata?.(filter ?? '');
    for (const k of keys) v = v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined;
    return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  };
}
