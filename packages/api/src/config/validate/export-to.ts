// exportTo: Istio 1.1-1.4 accept a single entry, "." (this namespace) or "*" (every namespace).
import type { Ctx } from './context.js';

export function checkExportTo(exportTo: readonly (string | undefined)[] | undefined, ctx: Ctx): void {
  if (exportTo === undefined || exportTo.length === 0) return;
  if (exportTo.length > 1) ctx.error('exportTo may have only one entry ("." or "*") in Istio 1.1-1.4');
  exportTo.forEach((e, i) => {
    if (e !== undefined && e !== '.' && e !== '*') ctx.at(i).error(`invalid exportTo value ${JSON.stringify(e)}; only "." or "*" is allowed`);
  });
}
