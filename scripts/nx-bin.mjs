// The nx CLI entry point as the installed nx package declares it (package.json `bin`), so scripts
// run it with this Node without a shell; its path inside the package changes between nx versions.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function nxBin() {
  const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '..', 'package.json'));
  const manifest = require.resolve('nx/package.json');
  const { bin } = require(manifest);
  return join(dirname(manifest), typeof bin === 'string' ? bin : bin.nx);
}
