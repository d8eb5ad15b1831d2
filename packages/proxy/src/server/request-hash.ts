// The request hash for RING_HASH/MAGLEV clusters: the route's hash_policy compiled once per route
// (cached by route config object) and evaluated per request; a generated cookie goes back as Set-Cookie.
import type { RoutedStream } from '../http/connection-manager.js';
import { formatSetCookie, HashPolicy } from '../load-balancer/hash-policy.js';
import type { ForwardDecision } from '../router/index.js';

export interface RoutedHashing {
  hashOf(ctx: RoutedStream, decision: ForwardDecision): bigint | undefined;
}

function cookieOf(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
  }
  return undefined;
}

export function createRoutedHashing(): RoutedHashing {
  const compiled = new WeakMap<object, HashPolicy | null>();
  return {
    hashOf(ctx, decision) {
      const policies = decision.route.config.route?.hash_policy ?? [];
      if (policies.length === 0) return undefined;
      let policy = compiled.get(decision.route.config);
      if (policy === undefined) {
        policy = HashPolicy.compile(policies).value ?? null;
        compiled.set(decision.route.config, policy);
      }
      if (!policy) return undefined;
      const url = new URL(ctx.path, 'http://x');
      const result = policy.generate({
        header: (n) => ctx.head.header(n),
        cookie: (n) => cookieOf(ctx.head.header('cookie'), n),
        query: (n) => url.searchParams.get(n) ?? undefined,
        ...(ctx.remoteAddress ? { sourceIp: ctx.remoteAddress.replace(/^::ffff:/, '') } : {}),
      });
      if (result.setCookie) ctx.responseHeaders['set-cookie'] = formatSetCookie(result.setCookie);
      return result.hash;
    },
  };
}
