// A CommandIO that records what a command prints, for tests of main.ts and CLI commands.
import type { CommandIO } from '@weft/base';

export interface CapturedIO {
  readonly io: CommandIO;
  stdout(): string;
  stderr(): string;
}

export function captureIO(env: Readonly<Record<string, string | undefined>> = {}): CapturedIO {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), env },
    stdout: () => out.join(''),
    stderr: () => err.join(''),
  };
}
