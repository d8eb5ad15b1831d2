// --configDir: a directory of Istio YAML, watched. Each file is validated by the shared library;
// a file with any error is rejected whole and its last good version stays in force. A rejection is
// reported (log, ConfigState.rejected) once per content of the file, not again on every re-read.
// A file that exists but cannot be read (EACCES, ELOOP, EIO...) is rejected the same way, once per error.
import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join, relative } from 'node:path';
import { getSystemErrorMap } from 'node:util';
import { formatIssue, validateConfigYaml, type Issue, type IstioConfig } from '@weft/api';
import { moduleLogger, type Logger } from '@weft/base';
import type { ConfigSource, ConfigState, RejectedInput } from './config-source.js';

const EXTENSIONS = new Set(['.yaml', '.yml', '.json']);
/** Files stat-ed and read at once during a whole-directory read. */
const READ_BATCH = 64;
/** The code of the issue reported for a config file that exists but cannot be read. */
const CONFIG_UNREADABLE = 'WEFT_PILOT_CONFIG_UNREADABLE';

export interface FileSourceOptions {
  readonly dir: string;
  readonly logger: Logger;
  /** Quiet period before a burst of file events is read (editors write in several steps; default 50 ms). */
  readonly settleMs?: number;
  /**
   * Longest a burst of file events postpones its read (default 1 s, 20× the default `settleMs`): the
   * first event of a burst is read no later than this even if events keep arriving closer together
   * than `settleMs`; events after that read start a new burst. A value below `settleMs` wins over it.
   */
  readonly maxSettleMs?: number;
  /** A full re-read this often even without file events, in case one was missed (default 2 s). */
  readonly resyncMs?: number;
  /** Reads a file's text (default node:fs/promises `readFile`); for tests that need a read to fail. */
  readonly readFile?: (path: string, encoding: 'utf8') => Promise<string>;
}

interface FileEntry {
  text: string;
  configs: readonly IstioConfig[];
}

/**
 * The text that was rejected, or the read error of a file that could not be read, so that a re-read of
 * the same text (or with the same error) is neither validated nor logged again.
 */
type RejectedEntry = { text: string; input: RejectedInput } | { unreadable: string; input: RejectedInput };

/** A file that exists but whose stat or read failed (anything but ENOENT). */
interface Unreadable {
  readonly error: unknown;
}

/** `CODE: description` of an OS error (`EACCES: permission denied`), without the absolute path Node adds. */
function describeError(e: unknown): string {
  const err = e as Partial<NodeJS.ErrnoException> | undefined;
  const known = typeof err?.errno === 'number' ? getSystemErrorMap().get(err.errno) : undefined;
  if (known && known[0] === err?.code) return `${known[0]}: ${known[1]}`;
  const message = e instanceof Error ? e.message : String(e);
  // Node's own messages read `CODE: description, syscall 'path'`.
  const cut = err?.syscall ? message.indexOf(`, ${err.syscall}`) : -1;
  return cut > 0 ? message.slice(0, cut) : message;
}

/** What one read of the directory changed. */
interface ReadResult {
  /** The config in force (a file accepted or removed); bumps the revision. */
  readonly configs: boolean;
  /** The set of rejected files or their errors. */
  readonly rejected: boolean;
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
  private readonly rejected = new Map<string, RejectedEntry>();
  private revision = 0;
  /**
   * One plain (inotify) watcher per directory: Node 20's emulated `recursive` watch on Linux was seen
   * to miss a rename over an existing file. The set follows the directories found at each read.
   */
  private readonly watchers = new Map<string, FSWatcher>();
  private onChange: ((state: ConfigState) => void) | undefined;
  private resync: NodeJS.Timeout | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** When the first event of the burst the timer waits on came (performance.now()). */
  private burstAt: number | undefined;
  private reading: Promise<ReadResult> | undefined;
  private again = false;
  /** Files the watchers named since the last read; `undefined`: read the whole directory. */
  private dirty: Set<string> | undefined;
  /** What each file's stat was when it was last read (mtime, size, inode): unchanged files are not read again. */
  private readonly stats = new Map<string, string>();

