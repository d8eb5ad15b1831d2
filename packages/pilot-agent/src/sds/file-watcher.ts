// Notices when watched files change, robustly against how Kubernetes updates secret volumes (the
// files are symlinks through `..data`, which is swapped by a rename) and editors that rename over a
// file: it watches each file's directory (fs.watch), not the file, and also re-stats every file
// periodically (a missed or unsupported event, a directory that appears later). A file's identity is
// its stat (device, inode, size, mtime, ctime, following symlinks), or the error stat gave.
import { statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';

export interface FileWatcherOptions {
  /** How often every watched file is re-stat'ed, whatever the events say. */
  readonly pollIntervalMs: number;
  /** How long events are collected before the files are checked (a rename burst is one change). */
  readonly settleMs?: number;
}

interface Watch {
  readonly paths: readonly string[];
  readonly onChange: () => void;
  signature: string;
}

interface DirWatch {
  watcher: FSWatcher | undefined;
  /** The directory's stat when the watcher was opened: a directory replaced since gets a new watcher. */
  identity: string;
  refs: number;
}

function statOf(path: string): string {
  try {
    const s = statSync(path);
    return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
  } catch (e) {
    return `error:${(e as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}

function dirIdentity(path: string): string {
  try {
    const s = statSync(path);
    return s.isDirectory() ? `${s.dev}:${s.ino}` : 'error:ENOTDIR';
  } catch (e) {
    return `error:${(e as NodeJS.ErrnoException).code ?? 'unknown'}`;
  }
}

export function fileSignature(paths: readonly string[]): string {
  return paths.map(statOf).join('|');
}

export class FileWatcher {
  private readonly watches = new Set<Watch>();
  private readonly dirs = new Map<string, DirWatch>();
  private poll: NodeJS.Timeout | undefined;
  private settle: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: FileWatcherOptions) {}

  /** Calls `onChange` whenever one of `paths` changes; returns the function that stops watching. */
  watch(paths: readonly string[], onChange: () => void): () => void {
    const w: Watch = { paths: [...paths], onChange, signature: fileSignature(paths) };
    this.watches.add(w);
    const dirs = [...new Set(paths.map((p) => dirname(p)))];
    for (const d of dirs) this.addDir(d);
    if (!this.poll && !this.closed) {
      this.poll = setInterval(() => this.check(), this.options.pollIntervalMs);
      this.poll.unref();
    }
    let active = true;
    return () => {
      if (!active) return;
      active = false;
      this.watches.delete(w);
      for (const d of dirs) this.removeDir(d);
      if (this.watches.size === 0) this.stopTimers();
    };
  }

  close(): void {
    this.closed = true;
    this.stopTimers();
    for (const d of this.dirs.values()) d.watcher?.close();
    this.dirs.clear();
    this.watches.clear();
  }

  /** Re-stats every watched file now and reports those that changed. */
  check(): void {
    for (const d of this.dirs.keys()) this.ensureWatcher(d);
    for (const w of [...this.watches]) {
      const next = fileSignature(w.paths);
      if (next === w.signature) continue;
      w.signature = next;
      if (this.watches.has(w)) w.onChange();
    }
  }

  private stopTimers(): void {
    clearInterval(this.poll);
    clearTimeout(this.settle);
    this.poll = undefined;
    this.settle = undefined;
  }

  private addDir(dir: string): void {
    const d = this.dirs.get(dir);
    if (d) {
      d.refs++;
      return;
    }
    this.dirs.set(dir, { watcher: undefined, identity: '', refs: 1 });
    this.ensureWatcher(dir);
  }

  private removeDir(dir: string): void {
    const d = this.dirs.get(dir);
    if (!d || --d.refs > 0) return;
    d.watcher?.close();
    this.dirs.delete(dir);
  }

  /** (Re)opens the directory's watcher; a directory that does not exist yet is left to the poll. */
  private ensureWatcher(dir: string): void {
    const d = this.dirs.get(dir);
    if (!d || this.closed) return;
    const identity = dirIdentity(dir);
    if (d.watcher && identity === d.identity) return;
    d.watcher?.close();
    d.watcher = undefined;
    d.identity = identity;
    if (identity.startsWith('error:')) return;
    try {
      const watcher = watch(dir, { persistent: false }, () => this.soon());
      watcher.on('error', () => {
        watcher.close();
        if (d.watcher === watcher) d.watcher = undefined;
      });
      d.watcher = watcher;
    } catch {
      d.watcher = undefined;
    }
  }

  private soon(): void {
    if (this.settle || this.closed) return;
    this.settle = setTimeout(() => {
      this.settle = undefined;
      this.check();
    }, this.options.settleMs ?? 20);
  }
}
