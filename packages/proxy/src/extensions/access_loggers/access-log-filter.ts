// AccessLog.filter, compiled once: which finished streams a logger writes. Weft evaluates the
// filters that need only what an AccessLogEntry carries (status code, duration, response flags,
// health checks, and/or); any other kind is reported, so the configuration is refused rather than
// logging more than asked.
import type { IssueCollector } from '@weft/base';
import type { AccessLogEntry } from './access-log-entry.js';
import { RESPONSE_FLAG_ORDER } from './formatter/response-flags.js';

export type AccessLogPredicate = (entry: AccessLogEntry) => boolean;

/** envoy.config.accesslog.v3.AccessLogFilter as decoded (the kinds Weft evaluates). */
export interface AccessLogFilterConfig {
  readonly filter_specifier?: string;
  readonly status_code_filter?: { comparison: ComparisonConfig | null } | null;
  readonly duration_filter?: { comparison: ComparisonConfig | null } | null;
  readonly response_flag_filter?: { flags: readonly string[] } | null;
  readonly and_filter?: { filters: readonly AccessLogFilterConfig[] } | null;
  readonly or_filter?: { filters: readonly AccessLogFilterConfig[] } | null;
}

interface ComparisonConfig {
  readonly op: string;
  readonly value: { default_value: number; runtime_key: string } | null;
}

const KNOWN_FLAGS = new Set(RESPONSE_FLAG_ORDER);

function comparison(c: ComparisonConfig | null | undefined, read: (e: AccessLogEntry) => number | undefined, issues: IssueCollector): AccessLogPredicate | undefined {
  // The runtime key is not consulted: Weft has no runtime layer, so default_value applies (as in Envoy without an override).
  const v = c?.value?.default_value ?? 0;
  switch (c?.op ?? 'EQ') {
    case 'EQ':
      return (e) => read(e) === v;
    case 'GE':
      return (e) => (read(e) ?? -1) >= v;
    case 'LE':
      return (e) => (read(e) ?? Infinity) <= v;
    case 'NE':
      return (e) => read(e) !== v;
    default:
      issues.at('comparison', 'op').error(`unknown comparison ${c?.op}`);
      return undefined;
  }
}

/** Compiles a filter; undefined after reporting when it cannot be evaluated. */
export function compileAccessLogFilter(f: AccessLogFilterConfig, issues: IssueCollector): AccessLogPredicate | undefined {
  switch (f.filter_specifier) {
    case 'status_code_filter':
      return comparison(f.status_code_filter?.comparison, (e) => e.responseCode, issues.at('status_code_filter'));
    case 'duration_filter':
      return comparison(f.duration_filter?.comparison, (e) => e.durationMs, issues.at('duration_filter'));
    case 'not_health_check_filter':
      // No health-check filter marks downstream requests as health checks in Weft: every stream passes.
      return () => true;
    case 'response_flag_filter': {
      const flags = f.response_flag_filter?.flags ?? [];
      const unknown = flags.map((flag, i) => [flag, i] as const).filter(([flag]) => !KNOWN_FLAGS.has(flag));
      for (const [flag, i] of unknown) issues.at('response_flag_filter', 'flags', i).error(`unknown response flag ${flag}`);
      if (unknown.length > 0) return undefined;
      if (flags.length === 0) return (e) => e.responseFlags.size > 0;
      return (e) => flags.some((flag) => e.responseFlags.has(flag));
    }
    case 'and_filter':
    case 'or_filter': {
      const at = issues.at(f.filter_specifier);
      const parts = (f[f.filter_specifier]?.filters ?? []).map((sub, i) => compileAccessLogFilter(sub, at.at('filters', i)));
      if (parts.some((p) => p === undefined)) return undefined;
      const ps = parts as AccessLogPredicate[];
      return f.filter_specifier === 'and_filter' ? (e) => ps.every((p) => p(e)) : (e) => ps.some((p) => p(e));
    }
    default:
      issues.error(`access log filter ${f.filter_specifier ?? '(none)'} is not supported`);
      return undefined;
  }
}
