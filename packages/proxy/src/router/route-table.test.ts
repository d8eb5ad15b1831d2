import { loadProtoRegistry } from '@weft/api';
import { formatIssues, type Issue } from '@weft/base';
import { describe, expect, it } from 'vitest';
import { createRequestHead, type RequestHeadInit } from './request-head.js';
import { routeConfigurationFromJson } from './route-config-json.js';
import type { ForwardDecision, RouteDecision } from './route-decision.js';
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

function errorsOf(json: object, unpack = true): Issue[] {
  return [...compile(json, unpack).errors];
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

function forward(d: RouteDecision): ForwardDecision {
  if (d.kind !== 'forward') throw new Error(`expected forward, got ${JSON.stringify(d)}`);
  return d;
}

describe('route selection', () => {
  const t = table({
    name: 'http.80',
    virtualHosts: [
      {
        name: 'reviews',
        domains: ['reviews', 'reviews:9080'],
        routes: [
          { name: 'deep', match: { prefix: '/a/b' }, route: { cluster: 'c-deep' } },
          { name: 'a', match: { prefix: '/a' }, route: { cluster: 'c-a' } },
          { name: 'root', match: { prefix: '/' }, route: { cluster: 'c-root' } },
          { name: 'never', match: { prefix: '/a/b/c' }, route: { cluster: 'c-never' } },
        ],
      },
      { name: 'only-login', domains: ['login.example.com'], routes: [{ match: { path: '/login' }, route: { cluster: 'c-login' } }] },
    ],
  });

  it.each([
    ['/a/b/c', 'deep', 'c-deep'],
    ['/a/x', 'a', 'c-a'],
    ['/b', 'root', 'c-root'],
  ])('first match wins: %s → route %s', (path, name, cluster) => {
    const d = forward(route(t, path, { authority: 'reviews:9080' }));
    expect([d.route.name, d.virtualHost.name, d.cluster]).toEqual([name, 'reviews', cluster]);
  });

  it('answers no-route (404 NR) when no virtual host takes the authority', () => {
    expect(route(t, '/', { authority: 'reviews:8080' })).toEqual({ kind: 'no-route' });
  });

  it('answers no-route naming the virtual host when no route matches', () => {
    const d = route(t, '/logout', { authority: 'login.example.com' });
    expect(d.kind).toBe('no-route');
    expect(d.kind === 'no-route' && d.virtualHost?.name).toBe('only-login');
  });

  it('exposes the virtual host an authority selects', () => {
    expect(t.virtualHostFor('REVIEWS')?.name).toBe('reviews');
  });

  it('ignore_path_parameters_in_path_matching drops ;params before matching', () => {
    const json = { ...routes({ match: { path: '/a' }, route: { cluster: 'c' } }), ignorePathParametersInPathMatching: true };
    expect(route(table(json), '/a;jsessionid=1?x=1').kind).toBe('forward');
    expect(route(table(routes({ match: { path: '/a' }, route: { cluster: 'c' } })), '/a;jsessionid=1').kind).toBe('no-route');
  });

  it('returns the same frozen decision object for routes with nothing request-dependent', () => {
    const a = route(t, '/b', { authority: 'reviews' });
    expect(route(t, '/c', { authority: 'reviews' })).toBe(a);
    expect(Object.isFrozen(a)).toBe(true);
  });
});

describe('direct responses', () => {
  it.each([
    [{ status: 503 }, undefined],
    [{ status: 200, body: { inlineString: 'ok\n' } }, 'ok\n'],
    [{ status: 403, body: { inlineBytes: Buffer.from('denied').toString('base64') } }, 'denied'],
  ])('%j', (directResponse, body) => {
    const d = route(table(routes({ name: 'd', match: { prefix: '/' }, directResponse, responseHeadersToAdd: [{ header: { key: 'x-d', value: '1' } }] })), '/');
    if (d.kind !== 'direct') throw new Error(JSON.stringify(d));
    expect([d.status, d.body, d.route.name, d.responseHeadersToAdd.map((h) => h.key)]).toEqual([directResponse.status, body, 'd', ['x-d']]);
    if (body !== undefined) expect(Buffer.from(d.bodyBytes ?? []).toString()).toBe(body);
  });

  it.each([
    [{ status: 200, body: { inlineString: 'x'.repeat(4097) } }, {}, 'maximum is 4096'],
    [{ status: 200, body: { inlineString: 'x'.repeat(20) } }, { maxDirectResponseBodySizeBytes: 10 }, 'maximum is 10'],
    [{ status: 200, body: { filename: '/etc/hostname' } }, {}, 'not supported'],
    [{ status: 700 }, {}, 'not in [200, 600)'],
  ])('rejects %j', (directResponse, extra, message) => {
    expect(errorsOf({ ...routes({ match: { prefix: '/' }, directResponse }), ...extra }).map((e) => e.message)).toEqual([expect.stringContaining(message)]);
  });
});

describe('validation', () => {
  it('collects every problem with its path', () => {
    const errors = errorsOf({
      virtualHosts: [
        {
          name: 'a',
          domains: ['a.com', 'A.COM'],
          routes: [
            { match: { safeRegex: { regex: '(?=x)' } }, route: { cluster: 'c' } },
            { match: { prefix: '/' }, route: {} },
            { match: { prefix: '/' }, requestHeadersToAdd: [{ header: { key: ':authority', value: 'x' } }], route: { cluster: 'c' } },
          ],
        },
        { name: 'b', domains: ['*'], routes: [] },
        { name: 'c', domains: ['*'], routes: [] },
      ],
    });
    expect(errors.map((e) => e.path)).toEqual([
      'virtual_hosts[0].routes[0].match.safe_regex.regex',
      'virtual_hosts[0].routes[1].route',
      'virtual_hosts[0].routes[2].request_headers_to_add[0].header.key',
      'virtual_hosts[0].domains[1]',
      'virtual_hosts[2].domains[0]',
    ]);
  });
});
