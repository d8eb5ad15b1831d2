// Public API of @weft/base: named exports only.
export { createLogger, moduleLogger, silentLogger, type Logger, type LoggerOptions } from './logger.js';
export { WeftError, defineErrors, listErrors, type ErrorSpec, type ErrorFactory } from './errors.js';
export { ok, err, formatIssues, IssueCollector, type Result, type Issue, type ValidationResult } from './result.js';
export { parseDuration, formatDuration } from './duration.js';
export {
  flag,
  parseFlags,
  formatHelp,
  type FlagSpec,
  type FlagSpecs,
  type FlagType,
  type FlagValues,
  type ParsedFlags,
} from './flags.js';
export { runCommand, notBuiltYet, processIO, USAGE_EXIT_CODE, type CommandIO, type Command } from './command.js';
