// The HTTP filter seam (Envoy's StreamDecoderFilter, simplified to what Weft's filters need): each
// filter sees the request once and either lets it continue or answers it. The router is terminal.
import type { IncomingHttpHeaders } from 'node:http';
import type { HeaderMap } from './headers.js';

/** What every filter may read and change about one request. */
export interface StreamContext {
  readonly method: string;
  readonly authority: string;
  /** Path with query, as received. */
  readonly path: string;
  readonly scheme: 'http' | 'https';
  readonly downstreamHeaders: IncomingHttpHeaders;
  readonly remoteAddress: string | undefined;
  /** Headers that will go upstream (filters may change them). */
  readonly upstreamHeaders: HeaderMap;
  /** Headers added to the response whatever answers it. */
  readonly responseHeaders: HeaderMap;
  /** Envoy response flags for the access log (`UH`, `UF`, `FI`, ...). */
  readonly responseFlags: Set<string>;
  readonly requestId: string;
  readonly startedAt: number;
  /** The downstream request body, not yet read. */
  readonly body: NodeJS.ReadableStream;
  /** Per-route filter config (typed_per_filter_config), once the route is known. */
  perFilterConfig(filterName: string): { type_url: string; value: Uint8Array } | undefined;
  /** Sends a local reply (Envoy's sendLocalReply) and ends the stream. */
  sendLocalReply(status: number, body: string, flag?: string): void;
  /** True once a response has started. */
  readonly responded: boolean;
  /**
   * Envoy's internal request (x-envoy-internal rules: with use_remote_address the downstream address
   * is internal; without, a single internal XFF address); see sanitizeRequestHeaders in http/headers.ts. Set by the
   * connection manager; undefined is treated as external.
   */
  readonly internalRequest?: boolean;
  /**
   * Envoy's edge request: external, on a use_remote_address connection manager. The router honours
   * x-envoy-retry-on, x-envoy-max-retries, x-envoy-upstream-rq-*timeout-ms only when this is false;
   * undefined is treated as an edge request (the safe reading).
   */
  readonly edgeRequest?: boolean;
  /**
   * proxy_100_continue and the request said `Expect: 100-continue`: the router sends the request upstream
   * without waiting for the body (the client waits for a 100) and calls this when the upstream answers 100 Continue.
   */
  readonly expectContinue?: () => void;
  /** Set by the fault filter (response_rate_limit): the router paces the response body to this many KiB/s. */
  faultResponseRateKbps?: number;
}

export type FilterStatus = 'continue' | 'stop';

export interface HttpFilter {
  readonly name: string;
  decode(ctx: StreamContext): FilterStatus | Promise<FilterStatus>;
}

/** Builds a filter instance from its typed_config (decoded), once per HCM config. */
export type HttpFilterFactory = (config: Record<string, unknown>) => HttpFilter;
