// envoy.config.route.v3.RouteMatch, compiled: one path specifier plus headers, query parameters, gRPC,
// TLS context and runtime fraction, all of which must hold. Pure: the random draw is injected.
import type { IssueCollector } from '@weft/base';
import type { RouteMatchConfig } from './config-types.js';
import { fractionHit, runtimeFractionOf, type Fraction } from './fractional-percent.js';
import { compileHeaderMatchers, matchAllHeaders } from './header-matcher.js';
import { compileQueryMatchers, matchAllQueryParameters } from './query-matcher.js';
import { backtrackingRisk, compileFullMatchRegex } from './re2-regex.js';
import { pathEnd, type RequestHead } from './request-head.js';
import { asciiLower, regionEqualsIgnoreCase } from './string-matcher.js';

/** Per-request values computed once by the route table and shared by every route it tries. */
export interface MatchContext {
  readonly head: RequestHead;
  /** `:path` without query and fragment (and without `;params` when the config says so). */
  readonly pathForMatching: string;
  /** One uniform draw in [0, 1) per call. */
  readonly random: () => number;
}

export type PathSpecifier = 'prefix' | 'path' | 'safe_regex' | 'path_separated_prefix' | 'connect_matcher';

export interface CompiledRouteMatch {
  readonly pathSpecifier: PathSpecifier;
  /**
   * -1 when the route does not match; otherwise how many leading characters of `:path` the path
   * specifier matched, which prefix_rewrite replaces (the configured prefix or path, the whole path
   * for regex and CONNECT routes).
   */
  match(ctx: MatchContext): number;
}

export function compileRouteMatch(config: RouteMatchConfig, issues: IssueCollector): CompiledRouteMatch {
  const path = compilePathMatch(config, issues);
  const headers = compileHeaderMatchers(config.headers, issues.at('headers'));
  const query = compileQueryMatchers(config.query_parameters, issues.at('query_parameters'));
  const grpc = config.grpc !== null;
  const tls = config.tls_context;
  const presented = tls?.presented?.value;
  const validated = tls?.validated?.value;
  const runtime: Fraction | undefined = config.runtime_fraction
    ? runtimeFractionOf(config.runtime_fraction, { numerator: 0, denominator: 100 })
    : undefined;
  if (config.dynamic_metadata.length > 0) issues.at('dynamic_metadata').error('dynamic metadata matching is not supported');
  return {
    pathSpecifier: path.specifier,
    match(ctx) {
      const consumed = path.match(ctx);
      if (consumed < 0) return -1;
      if (grpc && !isGrpcRequest(ctx.head)) return -1;
      if (headers.length > 0 && !matchAllHeaders(headers, ctx.head)) return -1;
      if (query.length > 0 && !matchAllQueryParameters(query, ctx.head.path)) return -1;
      if (presented !== undefined && presented !== (ctx.head.tls?.presented ?? false)) return -1;
      if (validated !== undefined && validated !== (ctx.head.tls?.validated ?? false)) return -1;
      // Checked last so a draw is taken only for routes that otherwise match.
      if (runtime !== undefined && !fractionHit(runtime, ctx.random())) return -1;
      return consumed;
    },
  };
}

/** gRPC requests carry content-type application/grpc, optionally +proto, +json, or parameters. */
export function isGrpcRequest(head: RequestHead): boolean {
  const ct = head.header('content-type');
  if (ct === undefined || !ct.startsWith('application/grpc')) return false;
  const next = ct.charCodeAt('application/grpc'.length);
  return Number.isNaN(next) || next === 0x2b /* + */ || next === 0x3b /* ; */;
}

interface PathMatch {
  specifier: PathSpecifier;
  match(ctx: MatchContext): number;
}

function compilePathMatch(config: RouteMatchConfig, issues: IssueCollector): PathMatch {
  const caseSensitive = config.case_sensitive?.value ?? true;
  switch (config.path_specifier) {
    case 'prefix':
      return prefixMatch('prefix', config.prefix ?? '', caseSensitive, false);
    case 'path':
      return exactPathMatch(config.path ?? '', caseSensitive);
    case 'path_separated_prefix': {
      const prefix = config.path_separated_prefix ?? '';
      if (!/^\/[^?#]*$/.test(prefix) || (prefix.endsWith('/') && prefix.length > 1)) {
        issues.at('path_separated_prefix').error('must start with "/", not end with "/", and hold no "?" or "#"');
      }
      return prefixMatch('path_separated_prefix', prefix, caseSensitive, true);
    }
    case 'safe_regex': {
      // case_sensitive does not apply to regexes (route_components.proto).
      const pattern = config.safe_regex?.regex ?? '';
      const compiled = compileFullMatchRegex(pattern);
      if (!compiled.ok) {
        issues.at('safe_regex', 'regex').error(compiled.error);
        return { specifier: 'safe_regex', match: () => -1 };
      }
      const risk = backtrackingRisk(pattern);
      if (risk) issues.at('safe_regex', 'regex').warn(risk);
      const regex = compiled.value;
      return { specifier: 'safe_regex', match: (ctx) => (regex.test(ctx.pathForMatching) ? pathEnd(ctx.head.path) : -1) };
    }
    case 'connect_matcher':
      return { specifier: 'connect_matcher', match: (ctx) => (ctx.head.method === 'CONNECT' ? pathEnd(ctx.head.path) : -1) };
    case 'path_match_policy':
      issues.at('path_match_policy').error('path match policy extensions are not supported');
      return { specifier: 'prefix', match: () => -1 };
    default:
      issues.error('one of prefix, path, safe_regex, path_separated_prefix or connect_matcher is required');
      return { specifier: 'prefix', match: () => -1 };
  }
}

function prefixMatch(specifier: PathSpecifier, prefix: string, caseSensitive: boolean, separated: boolean): PathMatch {
  const lower = asciiLower(prefix);
  const n = prefix.length;
  return {
    specifier,
    match(ctx) {
      const p = ctx.pathForMatching;
      if (p.length < n) return -1;
      if (caseSensitive ? !p.startsWith(prefix) : !regionEqualsIgnoreCase(p, 0, lower)) return -1;
      if (separated && p.length > n && p.charCodeAt(n) !== 0x2f /* / */) return -1;
      return n;
    },
  };
}

function exactPathMatch(path: string, caseSensitive: boolean): PathMatch {
  const lower = asciiLower(path);
  return {
    specifier: 'path',
    match(ctx) {
      const p = ctx.pathForMatching;
      if (p.length !== path.length) return -1;
      return (caseSensitive ? p === path : regionEqualsIgnoreCase(p, 0, lower)) ? path.length : -1;
    },
  };
}
