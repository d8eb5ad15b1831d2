// Entry point of `pilot-discovery`: the only place that reads argv and env.
import { notBuiltYet, processIO, runCommand, type CommandIO } from '@weft/base';

export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIO = processIO(env),
): Promise<number> {
  return runCommand(notBuiltYet('pilot-discovery', 'Pilot'), argv, io);
}
