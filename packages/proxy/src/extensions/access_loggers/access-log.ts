// The access loggers of an http_connection_manager or tcp_proxy (`access_log`), compiled once per
// configuration from their typed_config, each behind its optional filter. Loggers are chosen from
// an explicit map by type URL; only the file logger exists so far.
import type { HttpConnectionManager__Output } from '@weft/api';
import type { IssueCollector, Logger } from '@weft/base';
import { ProxyErrors } from '../../errors.js';
import type { CompletedStream } from '../../http/connection-manager.js';
import type { TcpProxyConnection } from '../../network/tcp-proxy.js';
import type { AccessLogEntry } from './access-log-entry.js';
import { compileAccessLogFilter, type AccessLogFilterConfig } from './access-log-filter.js';
import { compileFileAccessLog, FILE_ACCESS_LOG_TYPE, type AccessLogger, type FileAccessLogConfig } from './file/file-access-log.js';
import { processLogFiles, type DropCounter, type LogFiles } from './file/log-file.js';
import { httpLogEntry } from './http-log-entry.js';
import { tcpLogEntry } from './tcp-log-entry.js';

/** envoy.config.accesslog.v3.AccessLog as decoded. */
export type AccessLogConfig = NonNullable<HttpConnectionManager__Output['access_log']>[number];

type Any = NonNullable<AccessLogConfig['typed_config']>;

export interface AccessLogDeps {
  readonly unpack: (any: Any) => unknown;
  /** Where lines go; the process's shared log files by default. */
  readonly files?: LogFiles;
  /** `access_log.dropped`, for the process's log files when they are first opened. */
  readonly dropped?: DropCounter;
  /** Where a path that cannot be written is reported (once per failure). */
  readonly logger?: Logger;
}

/** All loggers of one list, called in order; a no-op function when the list is empty. */
export type AccessLog = (entry: AccessLogEntry) => void;

function filesOf(deps: AccessLogDeps): LogFiles {
  if (deps.files) return deps.files;
  const logger = deps.logger;
  return processLogFiles({
    ...(deps.dropped ? { dropped: deps.dropped } : {}),
    ...(logger ? { onError: (path: string, e: Error) => logger.error({ err: ProxyErrors.ACCESS_LOG_WRITE([path, e.message], e), path }, 'access log cannot be written') } : {}),
  });
}

type LoggerFactory = (config: unknown, deps: AccessLogDeps, issues: IssueCollector) => AccessLogger | undefined;

const LOGGERS: ReadonlyMap<string, LoggerFactory> = new Map<string, LoggerFactory>([
  [FILE_ACCESS_LOG_TYPE, (config, deps, issues) => compileFileAccessLog(config as FileAccessLogConfig, filesOf(deps), issues)],
]);

/**
 * Compiles `access_log`; every problem is reported under `issues` (`access_log[i]...`), and the
 * result is undefined when there is none to run.
 */
export function compileAccessLogs(list: readonly AccessLogConfig[], deps: AccessLogDeps, issues: IssueCollector): AccessLog | undefined {
  const loggers: AccessLogger[] = [];
  list.forEach((config, i) => {
    const at = issues.at(i);
    const type = config.typed_config?.type_url;
    const factory = type ? LOGGERS.get(type) : undefined;
    if (!factory || !config.typed_config) {
      at.at('typed_config').error(`access logger ${config.name || '(unnamed)'} (${type ?? 'no typed_config'}) is not supported`);
      return;
    }
    let decoded: unknown;
    try {
      decoded = deps.unpack(config.typed_config);
    } catch (e) {
      at.at('typed_config').error(`cannot decode ${type}: ${(e as Error).message}`);
      return;
    }
    const logger = factory(decoded, deps, at.at('typed_config'));
    const filter = config.filter ? compileAccessLogFilter(config.filter as AccessLogFilterConfig, at.at('filter')) : undefined;
    if (!logger || (config.filter && !filter)) return;
    loggers.push(
      filter
        ? {
            log: (e) => {
              if (filter(e)) logger.log(e);
            },
          }
        : logger,
    );
  });
  const [only, ...more] = loggers;
  if (!only) return undefined;
  if (more.length === 0) return (e) => only.log(e);
  return (e) => {
    for (const l of loggers) l.log(e);
  };
}

/** An http_connection_manager's access_log: called with each finished stream. */
export function compileHttpAccessLog(list: readonly AccessLogConfig[], deps: AccessLogDeps, issues: IssueCollector): ((done: CompletedStream) => void) | undefined {
  const log = compileAccessLogs(list, deps, issues);
  return log && ((done) => log(httpLogEntry(done)));
}

/** A tcp_proxy's access_log: called with each finished connection. */
export function compileTcpAccessLog(list: readonly AccessLogConfig[], deps: AccessLogDeps, issues: IssueCollector): ((connection: TcpProxyConnection) => void) | undefined {
  const log = compileAccessLogs(list, deps, issues);
  return log && ((c) => log(tcpLogEntry(c)));
}
