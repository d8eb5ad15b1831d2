// Request and response header handling as Envoy's connection manager does it: hop-by-hop headers
// dropped, x-request-id, x-forwarded-for/-proto, and header mutations from the route.
import { randomUUID } from 'node:crypto';

/** Connection-specific headers that never cross the proxy (RFC 9110 §7.6.1, plus HTTP/2's list). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization', 'http2-settings']);

export type HeaderMap = Record<string, string | string[]>;

/** A MutableHeaders view (the router's header-mutation seam) over a plain header map. */
export function mutableHeaders(headers: HeaderMap): { has(n: string): boolean; add(n: string, v: string): void; set(n: string, v: string): void; remove(n: string): void } {
  return {
    has: (n) => headers[n] !== undefined,
    add: (n, v) => {
      const prior = headers[n];
      headers[n] = prior === undefined ? v : [...(Array.isArray(prior) ? prior : [prior]), v];
    },
    set: (n, v) => {
      headers[n] = v;
    },
    remove: (n) => {
      delete headers[n];
    },
  };
}

/** Copies request headers for the upstream: no pseudo-headers, no hop-by-hop headers (but `te: trailers` is kept for gRPC). */
export function upstreamRequestHeaders(raw: Record<string, string | string[] | undefined>): HeaderMap {
  const out: HeaderMap = {};
  const connectionListed = new Set(
    String(raw['connection'] ?? '')
      .split(',')
      .map((s) => s.trim().toLowerCase())
      .filter(Boolean),
  );
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || k.startsWith(':') || k === 'host') continue;
    if (HOP_BY_HOP.has(k) || connectionListed.has(k)) {
      if (k === 'te' && String(v).toLowerCase() === 'trailers') out[k] = 'trailers';
      continue;
    }
    out[k] = v;
  }
  return out;
}

/** Copies upstream response headers for the downstream, dropping hop-by-hop ones. */
export function downstreamResponseHeaders(raw: Record<string, string | string[] | undefined>): HeaderMap {
  const out: HeaderMap = {};
  for (const [k, v] of Object.entries(raw)) {
    if (v === undefined || k.startsWith(':') || HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Envoy's edge behaviour: keep a valid x-request-id, else generate a UUID v4. */
export function ensureRequestId(headers: HeaderMap): string {
  const v = headers['x-request-id'];
  const id = typeof v === 'string' && v !== '' ? v : randomUUID();
  headers['x-request-id'] = id;
  return id;
}

/**
 * x-forwarded-for: with use_remote_address the downstream address is appended (edge proxies,
 * gateways); otherwise the header passes untouched. x-forwarded-proto is set from the scheme when absent.
 */
export function forwardedHeaders(headers: HeaderMap, remoteAddress: string | undefined, scheme: string, useRemoteAddress: boolean): void {
  if (useRemoteAddress && remoteAddress) {
    const ip = remoteAddress.startsWith('::ffff:') ? remoteAddress.slice(7) : remoteAddress;
    const prior = headers['x-forwarded-for'];
    headers['x-forwarded-for'] = prior ? `${Array.isArray(prior) ? prior.join(',') : prior},${ip}` : ip;
  }
  if (!headers['x-forwarded-proto']) headers['x-forwarded-proto'] = scheme;
}
