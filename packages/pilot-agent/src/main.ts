// Entry point of `pilot-agent`: the only place that reads argv and env.
import { processIO, runCommand, type Command, type CommandIO } from '@weft/base';
import { iptablesCommand } from './iptables/iptables-command.js';
import { proxyCommand } from './proxy/proxy-command.js';

export const pilotAgent: Command = {
  name: 'pilot-agent',
  summary: 'pilot-agent: bootstraps, supervises and drains weft-proxy, and writes the iptables capture rules',
  subcommands: [proxyCommand as Command, iptablesCommand as Command],
};

export async function main(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CommandIO = processIO(env),
): Promise<number> {
  return runCommand(pilotAgent, argv, io);
}
