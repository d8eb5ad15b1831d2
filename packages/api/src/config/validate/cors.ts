// CORS policy: origins as "*" or [http[s]://]host[:port], methods Go's net/http knows, max-age in whole seconds
// (Access-Control-Max-Age is an integer number of seconds).
import type { CorsPolicy } from '../types/virtual-service.js';
import { type Ctx, eachAt } from './context.js';
import { checkDuration } from './duration.js';
import { checkHeaderList } from './headers.js';
import { checkFQDN } from './hosts.js';
import { checkStringMatch } from './string-match.js';

export const HTTP_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE']);

function checkOrigin(origin: string, ctx: Ctx): void {
  if (origin === '*') return;
  const hostPort = origin.replace(/^https?:\/\//, '');
  const parts = hostPort.split(':');
  if (parts.length > 2) {
    ctx.error(`origin ${JSON.stringify(origin)} must be "*" or [http[s]://]host[:port]`);
    return;
  }
  const [host = '', port] = parts;
  if (port !== undefined && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    ctx.error(`origin ${JSON.stringify(origin)} has an invalid port ${JSON.stringify(port)}`);
  }
  const err = checkFQDN(host);
  if (err !== undefined) ctx.error(`origin ${JSON.stringify(origin)}: ${err}`);
}

export function checkCors(cors: CorsPolicy, ctx: Ctx): void {
  eachAt(cors.allowOrigin, ctx.at('allowOrigin'), checkOrigin);
  eachAt(cors.allowOrigins, ctx.at('allowOrigins'), (m, at) => checkStringMatch(m, at));
  eachAt(cors.allowMethods, ctx.at('allowMethods'), (method, at) => {
    if (!HTTP_METHODS.has(method)) at.error(`${JSON.stringify(method)} is not a supported HTTP method`);
  });
  checkHeaderList(cors.allowHeaders, ctx.at('allowHeaders'));
  checkHeaderList(cors.exposeHeaders, ctx.at('exposeHeaders'));
  checkDuration(cors.maxAge, ctx.at('maxAge'), { min: 1_000_000n, precision: 's' });
  if (cors.allowOrigin !== undefined && cors.allowOrigins !== undefined) {
    ctx.at('allowOrigin').warn('allowOrigin is ignored when allowOrigins is set');
  }
}
