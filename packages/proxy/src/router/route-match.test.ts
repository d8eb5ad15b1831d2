import { loadProtoRegistry } from '@weft/api';
import { IssueCollector } from '@weft/base';
import { describe, expect, it } from 'vitest';
import type { RouteMatchConfig } from './config-types.js';
import { createRequestHead, type RequestHeadInit } from './request-head.js';
import { compileRouteMatch, isGrpcRequest, type MatchContext } from './route-match.js';

const registry = loadProtoRegistry();
const TYPE = 'envoy.config.route.v3.RouteMatch';

function compile(json: object) {
  const read = registry.readJson(TYPE, json);
  if (!read.value) throw new Error(JSON.stringify(read.issues));
  const config = registry.decode<RouteMatchConfig>(TYPE, registry.encode(TYPE, read.value));
  const issues = new IssueCollector();
  const m = compileRouteMatch(config, issues);
  return { m, issues };
}

function ctx(init: Partial<RequestHeadInit> & { path: string }, random = () => 0.5): MatchContext {
  const head = createRequestHead({ authority: 'a.com', ...init });
  const q = head.path.search(/[?#]/);
  return { head, pathForMatching: q < 0 ? head.path : head.path.slice(0, q), random };
}

function matched(json: object, init: Partial<RequestHeadInit> & { path: string }, random?: () => number): number {
  const { m, issues } = compile(json);
  expect(issues.errors).toEqual([]);
  return m.match(ctx(init, random));
}

describe('RouteMatch path specifiers', () => {
  it.each([
    ['prefix', { prefix: '/api' }, '/api/v1?x=1', 4],
    ['prefix is not segment-aware', { prefix: '/api' }, '/apiary', 4],
    ['prefix, no match', { prefix: '/api' }, '/ap', -1],
    ['prefix "/" matches everything', { prefix: '/' }, '/anything', 1],
    ['prefix ignores the query string', { prefix: '/a?x' }, '/a?x=1', -1],
    ['prefix is case-sensitive by default', { prefix: '/API' }, '/api', -1],
    ['prefix, case_sensitive false', { prefix: '/API', caseSensitive: false }, '/api/x', 4],
    ['path matches exactly, query removed', { path: '/productpage' }, '/productpage?u=1', 12],
    ['path, longer', { path: '/productpage' }, '/productpage/x', -1],
    ['path, case_sensitive false', { path: '/Login', caseSensitive: false }, '/LOGIN', 6],
    ['path, case-sensitive', { path: '/Login' }, '/login', -1],
    ['safe_regex matches the whole path without query', { safeRegex: { regex: '/api/v[0-9]+/.*' } }, '/api/v2/items?x=1', 13],
    ['safe_regex is anchored', { safeRegex: { regex: '/api' } }, '/api/v2', -1],
    ['safe_regex ignores case_sensitive', { safeRegex: { regex: '/api' }, caseSensitive: false }, '/API', -1],
    ['path_separated_prefix, exact', { pathSeparatedPrefix: '/api' }, '/api?x=1', 4],
    ['path_separated_prefix, next segment', { pathSeparatedPrefix: '/api' }, '/api/v1', 4],
    ['path_separated_prefix, not a segment', { pathSeparatedPrefix: '/api' }, '/apiary', -1],
  ])('%s', (_n, json, path, expected) => {
    expect(matched(json, { path })).toBe(expected);
  });

  it('connect_matcher matches only CONNECT', () => {
    expect(matched({ connectMatcher: {} }, { method: 'CONNECT', path: '' })).toBe(0);
    expect(matched({ connectMatcher: {} }, { method: 'GET', path: '/' })).toBe(-1);
  });

  it('reports a bad regex and never matches', () => {
    const { m, issues } = compile({ safeRegex: { regex: '(?!x)' } });
    expect(issues.errors.map((e) => e.path)).toEqual(['safe_regex.regex']);
    expect(m.match(ctx({ path: '/' }))).toBe(-1);
  });
});

describe('RouteMatch conditions', () => {
  it('requires every header matcher', () => {
    const json = { prefix: '/', headers: [{ name: 'end-user', stringMatch: { exact: 'jason' } }, { name: ':method', exactMatch: 'GET' }] };
    expect(matched(json, { path: '/', headers: { 'end-user': 'jason' } })).toBe(1);
    expect(matched(json, { path: '/', method: 'POST', headers: { 'end-user': 'jason' } })).toBe(-1);
    expect(matched(json, { path: '/' })).toBe(-1);
  });

  it('requires every query parameter matcher', () => {
    const json = { prefix: '/', queryParameters: [{ name: 'a', stringMatch: { exact: '1' } }, { name: 'b', presentMatch: true }] };
    expect(matched(json, { path: '/?a=1&b' })).toBe(1);
    expect(matched(json, { path: '/?a=1' })).toBe(-1);
    expect(matched(json, { path: '/?a=2&b=1' })).toBe(-1);
  });

  it.each([
    ['application/grpc', true],
    ['application/grpc+proto', true],
    ['application/grpc;charset=utf-8', true],
    ['application/grpc-web', false],
    ['application/json', false],
    [undefined, false],
  ])('grpc: content-type %s → %s', (contentType, expected) => {
    const headers = contentType ? { 'content-type': contentType } : {};
    expect(matched({ prefix: '/', grpc: {} }, { path: '/', headers }) >= 0).toBe(expected);
    expect(isGrpcRequest(createRequestHead({ authority: 'a', path: '/', headers }))).toBe(expected);
  });

  it('tls_context compares the downstream peer certificate state', () => {
    const json = { prefix: '/', tlsContext: { presented: true } };
    expect(matched(json, { path: '/', tls: { presented: true, validated: false } })).toBe(1);
    expect(matched(json, { path: '/' })).toBe(-1);
  });

  // Envoy enables a fraction when (random mod denominator) < numerator; with r in [0, 1) that is
  // floor(r × denominator) < numerator.
  it.each([
    [{ numerator: 50 }, 0.49, true],
    [{ numerator: 50 }, 0.4999999, true],
    [{ numerator: 50 }, 0.5, false],
    [{ numerator: 0 }, 0, false],
    [{ numerator: 100 }, 0.999999, true],
    [{ numerator: 1, denominator: 'TEN_THOUSAND' }, 0.0000999, true],
    [{ numerator: 1, denominator: 'TEN_THOUSAND' }, 0.0001, false],
    [{ numerator: 250000, denominator: 'MILLION' }, 0.249999, true],
    [{ numerator: 250000, denominator: 'MILLION' }, 0.25, false],
    [{ numerator: 200 }, 0.99, true],
  ])('runtime_fraction %j at random %s → %s', (defaultValue, r, expected) => {
    const json = { prefix: '/', runtimeFraction: { defaultValue, runtimeKey: 'routing.x' } };
    expect(matched(json, { path: '/' }, () => r) >= 0).toBe(expected);
  });

  it('draws a random value only when everything else matched', () => {
    let draws = 0;
    const json = { prefix: '/a', runtimeFraction: { defaultValue: { numerator: 100 } } };
    matched(json, { path: '/b' }, () => (draws++, 0));
    expect(draws).toBe(0);
    matched(json, { path: '/a' }, () => (draws++, 0));
    expect(draws).toBe(1);
  });
});
