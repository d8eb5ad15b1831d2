// A real pino logger whose JSON lines the test can read and wait on.
import { Writable } from 'node:stream';
import { createLogger, type Logger } from '@weft/base';

export interface CapturedLogs {
  readonly logger: Logger;
  readonly lines: Record<string, unknown>[];
  /** Resolves with the first line whose msg is `msg` (and that `match` accepts), or rejects after `timeoutMs`. */
  waitFor(msg: string, match?: (line: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<Record<string, unknown>>;
}

export function captureLogs(): CapturedLogs {
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      for (const w of waiters) w();
      done();
    },
  });
  const logger = createLogger({ component: 'pilot-agent', level: 'debug', destination: stream });
  return {
    logger,
    lines,
    waitFor: (msg, match = () => true, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = lines.find((l) => l['msg'] === msg && match(l));
          if (!found) return;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no log "${msg}" within ${timeoutMs} ms; saw:\n${lines.map((l) => JSON.stringify(l)).join('\n')}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
  };
}
