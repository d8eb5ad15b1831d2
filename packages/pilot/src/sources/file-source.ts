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
  /** A full re-read this often even without file events, in case one was missed (default 2 s). */
  readonly resyncMs?: number;
}

interface FileEntry {
  text: string;
  configs: readonly IstioConfig[];
}

async function listFiles(dir: string, dirs?: string[]): Promise<string[]> {
  const out: string[] = [];
  dirs?.push(dir);
  for (const e of await readdir(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.')) continue;
    const path = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(path, dirs)));
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
  /**
   * One plain (inotify) watcher per directory: Node 20's emulated `recursive` watch on Linux was seen
   * to miss a rename over an existing file. The set follows the directories found at each read.
   */
  private readonly watchers = new Map<string, FSWatcher>();
  private onChange: ((state: ConfigState) => void) | undefined;
  private resync: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<boolean> | undefined;
  private again = false;

  constructor(private readonly options: FileSourceOptions) {
    this.log = moduleLogger(options.logger, 'sources.file');
  }

  async start(onChange: (state: ConfigState) => void): Promise<ConfigState> {
    this.onChange = onChange;
    await this.reload();
    // The periodic re-read only costs a directory listing and reads of files; unchanged text is skipped.
    this.resync = setInterval(() => this.schedule(onChange), this.options.resyncMs ?? 2000);
    this.resync.unref();
    return this.current();
  }

  async stop(): Promise<void> {
    this.onChange = undefined;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.resync) clearInterval(this.resync);
    if (this.timer) clearTimeout(this.timer);
    await this.reading;
  }

  /** Watches exactly the directories of the last listing. */
  private follow(dirs: readonly string[]): void {
    const onChange = this.onChange;
    if (!onChange) return;
    const wanted = new Set(dirs);
    for (const [d, w] of this.watchers) {
      if (wanted.has(d)) continue;
      w.close();
      this.watchers.delete(d);
    }
    for (const d of dirs) {
      if (this.watchers.has(d)) continue;
      try {
        const w = watch(d, () => this.schedule(onChange));
        w.on('error', (e) => this.log.error({ err: e, dir: this.rel(d) }, 'watching a config directory failed; the periodic re-read still applies'));
        this.watchers.set(d, w);
      } catch (e) {
        this.log.error({ err: e, dir: this.rel(d) }, 'watching a config directory failed; the periodic re-read still applies');
      }
    }
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
    const dirs: string[] = [];
    const files = await listFiles(this.options.dir, dirs);
    this.follow(dirs);
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
