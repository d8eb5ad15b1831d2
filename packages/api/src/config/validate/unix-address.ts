// Unix domain socket addresses ("unix:///path" or abstract "unix://@name") used by endpoints and binds.
import type { Ctx } from './context.js';

export const UNIX_PREFIX = 'unix://';

/** Checks the path after `unix://`: absolute, not a directory, or an abstract socket name (`@...`). */
export function checkUnixAddress(path: string, ctx: Ctx): void {
  if (path === '') ctx.error('unix address must not be empty');
  else if (path.startsWith('@')) return;
  else if (!path.startsWith('/') || path.endsWith('/')) ctx.error(`${JSON.stringify(path)} is not an absolute path to a file`);
}
