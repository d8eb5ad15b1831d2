import { loadProtoRegistry } from '@weft/api';
import { formatIssues } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { createRequestHead, type RequestHeadInit } from './request-head.js';
import { routeConfigurationFromJson } from './route-config-json.js';
import type { RouteDecision } from './route-decision.js';
import { compileRouteConfiguration, type RouteTable } from './route-table.js';

const registry = loadProtoRegistry();

function compile(json: object, unpack = true) {
  const rc = routeConfigurationFromJson(registry, json);
  if (!rc.value) throw new Error(formatIssues(rc.errors));
  return compileRouteConfiguration(rc.value, unpack ? { unpack: (a) => registry.unpack(a) } : {});
}

function table(json: object): RouteTable {
  const result = compile(json);
  if (!result.value) throw new Error(formatIssues(result.errors));
  return result.value;
}

/** One virtual host for every authority, with these routes. */
function routes(...r: object[]): object {
  return { name: 'rc', virtualHosts: [{ name: 'vh', domains: ['*'], routes: r }] };
}

const req = (path: string, init: Partial<RequestHeadInit> = {}) => createRequestHead({ authority: 'example.com', path, ...init });
const always = (r: number) => () => r;

function route(t: RouteTable, path: string, init: Partial<RequestHeadInit> = {}, random = always(0)): RouteDecision {
  return t.route(req(path, init), random);
}

describe('redirects', () => {
  const redirectOf = (redirect: object, path: string, init: Partial<RequestHeadInit> = {}, match: object = { prefix: '/old' }) => {
    const d = route(table(routes({ name: 'r', match, redirect })), path, init);
    if (d.kind !== 'redirect') throw new Error(JSON.stringify(d));
    return d;
  };

  it.each([
    ['https_redirect keeps path and query', { httpsRedirect: true }, '/old/a?x=1', {}, 'https://example.com/old/a?x=1'],
    ['https_redirect drops the http default port', { httpsRedirect: true }, '/old', { authority: 'example.com:80' }, 'https://example.com/old'],
    ['https_redirect keeps a non-default port', { httpsRedirect: true }, '/old', { authority: 'example.com:8080' }, 'https://example.com:8080/old'],
    ['scheme_redirect', { schemeRedirect: 'https' }, '/old', {}, 'https://example.com/old'],
    ['same scheme keeps :80', { schemeRedirect: 'http' }, '/old', { authority: 'example.com:80' }, 'http://example.com:80/old'],
    [
      'x-forwarded-proto is the old scheme for port stripping',
      { httpsRedirect: true },
      '/old',
      { authority: 'example.com:443', headers: { 'x-forwarded-proto': 'https' } },
      'https://example.com:443/old',
    ],
    ['host_redirect', { hostRedirect: 'new.example.com' }, '/old?x=1', {}, 'http://new.example.com/old?x=1'],
    ['port_redirect replaces the request port', { portRedirect: 8443 }, '/old', { authority: 'example.com:8080' }, 'http://example.com:8443/old'],
    ['host and port', { hostRedirect: 'b.com', portRedirect: 81 }, '/old', {}, 'http://b.com:81/old'],
    ['path_redirect keeps the request query', { pathRedirect: '/new' }, '/old/a?x=1', {}, 'http://example.com/new?x=1'],
    ['path_redirect with its own query ignores the request query', { pathRedirect: '/new?y=2' }, '/old?x=1', {}, 'http://example.com/new?y=2'],
    ['path_redirect query survives strip_query', { pathRedirect: '/new?y=2', stripQuery: true }, '/old?x=1', {}, 'http://example.com/new?y=2'],
    ['strip_query', { pathRedirect: '/new', stripQuery: true }, '/old?x=1', {}, 'http://example.com/new'],
    ['prefix_rewrite keeps the query', { prefixRewrite: '/new' }, '/old/a?x=1', {}, 'http://example.com/new/a?x=1'],
    ['prefix_rewrite with strip_query', { prefixRewrite: '/new', stripQuery: true }, '/old/a?x=1', {}, 'http://example.com/new/a'],
    ['prefix_rewrite to empty gets a leading slash', { prefixRewrite: '' }, '/old', {}, 'http://example.com/old'],
    [
      'regex_rewrite',
      { regexRewrite: { pattern: { regex: '^/old/(.*)$' }, substitution: '/v2/\\1' } },
      '/old/a/b?x=1',
      {},
      'http://example.com/v2/a/b?x=1',
    ],
    [
      'everything at once (what Pilot emits for a VirtualService redirect)',
      { httpsRedirect: true, hostRedirect: 'advertisement.weather.svc.cluster.local', pathRedirect: '/maintenanced' },
      '/old',
      {},
      'https://advertisement.weather.svc.cluster.local/maintenanced',
    ],
  ])('%s', (_n, redirect, path, init, location) => {
    expect(redirectOf(redirect, path, init).location).toBe(location);
  });

  it('a prefix_rewrite yielding a relative path gets a leading slash', () => {
    expect(redirectOf({ prefixRewrite: 'x' }, '/old')).toMatchObject({ location: 'http://example.com/x' });
  });

  it.each([
    [undefined, 301],
    ['MOVED_PERMANENTLY', 301],
    ['FOUND', 302],
    ['SEE_OTHER', 303],
    ['TEMPORARY_REDIRECT', 307],
    ['PERMANENT_REDIRECT', 308],
  ])('response_code %s → %i', (responseCode, status) => {
    expect(redirectOf({ hostRedirect: 'b.com', ...(responseCode ? { responseCode } : {}) }, '/old').status).toBe(status);
  });

  it('carries the response headers of every level', () => {
    const d = route(
      table({
        responseHeadersToAdd: [{ header: { key: 'x-rc', value: '1' } }],
        virtualHosts: [{ name: 'vh', domains: ['*'], routes: [{ name: 'r', match: { prefix: '/' }, redirect: { hostRedirect: 'b' }, responseHeadersToAdd: [{ header: { key: 'x-route', value: '1' } }] }] }],
      }),
      '/',
    );
    expect(d.kind === 'redirect' && d.responseHeadersToAdd.map((h) => h.key)).toEqual(['x-route', 'x-rc']);
    expect(d.kind === 'redirect' && d.route?.name).toBe('r');
  });

  it.each([
    ['ALL', {}, true],
    ['ALL', { headers: { 'x-forwarded-proto': 'https' } }, false],
    ['EXTERNAL_ONLY', {}, true],
    ['EXTERNAL_ONLY', { headers: { 'x-envoy-internal': 'true' } }, false],
    ['NONE', {}, false],
  ])('require_tls %s with %j redirects: %s', (requireTls, init, redirects) => {
    const t = table({ virtualHosts: [{ name: 'vh', domains: ['*'], requireTls, routes: [{ match: { prefix: '/' }, route: { cluster: 'c' } }] }] });
    const d = route(t, '/p?q=1', init);
    expect(d.kind === 'redirect').toBe(redirects);
    if (d.kind === 'redirect') expect([d.status, d.location]).toEqual([301, 'https://example.com/p?q=1']);
  });
});

