// Envoy's virtual host selection by :authority (RouteMatcher::findVirtualHost): exact domains, then the
// longest suffix wildcard (`*.foo.com`, `*-bar.foo.com`), then the longest prefix wildcard (`foo.*`),
// then `*`. Case-insensitive. The authority is matched as sent, port included, unless
// ignore_port_in_host_matching is set; that is why Pilot emits both `host` and `host:port`.
import type { IssueCollector } from '@weft/base';
import { asciiLower } from './string-matcher.js';

export interface VirtualHostSelectorOptions {
  ignorePortInHostMatching?: boolean;
}

/** Wildcards of one length, longest lengths first, keyed by the non-wildcard part. */
type Wildcards<T> = Array<{ length: number; byText: Map<string, T> }>;

export class VirtualHostSelector<T> {
  private readonly exact = new Map<string, T>();
  private readonly suffixes: Wildcards<T> = [];
  private readonly prefixes: Wildcards<T> = [];
  private catchAll: T | undefined;
  private readonly ignorePort: boolean;

  constructor(options: VirtualHostSelectorOptions = {}) {
    this.ignorePort = options.ignorePortInHostMatching ?? false;
  }

  /** Registers a virtual host's domains; a domain already taken is an error, as in Envoy. */
  add(domains: readonly string[], value: T, issues: IssueCollector): void {
    domains.forEach((raw, i) => {
      const domain = asciiLower(raw);
      const at = issues.at(i);
      if (!domain) {
        at.error('a domain must not be empty');
      } else if (domain === '*') {
        if (this.catchAll !== undefined) at.error('only one virtual host may use the wildcard domain "*"');
        else this.catchAll = value;
      } else if (domain.startsWith('*')) {
        addWildcard(this.suffixes, domain.slice(1), value, raw, at);
      } else if (domain.endsWith('*')) {
        addWildcard(this.prefixes, domain.slice(0, -1), value, raw, at);
      } else if (this.exact.has(domain)) {
        at.error(`duplicate domain ${JSON.stringify(raw)}`);
      } else {
        this.exact.set(domain, value);
      }
    });
  }

  /** The virtual host for an :authority, or undefined (Envoy then answers 404 NR). */
  select(authority: string): T | undefined {
    if (this.exact.size === 0 && this.suffixes.length === 0 && this.prefixes.length === 0) return this.catchAll;
    let host = this.ignorePort ? stripPort(authority) : authority;
    host = asciiLower(host);
    const exact = this.exact.get(host);
    if (exact !== undefined) return exact;
    return (
      findWildcard(this.suffixes, host, (h, n) => h.slice(h.length - n)) ??
      findWildcard(this.prefixes, host, (h, n) => h.slice(0, n)) ??
      this.catchAll
    );
  }
}

function addWildcard<T>(wildcards: Wildcards<T>, text: string, value: T, raw: string, issues: IssueCollector): void {
  let bucket = wildcards.find((w) => w.length === text.length);
  if (!bucket) {
    bucket = { length: text.length, byText: new Map() };
    wildcards.push(bucket);
    wildcards.sort((a, b) => b.length - a.length);
  }
  if (bucket.byText.has(text)) issues.error(`duplicate domain ${JSON.stringify(raw)}`);
  else bucket.byText.set(text, value);
}

function findWildcard<T>(wildcards: Wildcards<T>, host: string, part: (host: string, n: number) => string): T | undefined {
  for (const { length, byText } of wildcards) {
    // The wildcard must stand for at least one character: `*.foo.com` does not match `.foo.com`.
    if (length >= host.length) continue;
    const found = byText.get(part(host, length));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Drops a trailing `:port`, leaving bracketed IPv6 literals intact (HeaderUtility::getPortStart). */
export function stripPort(authority: string): string {
  const colon = authority.lastIndexOf(':');
  if (colon < 0) return authority;
  const bracket = authority.lastIndexOf(']');
  return bracket < 0 || bracket < colon ? authority.slice(0, colon) : authority;
}
