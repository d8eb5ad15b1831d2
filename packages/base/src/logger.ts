// Structured logging: one pino root per process, named by component; modules take a child.
import { pino, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

export type { Logger };

export interface LoggerOptions {
  /** The component (binary) name, e.g. `pilot`, `proxy`. Every line carries it. */
  component: string;
  level?: LevelWithSilent;
  /** Where lines go; stderr by default so that stdout stays free for command output. */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: { component: options.component },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination ?? pino.destination({ fd: 2, sync: false }),
  );
}

/** A child logger for one module: `moduleLogger(log, 'xds.push-queue')`. */
export function moduleLogger(parent: Logger, module: string): Logger {
  return parent.child({ module });
}

/** A logger that drops everything, for tests and library defaults. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
