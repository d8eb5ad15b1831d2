// `weftctl validate`: Istio's validation rules over files, with every error printed with its path.
import { flag, type Command, type CommandIO } from '@weft/base';
import { formatIssue, validateConfigYaml, type Issue } from '@weft/api';
import { CtlErrors } from '../errors.js';
import { readInputs } from './inputs.js';

const flags = {
  filename: flag('strings', 'file, directory or - (stdin) to validate; repeatable', { short: 'f' }),
  output: flag('string', 'output format: text or json', { short: 'o', default: 'text' }),
  'warnings-as-errors': flag('bool', 'exit 1 when there are warnings', { short: 'w', default: false }),
};

interface FileReport {
  source: string;
  objects: number;
  errors: Issue[];
  warnings: Issue[];
}

function printText(reports: readonly FileReport[], io: CommandIO): void {
  for (const r of reports) {
    for (const e of r.errors) io.stdout(`error: ${formatIssue(e)}\n`);
    for (const w of r.warnings) io.stderr(`warning: ${formatIssue(w)}\n`);
    const verdict = r.errors.length === 0 ? 'valid' : 'invalid';
    io.stdout(`${r.source}: ${verdict} (${r.objects} object${r.objects === 1 ? '' : 's'}, ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}, ${r.warnings.length} warning${r.warnings.length === 1 ? '' : 's'})\n`);
  }
}

export const validateCommand: Command<typeof flags> = {
  name: 'validate',
  summary: 'Validate Istio config files by Istio’s rules; every error is printed with its field path',
  usage: '-f FILE [-f FILE ...] [flags]',
  flags,
  run: async ({ values }, io) => {
    const output = values.output;
    if (output !== 'text' && output !== 'json') {
      io.stderr(`weftctl validate: ${CtlErrors.BAD_OUTPUT([output]).message} [${CtlErrors.BAD_OUTPUT.code}]\n`);
      return 2;
    }
    const { inputs, errors: readErrors } = await readInputs(values.filename ?? [], io);
    for (const e of readErrors) io.stderr(`weftctl validate: ${e.message} [${e.code}]\n`);
    if (inputs.length === 0 && readErrors.some((e) => CtlErrors.NO_INPUT.is(e))) return 2;
    const reports: FileReport[] = inputs.map(({ source, text }) => {
      const r = validateConfigYaml(text, source);
      return { source, objects: r.configs.length, errors: r.errors, warnings: r.warnings };
    });
    if (output === 'json') {
      const valid = readErrors.length === 0 && reports.every((r) => r.errors.length === 0);
      io.stdout(`${JSON.stringify({ valid, files: reports, inputErrors: readErrors.map((e) => ({ code: e.code, message: e.message })) }, null, 2)}\n`);
    } else {
      printText(reports, io);
    }
    const failed = readErrors.length > 0 || reports.some((r) => r.errors.length > 0 || (values['warnings-as-errors'] && r.warnings.length > 0));
    return failed ? 1 : 0;
  },
};
