import { describe, expect, it } from 'vitest';
import { checkCexl } from './cexl.js';

describe('CEXL match expressions', () => {
  it.each([
    '',
    'true',
    'destination.service.host == "ratings.default.svc.cluster.local"',
    'source.labels["app"] == "reviews" && request.headers["x-user"] != "jason"',
    'match(request.headers["user-agent"], "curl*") || !(context.protocol == "tcp")',
    '(request.size | 0) > 1024',
    'destination.service.host.startsWith("ratings")',
    'source.ip == ip("10.0.0.1")',
    'response.code >= 500 && response.duration > "10ms"',
    'request.path | "/" == `/api`',
  ])('accepts %j', (expr) => {
    expect(checkCexl(expr)).toBeUndefined();
  });

  it.each([
    ['a = b', 'unexpected character "="'],
    ['(a == b', 'expected ")", found end of expression'],
    ['a ==', 'unexpected end of expression'],
    ['lookup(a)', 'unknown function "lookup"'],
    ['"unterminated', 'unterminated string'],
    ['a b', 'unexpected "b"'],
    ['"x".y', 'unexpected ".y"'],
    ['a[1', 'expected "]"'],
  ])('rejects %j (%s)', (expr, why) => {
    expect(checkCexl(expr)).toContain(why);
  });
});
