// Access log output that never blocks a request: lines are queued in memory and written in batches
// (one write per event-loop turn) to one stream per path, shared by every logger that names the path
// (Envoy's AccessLogManager). The queue is bounded; when the disk or pipe cannot keep up, new lines
// are dropped and counted (`access_log.dropped`) rather than held without limit.
import { createWriteStream } from 'node:fs';
import { Writable } from 'node:stream';

/** A counter as the stat store hands them out. */
export interface DropCounter {
  value: number;
}

export interface LogFilesOptions {
  /** Bytes (UTF-16 units) queued per path before lines are dropped; 4 MiB by default. */
  readonly maxBufferBytes?: number;
  readonly dropped?: DropCounter;
  /** Opens the stream for a path; `openLogSink` by default. */
  readonly open?: (path: string) => Writable;
  readonly onError?: (path: string, error: Error) => void;
}

const DEFAULT_MAX_BUFFER = 4 * 1024 * 1024;

/** Writes to the process's own stdout/stderr; ending it never closes them. */
function standardStream(target: NodeJS.WriteStream): Writable {
  return new Writable({
    highWaterMark: 64 * 1024,
    decodeStrings: false,
    write: (chunk: string | Buffer, encoding: BufferEncoding, cb: (e?: Error | null) => void) => void target.write(chunk, encoding, (e) => cb(e ?? null)),
    final: (cb: (e?: Error | null) => void) => cb(),
  });
}

/**
 * The sink for an access log path: `/dev/stdout` and `/dev/stderr` are the process's own streams
 * (Envoy's DestinationType Stdout/Stderr), because opening the path fails with ENXIO when fd 1 is a
 * socket, as it is under a supervisor or Node's child_process; any other path is appended to.
 */
export function openLogSink(path: string): Writable {
  if (path === '/dev/stdout') return standardStream(process.stdout);
  if (path === '/dev/stderr') return standardStream(process.stderr);
  return createWriteStream(path, { flags: 'a', highWaterMark: 64 * 1024 });
}

export class LogFile {
  private pending: string[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  /** The stream asked us to wait for 'drain'. */
  private blocked = false;
  private failed = false;

  constructor(
    readonly path: string,
    private readonly sink: Writable,
    private readonly maxBufferBytes: number,
    private readonly dropped: DropCounter,
    onError: (path: string, error: Error) => void,
  ) {
    sink.on('error', (e: Error) => {
      // An unwritable path (bad directory, permissions) loses its lines; the proxy keeps serving.
      this.failed = true;
      this.dropped.value += this.pending.length;
      this.pending = [];
      this.pendingBytes = 0;
      onError(path, e);
    });
    sink.on('drain', () => {
      this.blocked = false;
      if (this.pending.length > 0) this.schedule();
    });
  }

  /** Queues one line (with its newline); drops it when the queue is full. Never blocks. */
  write(line: string): void {
    if (this.failed || this.pendingBytes + line.length > this.maxBufferBytes) {
      this.dropped.value++;
      return;
    }
    this.pending.push(line);
    this.pendingBytes += line.length;
    if (!this.blocked) this.schedule();
  }

  /** Writes everything queued and resolves once the stream has taken it (tests, shutdown). */
  async flush(): Promise<void> {
    this.writeOut();
    if (this.failed) return;
    await new Promise<void>((resolve) => this.sink.write('', () => resolve()));
  }

  async close(): Promise<void> {
    await this.flush();
    if (this.failed) return;
    await new Promise<void>((resolve) => this.sink.end(() => resolve()));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (!this.blocked) this.writeOut();
    });
  }

  private writeOut(): void {
    if (this.pending.length === 0 || this.failed) return;
    const chunk = this.pending.join('');
    this.pending = [];
    this.pendingBytes = 0;
    if (!this.sink.write(chunk)) this.blocked = true;
  }
}

/** The log files of a process, one per path. */
export class LogFiles {
  private readonly files = new Map<string, LogFile>();
  readonly dropped: DropCounter;

  constructor(private readonly options: LogFilesOptions = {}) {
    this.dropped = options.dropped ?? { value: 0 };
  }

  open(path: string): LogFile {
    let file = this.files.get(path);
    if (!file) {
      const sink = (this.options.open ?? openLogSink)(path);
      file = new LogFile(path, sink, this.options.maxBufferBytes ?? DEFAULT_MAX_BUFFER, this.dropped, this.options.onError ?? (() => undefined));
      this.files.set(path, file);
    }
    return file;
  }

  async flush(): Promise<void> {
    await Promise.all([...this.files.values()].map((f) => f.flush()));
  }

  async close(): Promise<void> {
    const files = [...this.files.values()];
    this.files.clear();
    await Promise.all(files.map((f) => f.close()));
  }
}

let processFiles: LogFiles | undefined;

/**
 * The process's log files. One per process, like Envoy's AccessLogManager, because every version of
 * every listener that names a path must share its stream; created on first use.
 */
export function processLogFiles(options: Pick<LogFilesOptions, 'dropped' | 'onError'> = {}): LogFiles {
  processFiles ??= new LogFiles(options);
  return processFiles;
}
