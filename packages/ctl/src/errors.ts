// weftctl's error catalog; every code is listed in docs/reference/errors.md.
import { defineErrors } from '@weft/base';

export const CtlErrors = defineErrors({
  FILE_READ: { code: 'WEFT_CTL_FILE_READ', message: 'cannot read %s: %s' },
  NO_INPUT: { code: 'WEFT_CTL_NO_INPUT', message: 'no input: give -f FILE, -f DIR or -f - (stdin)' },
  BAD_OUTPUT: { code: 'WEFT_CTL_BAD_OUTPUT', message: 'unknown output format "%s" (want text or json)' },
  NO_FILES: { code: 'WEFT_CTL_NO_FILES', message: 'directory %s holds no .yaml, .yml or .json files' },
});
