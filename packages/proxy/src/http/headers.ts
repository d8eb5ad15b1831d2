// Request and response header handling as Envoy's connection manager does it: hop-by-hop headers
// dropped, x-request-id, x-forwarded-for/-proto, and header mutations from the route.
import { randomUUID } from 'node:crypto';
import { cidrContains, parseCidrText, parseIp, type CidrRange } from '../listener/cidr.js';

/** Connection-specific headers that never cross the proxy (RFC 9110 §7.6.1, plus HTTP/2's list). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'proxy-authenticate', 'proxy-authorization', 'http2-settings']);

export type HeaderMap = Record<string, string | string[]>;

/** A MutableHeaders view (the router's header-mutation seam) over a plain header map. */
export function mutableHeaders(headers: HeaderMap): { has(n: string): boolean; add(n: string, v: string): void; set(n: string, v: string): void; remove(n: string): void } {
  return new MapHeaders(headers);
}

class MapHeaders {
  constructor(private readonly headers: HeaderMap) {}

  has(n: string): boolean {
    return this.headers[n] !== undefined;
  }

  add(n: string, v: string): void {
    const prior = this.headers[n];
    this.headers[n] = prior === undefined ? v : [...(Array.isArray(prior) ? prior : [prior]), v];
  }

  set(n: string, v: string): void {
    this.headers[n] = v;
  }

  remove(n: string): void {
    delete this.headers[n];
  }
}

/** The header names a `connection` header lists (lower-case), or undefined when it lists only close or keep-alive. */
function connectionListed(value: string | string[] | undefined): Set<string> | undefined {
  if (value === undefined) return undefined;
  const text = Array.isArray(value) ? value.join(',') : value;
  const lower = text.toLowerCase();
  if (lower === 'keep-alive' || lower === 'close') return undefined;
  const names = new Set<string>();
  for (const part of lower.split(',')) {
    const name = part.trim();
    if (name) names.add(name);
  }
  return names;
}

