// --configDir: a directory of Istio YAML, watched. Each file is validated by the shared library;
// a file with any error is rejected whole and its last good version stays in force.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { formatIssue, validateConfigYaml, type IstioConfig } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import type { ConfigSource, ConfigState, RejectedInput } from './config-source.js';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

export interface FileSourceOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** Quiet period before a burst of file events is read (editors write in several steps). */
  readonly settleMs?: number;
}

interface FileEntry {
  text: string;
  configs: readonly IstioConfig[];
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path)));
    else if (EXTENSIONS.has(extname(e.name))) out.push(path);
  }
  return out.sort();
}

export class FileConfigSource implements ConfigSource {
  readonly name = 'file';
  private readonly log: Logger;
  private readonly good = new Map<string, FileEntry>();
  private rejected = new Map<string, RejectedInput>();
  private revision = 0;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<boolean> | undefined;
  private again = false;

  constructor(private readonly options: FileSourceOptions) {
    this.log = moduleLogger(options.logger, 'sources.file');
  }

  async start(onChange: (state: ConfigState) => void): Promise<ConfigState> {
    await this.reload();
    this.watcher = watch(this.options.dir, { recursive: true }, () => this.schedule(onChange));
    this.watcher.on('error', (e) => this.log.error({ err: e }, 'watching the config directory failed'));
    return this.current();
  }

  async stop(): Promise<void> {
    this.watcher?.close();
    if (this.timer) clearTimeout(this.timer);
    await this.reading;
  }

  current(): ConfigState {
    const configs = [...this.good.keys()].sort().flatMap((f) => this.good.get(f)?.configs ?? []);
    return { configs, rejected: [...this.rejected.values()], revision: this.revision };
  }

  private schedule(onChange: (state: ConfigState) => void): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.readAndNotify(onChange), this.options.settleMs ?? 50);
  }

  private async readAndNotify(onChange: (state: ConfigState) => void): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    try {
      this.reading = this.reload();
      if (await this.reading) onChange(this.current());
    } catch (e) {
      this.log.error({ err: e }, 'reading the config directory failed; keeping the last good config');
    } finally {
      this.reading = undefined;
    }
    if (this.again) {
      this.again = false;
      await this.readAndNotify(onChange);
    }
  }

  /** Reads every file; returns true when the config in force changed. */
  private async reload(): Promise<boolean> {
    const files = await listFiles(this.options.dir);
    let changed = false;
    const present = new Set(files);
    for (const f of [...this.good.keys()]) {
      if (!present.has(f)) {
        this.good.delete(f);
        changed = true;
        this.log.info({ file: this.rel(f) }, 'config file removed');
      }
    }
    for (const f of [...this.rejected.keys()]) if (!present.has(f)) this.rejected.delete(f);
    for (const file of files) {
      const text = await readFile(file, 'utf8').catch(() => undefined);
      if (text === undefined || this.good.get(file)?.text === text) {
        if (text !== undefined) this.rejected.delete(file);
        continue;
      }
      const result = validateConfigYaml(text, this.rel(file));
      if (result.errors.length > 0) {
        this.rejected.set(file, { source: this.rel(file), errors: result.errors, at: new Date().toISOString() });
        this.log.error(
          { file: this.rel(file), errors: result.errors.map(formatIssue), kept: this.good.has(file) ? 'last good version' : 'nothing' },
          'config file rejected',
        );
        continue;
      }
      for (const w of result.warnings) this.log.warn({ file: this.rel(file), warning: formatIssue(w) }, 'config warning');
      this.rejected.delete(file);
      this.good.set(file, { text, configs: result.configs });
      changed = true;
      this.log.info({ file: this.rel(file), objects: result.configs.length }, 'config file accepted');
    }
    if (changed) this.revision++;
    return changed;
  }

  private rel(file: string): string {
    return relative(this.options.dir, file) || file;
  }
}
