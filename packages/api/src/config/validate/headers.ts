// HTTP header names in matches and header operations. Istio requires them non-empty; the API says
// lower case, and HTTP/2 forbids upper case on the wire, so upper case is a warning.
import type { HeaderOperations, Headers } from '../types/virtual-service.js';
import { type Ctx, eachAt } from './context.js';

export function checkHeaderName(name: string, ctx: Ctx): void {
  if (name === '') ctx.error('header name cannot be empty');
  else if (name !== name.toLowerCase()) ctx.warn(`header name ${JSON.stringify(name)} should be lower case`);
}

/** Keys of a header map (`set`, `add`, the deprecated append* fields). */
export function checkHeaderMapKeys(headers: Readonly<Record<string, string>> | undefined, ctx: Ctx): void {
  for (const name of Object.keys(headers ?? {})) checkHeaderName(name, ctx.key(name));
}

export function checkHeaderList(names: readonly (string | undefined)[] | undefined, ctx: Ctx): void {
  eachAt(names, ctx, (name, at) => checkHeaderName(name, at));
}

function checkOperations(ops: HeaderOperations | undefined, ctx: Ctx): void {
  if (ops === undefined) return;
  checkHeaderMapKeys(ops.set, ctx.at('set'));
  checkHeaderMapKeys(ops.add, ctx.at('add'));
  checkHeaderList(ops.remove, ctx.at('remove'));
}

export function checkHeaders(headers: Headers | undefined, ctx: Ctx): void {
  if (headers === undefined) return;
  checkOperations(headers.request, ctx.at('request'));
  checkOperations(headers.response, ctx.at('response'));
}
