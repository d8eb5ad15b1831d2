// Expands `-f` arguments (files, directories, `-` for stdin) into named texts to validate.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import type { CommandIO, WeftError } from '@weft/base';
import { CtlErrors } from '../errors.js';

export interface Input {
  readonly source: string;
  readonly text: string;
}

const CONFIG_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(path)));
    else if (CONFIG_EXTENSIONS.has(extname(entry.name))) out.push(path);
  }
  return out;
}

function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'ENOENT' ? 'no such file or directory' : err.code === 'EACCES' ? 'permission denied' : String(err.message ?? e);
}

/** Reads every input; unreadable ones become errors so that the readable ones are still checked. */
export async function readInputs(names: readonly string[], io: CommandIO): Promise<{ inputs: Input[]; errors: WeftError[] }> {
  const inputs: Input[] = [];
  const errors: WeftError[] = [];
  if (names.length === 0) return { inputs, errors: [CtlErrors.NO_INPUT()] };
  for (const name of names) {
    try {
      if (name === '-') {
        inputs.push({ source: '<stdin>', text: io.readStdin ? await io.readStdin() : '' });
        continue;
      }
      if ((await stat(name)).isDirectory()) {
        const files = await filesUnder(name);
        if (files.length === 0) errors.push(CtlErrors.NO_FILES([name]));
        for (const file of files) inputs.push({ source: file, text: await readFile(file, 'utf8') });
      } else {
        inputs.push({ source: name, text: await readFile(name, 'utf8') });
      }
    } catch (e) {
      errors.push(CtlErrors.FILE_READ([name, reason(e)], e));
    }
  }
  return { inputs, errors };
}
