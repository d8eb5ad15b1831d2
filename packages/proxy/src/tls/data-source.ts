// envoy.config.core.v3.DataSource → bytes, read once when the config is applied (Envoy reads
// certificate files at config time too; a missing file rejects the resource).
import { readFileSync } from 'node:fs';
import type { IssueCollector } from '@weft/base';
import type { DataSourceConfig } from './tls-config.js';

/** Reads a DataSource; problems go to `issues` (with its path) and the result is undefined. */
export function readDataSource(source: DataSourceConfig, issues: IssueCollector): Buffer | undefined {
  const which = source.specifier ?? (source.filename ? 'filename' : source.inline_string !== undefined ? 'inline_string' : source.inline_bytes ? 'inline_bytes' : source.environment_variable ? 'environment_variable' : undefined);
  switch (which) {
    case 'filename': {
      const file = source.filename ?? '';
      if (!file) {
        issues.at('filename').error('empty file name');
        return undefined;
      }
      try {
        return readFileSync(file);
      } catch (e) {
        issues.at('filename').error(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
        return undefined;
      }
    }
    case 'inline_string':
      return Buffer.from(source.inline_string ?? '', 'utf8');
    case 'inline_bytes':
      return Buffer.from(source.inline_bytes ?? new Uint8Array(0));
    case 'environment_variable':
      // The environment is read once, in main.ts (STYLE habit 8); secrets come from files or inline.
      issues.at('environment_variable').error('environment_variable data sources are not supported');
      return undefined;
    default:
      issues.error('one of filename, inline_string or inline_bytes is required');
      return undefined;
  }
}

/** A DataSource as Envoy names it in errors: its file name, else `<inline>`. */
export function dataSourceName(source: DataSourceConfig): string {
  return source.filename || '<inline>';
}
