// envoy.access_loggers.file (FileAccessLog): a path and a format — log_format (text_format,
// text_format_source inline, json_format), or the deprecated format / json_format /
// typed_json_format — compiled once; Envoy's default text format when none is given.
import type { IssueCollector } from '@weft/base';
import type { AccessLogEntry } from '../access-log-entry.js';
import { compileJsonFormat, compileTextFormat, type FormatIssue, type FormatOptions, type Formatter, type StructLike } from '../formatter/substitution-format.js';
import type { LogFiles } from './log-file.js';

export const FILE_ACCESS_LOG_TYPE = 'type.googleapis.com/envoy.extensions.access_loggers.file.v3.FileAccessLog';

/** Envoy's default access log format. */
export const ENVOY_DEFAULT_FORMAT =
  '[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%" %RESPONSE_CODE% %RESPONSE_FLAGS% ' +
  '%BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" ' +
  '"%REQ(USER-AGENT)%" "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"\n';

interface DataSourceConfig {
  readonly specifier?: string;
  readonly inline_string?: string;
  readonly inline_bytes?: Uint8Array;
}

/** envoy.config.core.v3.SubstitutionFormatString as decoded. */
interface SubstitutionFormatConfig {
  readonly format?: string;
  readonly text_format?: string;
  readonly json_format?: StructLike | null;
  readonly text_format_source?: DataSourceConfig | null;
  readonly omit_empty_values?: boolean;
  readonly formatters?: readonly unknown[];
}

/** envoy.extensions.access_loggers.file.v3.FileAccessLog as decoded. */
export interface FileAccessLogConfig {
  readonly path: string;
  readonly access_log_format?: string;
  readonly format?: string;
  readonly json_format?: StructLike | null;
  readonly typed_json_format?: StructLike | null;
  readonly log_format?: SubstitutionFormatConfig | null;
}

export interface AccessLogger {
  log(entry: AccessLogEntry): void;
}

function report(result: { formatter?: Formatter; errors: FormatIssue[] }, issues: IssueCollector): Formatter | undefined {
  for (const e of result.errors) (e.path ? issues.at(e.path) : issues).error(e.message);
  return result.formatter;
}

function substitutionFormat(f: SubstitutionFormatConfig, issues: IssueCollector): Formatter | undefined {
  const options: FormatOptions = { omitEmptyValues: f.omit_empty_values ?? false };
  if ((f.formatters ?? []).length > 0) issues.at('formatters').error('formatter extensions are not supported');
  switch (f.format) {
    case 'text_format':
      return report(compileTextFormat(f.text_format ?? '', options), issues.at('text_format'));
    case 'json_format':
      // Envoy 1.11 (Istio 1.3) renders every json_format value as a string; Weft does the same.
      return report(compileJsonFormat(f.json_format ?? {}, options), issues.at('json_format'));
    case 'text_format_source': {
      const src = f.text_format_source;
      const at = issues.at('text_format_source');
      if (src?.specifier === 'inline_string') return report(compileTextFormat(src.inline_string ?? '', options), at.at('inline_string'));
      if (src?.specifier === 'inline_bytes') return report(compileTextFormat(Buffer.from(src.inline_bytes ?? []).toString('utf8'), options), at.at('inline_bytes'));
      at.error(`only inline_string and inline_bytes are supported (got ${src?.specifier ?? 'nothing'})`);
      return undefined;
    }
    default:
      return report(compileTextFormat(ENVOY_DEFAULT_FORMAT, options), issues);
  }
}

/** Compiles a FileAccessLog; undefined after reporting every problem under `issues`. */
export function compileFileAccessLog(config: FileAccessLogConfig, files: LogFiles, issues: IssueCollector): AccessLogger | undefined {
  if (!config.path) issues.at('path').error('a file access log needs a path');
  let formatter: Formatter | undefined;
  switch (config.access_log_format) {
    case 'format':
      formatter = report(compileTextFormat(config.format || ENVOY_DEFAULT_FORMAT), issues.at('format'));
      break;
    case 'json_format':
      formatter = report(compileJsonFormat(config.json_format ?? {}), issues.at('json_format'));
      break;
    case 'typed_json_format':
      formatter = report(compileJsonFormat(config.typed_json_format ?? {}, { typed: true }), issues.at('typed_json_format'));
      break;
    case 'log_format':
      formatter = substitutionFormat(config.log_format ?? {}, issues.at('log_format'));
      break;
    default:
      formatter = report(compileTextFormat(ENVOY_DEFAULT_FORMAT), issues);
  }
  if (!formatter || !config.path) return undefined;
  // The stream opens on the first line, so that validating a configuration that is then refused
  // (NACKed) creates no file.
  const path = config.path;
  const f = formatter;
  let file: ReturnType<LogFiles['open']> | undefined;
  return { log: (entry) => (file ??= files.open(path)).write(f.format(entry)) };
}