  constructor(private readonly options: FileSourceOptions) {
    this.log = moduleLogger(options.logger, 'sources.file');
  }

  async start(onChange: (state: ConfigState) => void): Promise<ConfigState> {
    this.onChange = onChange;
    await this.reload();
    // The periodic re-read costs a directory listing and a stat per file; only changed files are read.
    this.resync = setInterval(() => {
      this.dirty = undefined;
      this.schedule(onChange);
    }, this.options.resyncMs ?? 2000);
    this.resync.unref();
    return this.current();
  }

  async stop(): Promise<void> {
    this.onChange = undefined;
    for (const w of this.watchers.values()) w.close();
    this.watchers.clear();
    if (this.resync) clearInterval(this.resync);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.burstAt = undefined;
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
        const w = watch(d, (_event, name) => {
          // A named config file is read alone. Anything else (no name, a new directory, a dot entry such
          // as the `..data` symlink a Kubernetes ConfigMap volume swaps on update) makes the next read
          // whole: stat-ed, so it still reads only what changed.
          if (name && EXTENSIONS.has(extname(name)) && !name.startsWith('.')) this.dirty?.add(join(d, name));
          else this.dirty = undefined;
          this.schedule(onChange);
        });
        w.on('error', (e) => this.log.error({ err: e, dir: this.rel(d) }, 'watching a config directory failed; the periodic re-read still applies'));
        this.watchers.set(d, w);
      } catch (e) {
        this.log.error({ err: e, dir: this.rel(d) }, 'watching a config directory failed; the periodic re-read still applies');
      }
    }
  }

  current(): ConfigState {
    const configs = [...this.good.keys()].sort().flatMap((f) => this.good.get(f)?.configs ?? []);
    const rejected = [...this.rejected.keys()].sort().flatMap((f) => this.rejected.get(f)?.input ?? []);
    return { configs, rejected, revision: this.revision };
  }

  /** Reads `settleMs` after the last event, but no later than `maxSettleMs` after the first of the burst. */
  private schedule(onChange: (state: ConfigState) => void): void {
    if (this.timer) clearTimeout(this.timer);
    const now = performance.now();
    this.burstAt ??= now;
    const left = this.burstAt + (this.options.maxSettleMs ?? 1000) - now;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.burstAt = undefined;
        void this.readAndNotify(onChange);
      },
      Math.max(0, Math.min(this.options.settleMs ?? 50, left)),
    );
  }

  private async readAndNotify(onChange: (state: ConfigState) => void): Promise<void> {
    if (this.reading) {
      this.again = true;
      return;
    }
    try {
      this.reading = this.reload();
      const changed = await this.reading;
      if (changed.configs || changed.rejected) onChange(this.current());
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

  /**
   * Reads what changed: the files the watchers named, or (at start, on a resync, or when a watcher
   * could not say) the whole directory, where a file whose stat is unchanged is not read again.
   * Says whether the config in force or the set of rejected files changed.
   */
  private async reload(): Promise<ReadResult> {
    const named = this.dirty;
    this.dirty = new Set();
    let configs = false;
    let rejected = false;
    const take = (c: ReadResult) => {
      configs ||= c.configs;
      rejected ||= c.rejected;
    };
    let files: string[];
    if (named) {
      files = [...named].sort();
    } else {
      const dirs: string[] = [];
      files = await listFiles(this.options.dir, dirs);
      this.follow(dirs);
      const present = new Set(files);
      for (const f of new Set([...this.good.keys(), ...this.rejected.keys()])) if (!present.has(f)) take(this.remove(f));
      for (const f of [...this.stats.keys()]) if (!present.has(f)) this.stats.delete(f);
    }
    // Stat and read in parallel batches; take the results in file order.
    for (let i = 0; i < files.length; i += READ_BATCH) {
      const batch = files.slice(i, i + READ_BATCH);
      // A file a watcher named is read whatever its stat says (two writes of one size within one clock
      // tick keep the same mtime); the stat shortcut is for the whole-directory reads.
      const texts = await Promise.all(batch.map((f) => this.readIfChanged(f, named !== undefined)));
      batch.forEach((file, j) => {
        const t = texts[j];
        if (t === 'gone') take(this.remove(file));
        else if (typeof t === 'string') take(this.read(file, t));
        else if (t !== undefined) take(this.unreadable(file, t.error));
      });
    }
    if (configs) this.revision++;
    this.log.debug({ files: files.length, whole: !named, rejected: this.rejected.size, changed: { configs, rejected } }, 'config directory read');
    return { configs, rejected };
  }

  /**
   * The file's text when it changed since it was last read; undefined when not (or when it is no regular
   * file); 'gone' when it no longer exists (ENOENT, a dangling symlink too); the error when it exists but
   * its stat or read failed. A failed file is tried again on every read, whatever its stat.
   */
  private async readIfChanged(file: string, force: boolean): Promise<string | undefined | 'gone' | Unreadable> {
    const failed = (error: unknown): 'gone' | Unreadable => {
      this.stats.delete(file);
      return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT' ? 'gone' : { error };
    };
    let st;
    try {
      st = await stat(file);
    } catch (e) {
      return failed(e);
    }
    if (!st.isFile()) return undefined;
    // ctime too: a chmod changes nothing else, and may make the file readable or not.
    const key = `${st.mtimeMs}:${st.ctimeMs}:${st.size}:${st.ino}`;
    if (!force && this.stats.get(file) === key) return undefined;
    try {
      const text = await (this.options.readFile ?? readFile)(file, 'utf8');
      this.stats.set(file, key);
      return text;
    } catch (e) {
      return failed(e);
    }
  }

  /** A file that exists but cannot be read: rejected (its last good version stays), logged once per error. */
  private unreadable(file: string, error: unknown): ReadResult {
    const reason = describeError(error);
    const entry = this.rejected.get(file);
    if (entry && 'unreadable' in entry && entry.unreadable === reason) return { configs: false, rejected: false };
    const issue: Issue = { path: '', source: this.rel(file), message: `cannot read the file: ${reason} (${CONFIG_UNREADABLE})` };
    this.rejected.set(file, { unreadable: reason, input: { source: this.rel(file), errors: [issue], at: new Date().toISOString() } });
    this.log.error(
      { file: this.rel(file), code: CONFIG_UNREADABLE, errors: [formatIssue(issue)], kept: this.good.has(file) ? 'last good version' : 'nothing' },
      'config file rejected',
    );
    return { configs: false, rejected: true };
  }

  private remove(file: string): ReadResult {
    const configs = this.good.delete(file);
    const rejected = this.rejected.delete(file);
    if (configs || rejected) this.log.info({ file: this.rel(file) }, 'config file removed');
    return { configs, rejected };
  }

  /** Takes in one file's current text. Text already seen (accepted or rejected) is not validated again. */
  private read(file: string, text: string): ReadResult {
    const good = this.good.get(file);
    if (good?.text === text) {
      // Back to the version in force (a bad edit undone): nothing to validate, the rejection is over.
      if (!this.rejected.delete(file)) return { configs: false, rejected: false };
      this.log.info({ file: this.rel(file) }, 'config file back to its last good version');
      return { configs: false, rejected: true };
    }
    const seen = this.rejected.get(file);
    if (seen && 'text' in seen && seen.text === text) return { configs: false, rejected: false };
    const result = validateConfigYaml(text, this.rel(file));
    if (result.errors.length > 0) {
      this.rejected.set(file, { text, input: { source: this.rel(file), errors: result.errors, at: new Date().toISOString() } });
      this.log.error(
        { file: this.rel(file), errors: result.errors.map(formatIssue), kept: good ? 'last good version' : 'nothing' },
        'config file rejected',
      );
      return { configs: false, rejected: true };
    }
    for (const w of result.warnings) this.log.warn({ file: this.rel(file), warning: formatIssue(w) }, 'config warning');
    const wasRejected = this.rejected.delete(file);
    this.good.set(file, { text, configs: result.configs });
    this.log.info({ file: this.rel(file), objects: result.configs.length }, 'config file accepted');
    return { configs: true, rejected: wasRejected };
  }

  private rel(file: string): string {
    return relative(this.options.dir, file) || file;
  }
}
