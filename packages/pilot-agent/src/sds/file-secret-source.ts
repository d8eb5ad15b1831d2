// The secrets of `file-cert:`/`file-root:` names, shared by every SDS stream: each name is read when
// first asked for and then watched; a change of its files re-reads it and, when the content differs
// and passes the checks, tells the subscribers. A read that fails (missing file, bad PEM, a key that
// does not match) is logged with the path and the last good secret stays.
import { moduleLogger, type Logger } from '@weft/base';
import { AgentErrors } from '../errors.js';
import { loadFileSecret, type FileSecretName, type LoadedSecret } from './file-secret.js';
import { FileWatcher } from './file-watcher.js';
import { secretFiles } from './secret-names.js';

export interface FileSecretSourceOptions {
  readonly logger: Logger;
  /** How often the files are re-stat'ed besides the directory events (default 2 s). */
  readonly pollIntervalMs?: number;
}

/** One subscriber's hold on a name. */
export interface SecretSubscription {
  /** The last good secret, if there has been one. */
  current(): LoadedSecret | undefined;
  close(): void;
}

interface Entry {
  readonly spec: FileSecretName;
  readonly listeners: Set<(secret: LoadedSecret) => void>;
  current: LoadedSecret | undefined;
  unwatch: () => void;
}

export const DEFAULT_POLL_INTERVAL_MS = 2000;

export class FileSecretSource {
  private readonly log: Logger;
  private readonly entries = new Map<string, Entry>();
  private readonly watcher: FileWatcher;

  constructor(options: FileSecretSourceOptions) {
    this.log = moduleLogger(options.logger, 'sds');
    this.watcher = new FileWatcher({ pollIntervalMs: options.pollIntervalMs ?? DEFAULT_POLL_INTERVAL_MS });
  }

  /** Names read and watched now (for tests and debugging). */
  get watchedNames(): string[] {
    return [...this.entries.keys()];
  }

  /** Holds `spec.name` (reading it now if nobody held it); `onUpdate` runs for each new good secret. */
  subscribe(spec: FileSecretName, onUpdate: (secret: LoadedSecret) => void): SecretSubscription {
    let entry = this.entries.get(spec.name);
    if (!entry) {
      const e: Entry = { spec, listeners: new Set(), current: undefined, unwatch: () => undefined };
      this.entries.set(spec.name, e);
      this.reload(e, 'first request');
      e.unwatch = this.watcher.watch(secretFiles(spec), () => this.reload(e, 'file changed'));
      entry = e;
    }
    const held = entry;
    held.listeners.add(onUpdate);
    let open = true;
    return {
      current: () => held.current,
      close: () => {
        if (!open) return;
        open = false;
        held.listeners.delete(onUpdate);
        if (held.listeners.size > 0 || this.entries.get(spec.name) !== held) return;
        held.unwatch();
        this.entries.delete(spec.name);
      },
    };
  }

  /** Re-stats every watched file now (what the periodic poll does). */
  checkNow(): void {
    this.watcher.check();
  }

  close(): void {
    this.watcher.close();
    this.entries.clear();
  }

  private reload(entry: Entry, cause: string): void {
    const r = loadFileSecret(entry.spec);
    if (!r.ok) {
      const error = AgentErrors.SDS_SECRET_FILE([entry.spec.name, r.path, r.reason]);
      const kept = entry.current !== undefined;
      this.log.error({ code: error.code, secret: entry.spec.name, path: r.path, reason: r.reason, cause, keptVersion: entry.current?.version }, kept ? `${error.message}; the last good secret stays` : error.message);
      return;
    }
    if (entry.current?.version === r.secret.version) {
      this.log.debug({ secret: entry.spec.name, version: r.secret.version, cause }, 'secret files touched, content unchanged');
      return;
    }
    const previous = entry.current?.version;
    entry.current = r.secret;
    this.log.info({ secret: entry.spec.name, version: r.secret.version, ...(previous ? { previous } : {}), cause }, previous ? 'secret files changed; pushing the new secret' : 'secret loaded');
    for (const l of [...entry.listeners]) l(r.secret);
  }
}
