// envoy.filters.http.cors: answers preflight requests and adds the CORS response headers, using the
// most specific CorsPolicy of the route (compiled by the route table).
import type { RoutedStream } from '../../../../http/connection-manager.js';
import type { FilterStatus, HttpFilter } from '../../../../http/http-filter.js';

export const CORS_FILTER = 'envoy.filters.http.cors';

export function createCorsFilter(): HttpFilter {
  return {
    name: CORS_FILTER,
    decode(raw): FilterStatus {
      const ctx = raw as RoutedStream;
      if (ctx.decision.kind !== 'forward') return 'continue';
      const policy = ctx.decision.cors;
      const origin = ctx.downstreamHeaders['origin'];
      if (!policy || typeof origin !== 'string') return 'continue';
      if (policy.filterEnabledPerMillion < 1_000_000 && Math.random() * 1_000_000 >= policy.filterEnabledPerMillion) return 'continue';
      if (!policy.allowOrigins.some((m) => m.match(origin))) return 'continue';
      const h = ctx.responseHeaders;
      const preflight = ctx.method === 'OPTIONS' && typeof ctx.downstreamHeaders['access-control-request-method'] === 'string';
      h['access-control-allow-origin'] = origin;
      if (policy.allowCredentials) h['access-control-allow-credentials'] = 'true';
      if (preflight) {
        if (policy.allowMethods) h['access-control-allow-methods'] = policy.allowMethods;
        if (policy.allowHeaders) h['access-control-allow-headers'] = policy.allowHeaders;
        if (policy.maxAge) h['access-control-max-age'] = policy.maxAge;
        ctx.sendLocalReply(200, '');
        return 'stop';
      }
      if (policy.exposeHeaders) h['access-control-expose-headers'] = policy.exposeHeaders;
      return 'continue';
    },
  };
}