/** Copies request headers for the upstream: no pseudo-headers, no hop-by-hop headers (but `te: trailers` is kept for gRPC). */
export function upstreamRequestHeaders(raw: Record<string, string | string[] | undefined>): HeaderMap {
  const out: HeaderMap = {};
  const listed = connectionListed(raw['connection']);
  for (const k in raw) {
    const v = raw[k];
    if (v === undefined || k.charCodeAt(0) === 58 /* ':' */ || k === 'host') continue;
    if (HOP_BY_HOP.has(k) || listed?.has(k)) {
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
  for (const k in raw) {
    const v = raw[k];
    if (v === undefined || k.charCodeAt(0) === 58 /* ':' */ || HOP_BY_HOP.has(k)) continue;
    out[k] = v;
  }
  return out;
}

/** Envoy's internal_address_config default: RFC 1918, loopback and IPv6 unique-local addresses are internal. */
const DEFAULT_INTERNAL = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '127.0.0.0/8', '::1/128', 'fc00::/7'].map((c) => parseCidrText(c) as CidrRange);

/** Headers Envoy removes from requests that are not internal (header_sanitizing). */
const INTERNAL_ONLY = [
  'x-envoy-retriable-status-codes',
  'x-envoy-retriable-header-names',
  'x-envoy-retry-on',
  'x-envoy-retry-grpc-on',
  'x-envoy-max-retries',
  'x-envoy-upstream-alt-stat-name',
  'x-envoy-upstream-rq-timeout-ms',
  'x-envoy-upstream-rq-per-try-timeout-ms',
  'x-envoy-upstream-rq-timeout-alt-response',
  'x-envoy-expected-rq-timeout-ms',
  'x-envoy-force-trace',
  'x-envoy-ip-tags',
  'x-envoy-hedge-on-per-try-timeout',
  'x-envoy-upstream-stream-duration-ms',
];
/**
 * Also removed from edge requests (external, arriving where use_remote_address is set). A client's
 * x-envoy-original-path is dropped since Envoy 1.26 (CVE-2023-27487; edge only since envoy#26649).
 */
const EDGE_ONLY = ['x-envoy-decorator-operation', 'x-envoy-downstream-service-cluster', 'x-envoy-downstream-service-node', 'x-envoy-original-path'];

/** The HCM fields that decide how request headers are sanitized. */
export interface ForwardingPolicy {
  readonly useRemoteAddress: boolean;
  /** xff_num_trusted_hops. */
  readonly xffNumTrustedHops: number;
  /** skip_xff_append. */
  readonly skipXffAppend: boolean;
  /** internal_address_config.cidr_ranges; Envoy's private ranges when undefined. */
  readonly internalCidrs?: readonly CidrRange[];
  /** generate_request_id (default true). */
  readonly generateRequestId: boolean;
  /** preserve_external_request_id. */
  readonly preserveExternalRequestId: boolean;
}

export const DEFAULT_FORWARDING: ForwardingPolicy = { useRemoteAddress: false, xffNumTrustedHops: 0, skipXffAppend: false, generateRequestId: true, preserveExternalRequestId: false };

export interface Forwarded {
  /** x-envoy-internal was set: the request came from inside the mesh. */
  readonly internal: boolean;
  /** An external request on a use_remote_address connection manager: its x-envoy-* control headers are not trusted. */
  readonly edge: boolean;
  /** The client address Envoy trusts (from the connection or x-forwarded-for). */
  readonly trustedAddress: string | undefined;
  /** The request id the request carries upstream ('' when generate_request_id is off and none came). */
  readonly requestId: string;
}

function plainIp(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** The last address asked about, and its answer: a connection's requests all ask about the same one. */
let lastAddress: string | undefined;
let lastCidrs: readonly CidrRange[] | undefined;
let lastInternal = false;

export function isInternalAddress(address: string | undefined, cidrs: readonly CidrRange[] = DEFAULT_INTERNAL): boolean {
  if (!address) return false;
  if (address === lastAddress && cidrs === lastCidrs) return lastInternal;
  const ip = parseIp(plainIp(address));
  const internal = ip !== undefined && cidrs.some((c) => cidrContains(c, ip));
  lastAddress = address;
  lastCidrs = cidrs;
  lastInternal = internal;
  return internal;
}

function headerText(v: string | string[] | undefined): string | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v.join(',') : v;
}

/**
 * Envoy's request header mutation in the connection manager (mutateRequestHeaders): x-forwarded-for
 * (appended with use_remote_address unless skip_xff_append; otherwise the trusted client is read from
 * it, xff_num_trusted_hops from the right), internal or external (a single trusted address that is
 * internal), x-envoy-internal set or x-envoy-* control headers removed, x-envoy-external-address on
 * edge requests, x-forwarded-proto (overwritten at the edge, else set when absent), x-request-id.
 */
export function sanitizeRequestHeaders(headers: HeaderMap, remoteAddress: string | undefined, scheme: string, policy: ForwardingPolicy): Forwarded {
  const prior = headerText(headers['x-forwarded-for']);
  const list = prior ? prior.split(',').map((a) => a.trim()).filter(Boolean) : [];
  let trusted: string | undefined;
  let single: boolean;
  const remote = remoteAddress ? plainIp(remoteAddress) : undefined;
  if (policy.useRemoteAddress) {
    // Trusted proxies in front of this one put the client in x-forwarded-for; else it is the peer.
    const hops = policy.xffNumTrustedHops;
    trusted = (hops > 0 ? list[list.length - hops] : undefined) ?? remote;
    single = list.length === 0;
    if (remote && !policy.skipXffAppend) {
      list.push(remote);
      headers['x-forwarded-for'] = list.join(',');
    }
  } else {
    // Without use_remote_address and without x-forwarded-for, the request is external (Envoy's rule).
    const index = list.length - 1 - policy.xffNumTrustedHops;
    trusted = index >= 0 ? list[index] : undefined;
    single = list.length === 1;
  }
  const cidrs = policy.internalCidrs;
  const internal = single && isInternalAddress(trusted, cidrs);
  const edge = policy.useRemoteAddress && !internal;
  if (internal) headers['x-envoy-internal'] = 'true';
  else {
    delete headers['x-envoy-internal'];
    for (const h of INTERNAL_ONLY) delete headers[h];
    if (edge) for (const h of EDGE_ONLY) delete headers[h];
  }
  if (edge && trusted) headers['x-envoy-external-address'] = trusted;
  else if (!internal) delete headers['x-envoy-external-address'];
  if (policy.useRemoteAddress || !headers['x-forwarded-proto']) headers['x-forwarded-proto'] = scheme;
  let requestId = headerText(headers['x-request-id']) ?? '';
  if (policy.generateRequestId && (requestId === '' || (edge && !policy.preserveExternalRequestId))) {
    requestId = randomUUID();
    headers['x-request-id'] = requestId;
  }
  return { internal, edge, trustedAddress: trusted, requestId };
}
