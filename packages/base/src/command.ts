// The shell every binary shares: subcommands, flag parsing, --help, and exit codes.
import { formatHelp, parseFlags, type FlagSpecs, type ParsedFlags } from './flags.js';
import { formatIssues } from './result.js';

export interface CommandIO {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Reads all of standard input (for `-f -`); absent where there is none. */
  readonly readStdin?: () => Promise<string>;
}

export interface Command<S extends FlagSpecs = FlagSpecs> {
  readonly name: string;
  readonly summary: string;
  /** Usage line after the command path, e.g. `[flags]` or `-f FILE`. */
  readonly usage?: string;
  readonly flags?: S;
  readonly subcommands?: readonly Command<FlagSpecs>[];
  /** Runs the command; resolves to the process exit code. Servers resolve when they stop. */
  readonly run?: (flags: ParsedFlags<S>, io: CommandIO) => Promise<number>;
  /** Exit code after printing --help; non-zero only for binaries that cannot do anything yet. */
  readonly helpExitCode?: number;
}

/** Exit code for usage errors, as Go's flag package and cobra use. */
export const USAGE_EXIT_CODE = 2;

function helpFor(path: string, cmd: Command<FlagSpecs>): string {
  const subs = cmd.subcommands ?? [];
  const usage = `${path} ${subs.length > 0 && !cmd.run ? '<command>' : cmd.usage ?? '[flags]'}`;
  let text = formatHelp(usage, cmd.flags ?? {}, cmd.summary);
  if (subs.length > 0) {
    const width = Math.max(...subs.map((s) => s.name.length)) + 3;
    text += `\nCommands:\n${subs.map((s) => `  ${s.name.padEnd(width)}${s.summary}`).join('\n')}\n`;
  }
  return text;
}

/** Dispatches argv to the command (or subcommand) and returns the exit code. */
export async function runCommand(root: Command<FlagSpecs>, argv: readonly string[], io: CommandIO): Promise<number> {
  let cmd = root;
  let path = root.name;
  let rest = [...argv];
  for (;;) {
    const next = rest[0];
    const sub = next && !next.startsWith('-') ? cmd.subcommands?.find((s) => s.name === next) : undefined;
    if (!sub) break;
    cmd = sub;
    path += ` ${sub.name}`;
    rest = rest.slice(1);
  }
  if ((cmd.subcommands?.length ?? 0) > 0 && !cmd.run) {
    const first = rest[0];
    if (first && first !== '--help' && first !== '-h') {
      io.stderr(`${path}: unknown command "${first}"\n\n${helpFor(path, cmd)}`);
      return USAGE_EXIT_CODE;
    }
    (first ? io.stdout : io.stderr)(helpFor(path, cmd));
    return first ? 0 : USAGE_EXIT_CODE;
  }
  const parsed = parseFlags(cmd.flags ?? {}, rest, io.env);
  if (!parsed.ok) {
    io.stderr(`${path}: ${formatIssues(parsed.errors).split('\n').join(`\n${path}: `)}\n\n${helpFor(path, cmd)}`);
    return USAGE_EXIT_CODE;
  }
  if (parsed.flags.help || !cmd.run) {
    io.stdout(helpFor(path, cmd));
    return cmd.helpExitCode ?? 0;
  }
  return cmd.run(parsed.flags, io);
}

/**
 * The command of a binary whose component has not landed yet: `--help` says so and lists
 * no flags (none work yet); any other use says so and exits non-zero.
 */
export function notBuiltYet(binary: string, component: string): Command {
  const message = `${binary}: ${component} is not built yet in this version of Weft; this binary has no working commands.`;
  return {
    name: binary,
    summary: message,
    usage: '',
    helpExitCode: 1,
    run: async (_flags, io) => {
      io.stderr(`${message}\n`);
      return 1;
    },
  };
}

/** The real process's IO, for main.ts. */
export function processIO(env: Readonly<Record<string, string | undefined>>): CommandIO {
  return {
    stdout: (s) => process.stdout.write(s),
    stderr: (s) => process.stderr.write(s),
    env,
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
  };
}
