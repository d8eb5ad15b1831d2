// The request hash for RING_HASH and MAGLEV from a route's hash_policy list (Envoy's
// HashPolicyImpl, source/common/router/config_impl.cc; docs: RouteAction.HashPolicy).
// Compiled once per route; generate() runs per request.
import { IssueCollector, type ValidationResult } from '@weft/base';
import { hex64, xxHash64 } from './xxhash64.js';

/** What a hash policy may read from the request. */
export interface HashInput {
  header(name: string): string | undefined;
  cookie(name: string): string | undefined;
  query(name: string): string | undefined;
  /** Downstream peer IP without port (connection_properties.source_ip). */
  readonly sourceIp?: string;
  /**
   * Downstream peer and local listener addresses as `ip:port` (`[v6]:port`). Envoy hashes
   * their concatenation to make a generated cookie's value, so one connection gets one cookie.
   */
  readonly downstreamRemoteAddress?: string;
  readonly downstreamLocalAddress?: string;
  /** The hash of a filter-state object, for filter_state policies; absent = no such object. */
  filterStateHash?(key: string): bigint | undefined;
}

/** A cookie Envoy would add to the response (Set-Cookie) because the request had none. */
export interface GeneratedCookie {
  readonly name: string;
  readonly value: string;
  readonly ttlSeconds: number;
  readonly path?: string;
}

export interface RequestHash {
  readonly hash?: bigint;
  /** The first generated cookie, to be sent back with the response. */
  readonly setCookie?: GeneratedCookie;
}

type Seconds = number | string | { toString(): string };

/** One RouteAction.HashPolicy in decoded form; a decoded v3 HashPolicy is assignable to it. */
export interface HashPolicyConfig {
  readonly policy_specifier?: 'header' | 'cookie' | 'connection_properties' | 'query_parameter' | 'filter_state' | string;
  readonly header?: { readonly header_name?: string } | null;
  readonly cookie?: { readonly name?: string; readonly ttl?: { readonly seconds?: Seconds } | null; readonly path?: string } | null;
  readonly connection_properties?: { readonly source_ip?: boolean } | null;
  readonly query_parameter?: { readonly name?: string } | null;
  readonly filter_state?: { readonly key?: string } | null;
  readonly terminal?: boolean;
}

interface HashMethod {
  readonly terminal: boolean;
  /** The method's hash; may record a generated cookie in `out`. */
  evaluate(input: HashInput, out: { setCookie?: GeneratedCookie }): bigint | undefined;
}

const MASK64 = (1n << 64n) - 1n;

/** Envoy's makeSetCookieValue: `name="value"; Max-Age=N; Path=/p; HttpOnly` (Max-Age omitted when 0). */
export function formatSetCookie(c: GeneratedCookie): string {
  let s = `${c.name}="${c.value}"`;
  if (c.ttlSeconds !== 0) s += `; Max-Age=${c.ttlSeconds}`;
  if (c.path) s += `; Path=${c.path}`;
  return `${s}; HttpOnly`;
}

function headerMethod(name: string, terminal: boolean): HashMethod {
  const lower = name.toLowerCase();
  return { terminal, evaluate: (input) => {
    const v = input.header(lower);
    return v === undefined ? undefined : xxHash64(v);
  } };
}

function cookieMethod(name: string, ttlSeconds: number | undefined, path: string, terminal: boolean): HashMethod {
  return { terminal, evaluate: (input, out) => {
    const v = input.cookie(name);
    if (v) return xxHash64(v);
    if (ttlSeconds === undefined) return undefined;
    // Envoy: value = hex(xxHash64(remote address + local address)); the hash is of that value.
    const seed = (input.downstreamRemoteAddress ?? input.sourceIp ?? '') + (input.downstreamLocalAddress ?? '');
    const value = hex64(xxHash64(seed));
    out.setCookie ??= { name, value, ttlSeconds, ...(path ? { path } : {}) };
    return xxHash64(value);
  } };
}

function sourceIpMethod(terminal: boolean): HashMethod {
  return { terminal, evaluate: (input) => (input.sourceIp ? xxHash64(input.sourceIp) : undefined) };
}

function queryMethod(name: string, terminal: boolean): HashMethod {
  return { terminal, evaluate: (input) => {
    const v = input.query(name);
    return v === undefined ? undefined : xxHash64(v);
  } };
}

function filterStateMethod(key: string, terminal: boolean): HashMethod {
  return { terminal, evaluate: (input) => input.filterStateHash?.(key) };
}

function specifierOf(p: HashPolicyConfig): string | undefined {
  if (p.policy_specifier) return p.policy_specifier;
  for (const k of ['header', 'cookie', 'connection_properties', 'query_parameter', 'filter_state'] as const) if (p[k]) return k;
  return undefined;
}

function compileOne(p: HashPolicyConfig, issues: IssueCollector): HashMethod | undefined {
  const terminal = p.terminal ?? false;
  const kind = specifierOf(p);
  const required = (value: string | undefined, field: string): string | undefined => {
    if (!value) issues.at(kind ?? '', field).error('must not be empty');
    return value || undefined;
  };
  switch (kind) {
    case 'header': {
      const name = required(p.header?.header_name, 'header_name');
      return name ? headerMethod(name, terminal) : undefined;
    }
    case 'cookie': {
      const name = required(p.cookie?.name, 'name');
      const ttl = p.cookie?.ttl;
      // Envoy uses ttl.seconds only; a present ttl of 0 still generates a (session) cookie.
      const ttlSeconds = ttl ? Number(String(ttl.seconds ?? 0)) : undefined;
      return name ? cookieMethod(name, ttlSeconds, p.cookie?.path ?? '', terminal) : undefined;
    }
    case 'connection_properties':
      // source_ip false adds no method at all, as in Envoy.
      return p.connection_properties?.source_ip ? sourceIpMethod(terminal) : undefined;
    case 'query_parameter': {
      const name = required(p.query_parameter?.name, 'name');
      return name ? queryMethod(name, terminal) : undefined;
    }
    case 'filter_state': {
      const key = required(p.filter_state?.key, 'key');
      return key ? filterStateMethod(key, terminal) : undefined;
    }
    default:
      issues.error(`unsupported hash policy ${kind ?? '(none set)'}`);
      return undefined;
  }
}

export class HashPolicy {
  private constructor(private readonly methods: readonly HashMethod[]) {}

  /** Compiles RouteAction.hash_policy, reporting each bad entry at `[i].field`. */
  static compile(policies: readonly HashPolicyConfig[]): ValidationResult<HashPolicy> {
    const issues = new IssueCollector();
    const methods: HashMethod[] = [];
    policies.forEach((p, i) => {
      const m = compileOne(p, issues.at(i));
      if (m) methods.push(m);
    });
    return issues.result(new HashPolicy(methods));
  }

  /**
   * Envoy's generateHash: each policy that yields a hash is folded in as rotl(hash, 1) ^ new,
   * so duplicate policies do not cancel out. A terminal policy stops the walk once a hash exists
   * (from it or from an earlier policy).
   */
  generate(input: HashInput): RequestHash {
    let hash: bigint | undefined;
    const out: { setCookie?: GeneratedCookie } = {};
    for (const m of this.methods) {
      const h = m.evaluate(input, out);
      if (h !== undefined) {
        const old = hash === undefined ? 0n : ((hash << 1n) | (hash >> 63n)) & MASK64;
        hash = old ^ h;
      }
      if (m.terminal && hash !== undefined) break;
    }
    return { ...(hash !== undefined ? { hash } : {}), ...(out.setCookie ? { setCookie: out.setCookie } : {}) };
  }
}
