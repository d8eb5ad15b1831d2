import { describe, expect, it } from 'vitest';
import { notBuiltYet, runCommand, type Command } from './command.js';
import { flag } from './flags.js';

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { stdout: (s: string) => out.push(s), stderr: (s: string) => err.push(s), env: {} }, out, err };
}

const validate: Command = {
  name: 'validate',
  summary: 'validate files',
  flags: { filename: flag('strings', 'file', { short: 'f' }) },
  run: async (f, io) => {
    io.stdout(`files=${(f.values.filename as string[]).join('|')}`);
    return 0;
  },
};
const root: Command = { name: 'weftctl', summary: 'the CLI', subcommands: [validate] };

describe('runCommand', () => {
  it('dispatches to the subcommand with its flags', async () => {
    const c = capture();
    expect(await runCommand(root, ['validate', '-f', 'a.yaml', '-f', 'b.yaml'], c.io)).toBe(0);
    expect(c.out.join('')).toBe('files=a.yaml|b.yaml');
  });

  it('rejects an unknown subcommand with exit 2 and the command list', async () => {
    const c = capture();
    expect(await runCommand(root, ['nope'], c.io)).toBe(2);
    expect(c.err.join('')).toContain('unknown command "nope"');
    expect(c.err.join('')).toContain('validate');
  });

  it('prints help and exits 0', async () => {
    const c = capture();
    expect(await runCommand(root, ['validate', '--help'], c.io)).toBe(0);
    expect(c.out.join('')).toContain('-f, --filename strings');
  });

  it('a binary not built yet says so and exits non-zero, even for --help', async () => {
    for (const argv of [[], ['--help'], ['--anything']]) {
      const c = capture();
      expect(await runCommand(notBuiltYet('mixs', 'Mixer'), argv, c.io)).not.toBe(0);
      expect(c.out.join('') + c.err.join('')).toContain('Mixer is not built yet');
    }
  });
});
