// Entry point of `weftctl`: the only place that reads argv and env.
import { processIO, runCommand, type Command, type CommandIO } from '@weft/base';
import { localCommand } from './local/local-command.js';
import { validateCommand } from './validate/validate-command.js';

export const weftctl: Command = {
  name: 'weftctl',
  summary: 'weftctl controls and inspects a Weft service mesh',
  subcommands: [validateCommand as Command, localCommand],
};

export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIO = processIO(env),
): Promise<number> {
  return runCommand(weftctl, argv, io);
}
