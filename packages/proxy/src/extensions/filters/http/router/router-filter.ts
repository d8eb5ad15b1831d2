// envoy.filters.http.router: sends the request to the route's cluster and streams the response back,
// with timeouts (504 UT), retries (URX), circuit breakers (503 UO), no healthy host (503 UH),
// connection failures (503 UF), mirroring, and the x-envoy-* headers Envoy sets and reads. A stream
// that ends first (downstream gone, max_stream_duration, idle_timeout) cancels its upstream attempt.
// The filter's own config (router-config.ts) decides which x-envoy-* headers it adds, which request
// headers it checks strictly, whether an egress proxy's expected timeout is honoured, and which
// response-code stats it charges. An upgrade (WebSocket) is tunnelled in the router's place (http/upgrade.ts).
import type { Readable } from 'node:stream';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import { downstreamResponseHeaders, mutableHeaders, type HeaderMap } from '../../../../http/headers.js';
import type { FilterStatus, HttpFilter } from '../../../../http/http-filter.js';
import { applyHeaderMutations, isGrpcRequest, pathWithoutQuery, PREVIOUS_HOSTS, type ForwardDecision, type HeaderMutation, type RetryPolicy } from '../../../../router/index.js';
import { destinationOf } from '../../../../listener/original-dst.js';
import { forwardUpgrade } from '../../../../http/upgrade.js';
import { DEFAULT_POOL_KEY, poolFor, UpstreamError, type ConnPool, type PoolKey, type UpstreamResponse } from '../../../../upstream/conn-pool.js';
import { wholeBody } from '../../../../upstream/http1-connection.js';
import { LOCAL_ORIGIN_FAILURE, LOCAL_ORIGIN_TIMEOUT, type ClusterLookup, type CounterLike, type HostChoice, type OriginalDestination, type UpstreamCluster, type UpstreamHost } from '../../../../upstream/upstream-cluster.js';
import { upstreamApplicationProtocols } from '../../../../upstream/application-protocols.js';
import { Cancellation, type CancelSignal } from '../../../../upstream/cancellation.js';
import { headerFormatInput } from './header-format-input.js';
import { bodyStream, frameUpstreamBody, type BufferedBody } from './request-body.js';
import { pacer } from './response-pacer.js';
import { bufferBody, effectiveRetryPolicy, retryDecision, type AttemptOutcome } from './retry-state.js';
import { DEFAULT_ROUTER_CONFIG, type RouterConfig } from './router-config.js';
import { downstreamGone, sleep, StreamGuard, type StreamEnd } from './stream-guard.js';
import { invalidStrictHeader } from './strict-check-headers.js';
import { finalTimeouts, setTimeoutHeaders, timeoutHeaders, type TimeoutOptions } from './upstream-timeouts.js';

export interface RouterFilterDeps {
  readonly clusters: ClusterLookup;
  /** Computes the request hash for ring hash / maglev from the route's hash policies. */
  readonly hashOf?: (ctx: RoutedStream, decision: ForwardDecision) => bigint | undefined;
  readonly random?: () => number;
  /** The filter's typed_config, compiled (Envoy's defaults when absent). */
  readonly config?: RouterConfig;
}

/** Envoy's local reply when a circuit breaker (max_requests, max_pending_requests) refuses a request. */
const OVERFLOW_BODY = 'upstream connect error or disconnect/reset before headers. reset reason: overflow';

/** Envoy's answer to a request the circuit breakers refused: 503 UO, marked `x-envoy-overloaded: true` unless suppress_envoy_headers. */
function replyOverflow(ctx: RoutedStream, config: RouterConfig): void {
  if (!config.suppressEnvoyHeaders) ctx.responseHeaders['x-envoy-overloaded'] = 'true';
  ctx.sendLocalReply(503, OVERFLOW_BODY, 'UO');
}

/** A request without body: read whole, nothing to replay (never mutated). */
const NO_BODY: BufferedBody = Object.freeze({ complete: true, chunks: Object.freeze([]) as unknown as Buffer[], size: 0 });

/** Request bodies up to this size are buffered so that retries and mirrors can resend them. */
const RETRY_BUFFER_LIMIT = 64 * 1024;

function upstreamPath(ctx: RoutedStream, d: ForwardDecision): string {
  if (d.pathRewrite === undefined) return ctx.path;
  const q = ctx.path.length - pathWithoutQuery(ctx.path).length;
  return q > 0 ? d.pathRewrite + ctx.path.slice(ctx.path.length - q) : d.pathRewrite;
}

const hasFormats = (mutations: readonly HeaderMutation[]): boolean => mutations.some((m) => m.op === 'add' && m.formatted);

export function createRouterFilter(deps: RouterFilterDeps): HttpFilter {
  const random = deps.random ?? Math.random;
  const config = deps.config ?? DEFAULT_ROUTER_CONFIG;
  // What the timeout headers follow from the filter's config, made once with the filter.
  const timing: TimeoutOptions = { respectExpectedRqTimeout: config.respectExpectedRqTimeout, setExpectedRqTimeout: !config.suppressEnvoyHeaders };
  return {
    name: 'envoy.filters.http.router',
    async decode(raw): Promise<FilterStatus> {
      const ctx = raw as RoutedStream;
      const d = ctx.decision;
      if (d.kind === 'no-route') {
        ctx.sendLocalReply(404, '', 'NR');
        return 'stop';
      }
      if (d.kind === 'redirect' || d.kind === 'direct') {
        const format = hasFormats(d.responseHeaderMutations) ? headerFormatInput(ctx, ctx.upstreamHeaders, undefined) : undefined;
        applyHeaderMutations(d.responseHeaderMutations, mutableHeaders(ctx.responseHeaders), format);
        if (d.kind === 'redirect') ctx.responseHeaders['location'] = d.location;
        ctx.sendLocalReply(d.status, d.kind === 'direct' ? (d.body ?? '') : '');
        return 'stop';
      }
      await forward(ctx, d, deps, config, timing, random);
      return 'stop';
    },
  };
}

function noop(): void {
  // An attempt without timers has nothing to finish.
}

/** The host choice of a stream's attempts: one object for all of them; the original destination is read only by ORIGINAL_DST clusters. */
class AttemptChoice implements HostChoice {
  readonly hash?: bigint;
  readonly previous?: ReadonlySet<UpstreamHost>;
  readonly maxAttempts?: number;

  constructor(
    private readonly ctx: RoutedStream,
    readonly random: () => number,
    hash: bigint | undefined,
    previous: ReadonlySet<UpstreamHost> | undefined,
    maxAttempts: number,
  ) {
    if (hash !== undefined) this.hash = hash;
    if (previous) {
      this.previous = previous;
      this.maxAttempts = maxAttempts;
    }
  }

  get originalDestination(): OriginalDestination | undefined {
    const socket = this.ctx.response.socket;
    return socket ? destinationOf(socket) : undefined;
  }
}

/** A counter Envoy has that the cluster may not declare (bumped only when it does). */
function bump(cluster: UpstreamCluster, name: string): void {
  const c = (cluster.counters as unknown as Record<string, CounterLike | undefined>)[name];
  if (c) c.value++;
}

/** Envoy's answer when a route timer ends the stream: 408 before the response started, else a reset. */
function streamTimedOut(ctx: RoutedStream, why: Exclude<StreamEnd, 'downstream-closed'>): void {
  const flag = why === 'max-duration' ? 'DT' : 'SI';
  if (ctx.responded) {
    ctx.responseFlags.add(flag);
    ctx.response.destroy();
    return;
  }
  ctx.sendLocalReply(408, why === 'max-duration' ? 'downstream duration timeout' : 'stream timeout', flag);
}

/**
 * auto_host_rewrite: the chosen host's hostname (Endpoint.hostname, or a DNS cluster's DNS name)
 * becomes `:authority`, set when the host is picked (Envoy does it in onPoolReady, after the route's
 * own rewrites); a host without one leaves the authority as it was.
 */
function autoHost(d: ForwardDecision, host: UpstreamHost): string | undefined {
  return d.autoHostRewrite && host.hostname ? host.hostname : undefined;
}

/**
 * The request as the first attempt sends it: route headers, authority rewrites, x-forwarded-host, and
 * x-envoy-original-path (the `:path` as received, query included) when the route has a prefix_rewrite
 * or regex_rewrite, unless suppress_envoy_headers. Envoy sets that one after the route's header
 * mutations (RouteEntryImplBase::finalizePathHeader), so request_headers_to_remove cannot remove it.
 */
function finalizeRequest(ctx: RoutedStream, d: ForwardDecision, headers: HeaderMap, host: UpstreamHost, config: RouterConfig): string {
  if (d.requestHeaderMutations.length > 0) applyHeaderMutations(d.requestHeaderMutations, mutableHeaders(headers), hasFormats(d.requestHeaderMutations) ? headerFormatInput(ctx, headers, host) : undefined);
  if (d.pathRewrite !== undefined && !config.suppressEnvoyHeaders) headers['x-envoy-original-path'] = ctx.path;
  const authority = autoHost(d, host) ?? d.hostRewrite ?? ctx.authority;
  if (d.appendXForwardedHost && authority !== ctx.authority && ctx.authority) {
    const prior = headers['x-forwarded-host'];
    const list = prior === undefined ? [] : (Array.isArray(prior) ? prior.join(',') : prior).split(',').map((s) => s.trim());
    if (list.at(-1) !== ctx.authority) headers['x-forwarded-host'] = [...list, ctx.authority].filter(Boolean).join(',');
  }
  return authority;
}

/** strict_check_headers, checked (as in Envoy) once the cluster is known: 400 IH for the first invalid header. */
function rejectInvalidHeader(ctx: RoutedStream, config: RouterConfig): boolean {
  if (config.strictCheckHeaders.length === 0) return false;
  const bad = invalidStrictHeader(ctx.upstreamHeaders, config.strictCheckHeaders);
  if (bad) ctx.sendLocalReply(400, `invalid header '${bad.name}' with value '${bad.value}'`, 'IH');
  return bad !== undefined;
}

async function forward(ctx: RoutedStream, d: ForwardDecision, deps: RouterFilterDeps, config: RouterConfig, timing: TimeoutOptions, random: () => number): Promise<void> {
  const cluster = deps.clusters.get(d.cluster);
  if (!cluster) {
    ctx.sendLocalReply(d.clusterNotFoundStatus, '', 'NC');
    return;
  }
  ctx.upstreamCluster = cluster.name;
  if (rejectInvalidHeader(ctx, config)) return;
  if (ctx.upgrade) {
    forwardUpgrade(ctx, d, ctx.upgrade, deps.clusters, random, { suppressEnvoyHeaders: config.suppressEnvoyHeaders, dynamicStats: config.dynamicStats });
    return;
  }
  // Route priority HIGH counts against the cluster's HIGH circuit breakers and uses its own pools.
  const priority = d.priority;
  if (!cluster.tryStartRequest(priority)) {
    cluster.counters.upstream_rq_pending_overflow.value++;
    replyOverflow(ctx, config);
    return;
  }
  const guard = new StreamGuard(ctx, { maxStreamDurationMs: d.maxStreamDurationMs, idleTimeoutMs: d.idleTimeoutMs, onTimeout: (why) => streamTimedOut(ctx, why) });
  let streaming = false;
  try {
    if (guard.ended) return;
    // x-envoy-* control headers are trusted unless the request is an edge request (Envoy strips them there).
    const trusted = ctx.edgeRequest === false;
    const headers: HeaderMap = { ...ctx.upstreamHeaders };
    if (ctx.internalRequest !== true) for (const h of d.internalOnlyHeaders) delete headers[h];
    const retry = effectiveRetryPolicy(d.retry, headers, trusted, ctx.head);
    const grpc = isGrpcRequest(ctx.head);
    const timeouts = finalTimeouts(d, retry?.perTryTimeoutMs ?? d.perTryTimeoutMs, headers, grpc, trusted, timing);
    // dynamic_stats and suppress_grpc_request_failure_code_stats: whether responses charge upstream_rq_<code>.
    const countCodes = config.dynamicStats && !(grpc && config.suppressGrpcRequestFailureCodeStats);
    let buffered: BufferedBody;
    try {
      // A client that waits for 100 Continue sends no body before the upstream's 100: nothing to buffer, it streams.
      if (ctx.expectContinue) buffered = { complete: false, chunks: [], size: 0, rest: ctx.body };
      // Most requests have no body at all: nothing to wait for.
      else if ((ctx.body as { bodyless?: boolean }).bodyless === true) buffered = NO_BODY;
      else buffered = await bufferBody(ctx.body, RETRY_BUFFER_LIMIT, () => guard.touch());
    } catch {
      // The downstream reset while sending its body: there is nobody to answer.
      return;
    }
    if (guard.ended) return;
    const contentLength = ctx.downstreamHeaders['content-length'];
    frameUpstreamBody(headers, buffered, contentLength);
    const path = upstreamPath(ctx, d);
    const hash = deps.hashOf?.(ctx, d);
    // The global timeout runs from here, where the request is complete (Envoy's onRequestComplete).
    const requestComplete = Date.now();
    const deadline = timeouts.globalMs > 0 ? requestComplete + timeouts.globalMs : Infinity;
    // The hosts tried so far, kept only for a previous_hosts predicate.
    const tried = retry?.retryHostPredicates.includes(PREVIOUS_HOSTS) ? new Set<UpstreamHost>() : undefined;
    let retriesLeft = retry ? retry.numRetries : 0;
    let authority = ctx.authority;
    // Envoy keys a host's pools by priority and by the ALPN list istio.alpn put in filter state.
    const alpn = upstreamApplicationProtocols(ctx);
    const key: PoolKey = alpn === undefined && priority === 'DEFAULT' ? DEFAULT_POOL_KEY : { priority, alpn };
    const choice = new AttemptChoice(ctx, random, hash, tried, retry?.hostSelectionRetryMaxAttempts ?? 1);
    for (let attempt = 0; ; attempt++) {
      const host = cluster.chooseHost(choice);
      if (!host) {
        ctx.sendLocalReply(503, 'no healthy upstream', 'UH');
        return;
      }
      if (attempt === 0) {
        authority = finalizeRequest(ctx, d, headers, host, config);
        for (const m of d.mirrors) {
          const shadow = m.appendShadowSuffix ? shadowAuthority(authority) : authority;
          if (random() * 1_000_000 < m.fractionPerMillion && buffered.complete) mirror(deps, m.cluster, ctx, { headers, path, authority: shadow, countCodes }, buffered.chunks);
        }
      } else {
        authority = autoHost(d, host) ?? authority;
        // A retry tells the upstream the time left, not the first attempt's deadline (Envoy's doRetry).
        setTimeoutHeaders(timeouts, Date.now() - requestComplete, headers, timeoutHeaders(d, grpc, timing));
      }
      if (d.includeAttemptCountInRequest) headers['x-envoy-attempt-count'] = String(attempt + 1);
      tried?.add(host);
      const outcome = await attempt1(ctx, cluster, { host, pool: poolFor(host.pool, key), countCodes, dynamicStats: config.dynamicStats }, headers, path, authority, buffered, deadline, timeouts.perTryMs, retry, guard);
      if (outcome.kind === 'cancelled') return;
      const verdict = retryDecision(outcome, retry, retriesLeft, buffered.complete, deadline);
      if (verdict === 'retry' && cluster.tryStartRetry(priority)) {
        retriesLeft--;
        cluster.counters.upstream_rq_retry.value++;
        if (outcome.kind === 'response') outcome.response.body.resume();
        await sleep(Math.min(backoffMs(attempt, retry), Math.max(0, deadline - Date.now())), guard.signal);
        cluster.finishRetry(priority);
        if (guard.ended) return;
        continue;
      }
      if (verdict === 'retry') cluster.counters.upstream_rq_retry_overflow.value++;
      const exhausted = verdict === 'retry' || verdict === 'exhausted';
      streaming = respond(ctx, cluster, d, outcome, exhausted, { headers, host, attempts: attempt + 1, guard, config });
      return;
    }
  } finally {
    if (!streaming) guard.dispose();
    cluster.finishRequest(priority);
  }
}

function backoffMs(attempt: number, retry: RetryPolicy | undefined): number {
  // Envoy's fully jittered exponential back-off: random in [0, base * 2^attempt], capped at max.
  const base = retry?.backOffBaseMs ?? 25;
  const max = retry?.backOffMaxMs ?? base * 10;
  return Math.min(max, Math.random() * base * 2 ** attempt);
}

/** The host an attempt goes to, its pool for the stream's key, and whether its response code is counted. */
interface Target {
  readonly host: UpstreamHost;
  readonly pool: ConnPool;
  readonly countCodes: boolean;
  /** The router's dynamic_stats: upstream_rq_time is one. */
  readonly dynamicStats: boolean;
}

async function attempt1(
  ctx: RoutedStream,
  cluster: UpstreamCluster,
  { host, pool, countCodes, dynamicStats }: Target,
  headers: HeaderMap,
  path: string,
  authority: string,
  buffered: BufferedBody,
  deadline: number,
  perTryTimeoutMs: number,
  retry: RetryPolicy | undefined,
  guard: StreamGuard,
): Promise<AttemptOutcome> {
  const remaining = deadline - Date.now();
  const perTry = perTryTimeoutMs > 0 ? perTryTimeoutMs : Infinity;
  const limit = Math.min(remaining, perTry);
  const idleMs = retry?.perTryIdleTimeoutMs;
  // Without a timer of its own the attempt ends only with the stream: the stream's signal is the attempt's.
  const controller = Number.isFinite(limit) || (idleMs !== undefined && idleMs > 0) ? new Cancellation() : undefined;
  const signal: CancelSignal = controller ?? guard.signal;
  let perTryFired = false;
  // The attempt's timer is the route's global timeout when that comes first: never retried, even when the
  // timer fires a millisecond before Date.now() reaches the deadline.
  let globalFired = false;
  const timer = Number.isFinite(limit)
    ? setTimeout(() => {
        if (remaining <= perTry) globalFired = true;
        else perTryFired = true;
        controller?.abort();
      }, Math.max(0, limit))
    : undefined;
  // per_try_idle_timeout: no bytes from the upstream for this long ends the attempt (a per-try timeout).
  const idle =
    idleMs && idleMs > 0
      ? setTimeout(() => {
          perTryFired = true;
          controller?.abort();
        }, idleMs)
      : undefined;
  // Without timers of its own (most attempts) there is nothing to cancel or clear: no closures.
  const cancel = controller ? () => controller.abort() : undefined;
  if (cancel) guard.signal.addEventListener('abort', cancel, { once: true });
  const finish = cancel
    ? () => {
        clearTimeout(timer);
        clearTimeout(idle);
        guard.signal.removeEventListener('abort', cancel);
      }
    : noop;
  const started = Date.now();
  host.begin();
  ctx.upstreamHost = `${host.address}:${host.port}`;
  try {
    const body = bodyStream(buffered, () => guard.touch());
    const response = await pool.request({ method: ctx.method, path, authority, headers, ...(ctx.expectContinue ? { onContinue: ctx.expectContinue } : {}) }, body, signal, ctx.protocol === 'HTTP/2' ? 'http2' : 'http1');
    cluster.counters.upstream_rq_total.value++;
    host.recordResult(response.status);
    if (countCodes) cluster.recordStatus(response.status);
    idle?.refresh();
    // Envoy's upstream_rq_time (a dynamic stat): from the attempt's start to the end of its response.
    let timed = false;
    const finishTimed = () => {
      finish();
      if (timed || !dynamicStats) return;
      timed = true;
      cluster.recordRequestTime?.(Date.now() - started);
    };
    const outcome: AttemptOutcome = { kind: 'response', response, serviceTimeMs: Date.now() - started, finish: finishTimed, signal };
    if (idle) (response.body as Readable).on('data', () => idle.refresh());
    return outcome;
  } catch (e) {
    finish();
    if (guard.signal.aborted) {
      cluster.counters.upstream_rq_total.value++;
      // Envoy resets the upstream stream; an HTTP/1.1 connection with a request on it is closed.
      bump(cluster, 'upstream_rq_tx_reset');
      if (pool.protocol === 'http1') bump(cluster, 'upstream_cx_destroy_local_with_active_rq');
      return { kind: 'cancelled' };
    }
    const failure = e instanceof UpstreamError ? e.failure : 'reset';
    // An overflowed request never reached the host: no upstream_rq_total, nothing for outlier detection.
    if (failure === 'overflow') {
      cluster.counters.upstream_rq_pending_overflow.value++;
      return { kind: 'failure', failure, perTry: false };
    }
    cluster.counters.upstream_rq_total.value++;
    if (failure === 'timeout') cluster.counters.upstream_rq_timeout.value++;
    else if (failure === 'connect-failure') cluster.counters.upstream_cx_connect_fail.value++;
    else cluster.counters.upstream_rq_rx_reset.value++;
    // Envoy reports a request or per-try timeout to the outlier detector as LOCAL_ORIGIN_TIMEOUT: a
    // gateway failure (504) unless split_external_local_origin_errors, then a local-origin failure.
    // A request that timed out in the pool's queue never reached the host: Envoy tells the detector nothing.
    if (!(e instanceof UpstreamError && e.queued)) host.recordResult(failure === 'timeout' ? LOCAL_ORIGIN_TIMEOUT : LOCAL_ORIGIN_FAILURE);
    return { kind: 'failure', failure, perTry: failure === 'timeout' && !globalFired && (perTryFired || Date.now() < deadline) };
  } finally {
    host.end();
  }
}

interface Sent {
  readonly headers: HeaderMap;
  readonly host: UpstreamHost;
  readonly attempts: number;
  readonly guard: StreamGuard;
  readonly config: RouterConfig;
}

/** Answers the downstream; true when the upstream response is now streaming (the guard stays on). */
function respond(ctx: RoutedStream, cluster: UpstreamCluster, d: ForwardDecision, outcome: Exclude<AttemptOutcome, { kind: 'cancelled' }>, exhausted: boolean, sent: Sent): boolean {
  if (exhausted) ctx.responseFlags.add('URX');
  if (d.includeAttemptCountInResponse) ctx.responseHeaders['x-envoy-attempt-count'] = String(sent.attempts);
  if (outcome.kind === 'failure') {
    if (outcome.failure === 'timeout') {
      ctx.sendLocalReply(504, 'upstream request timeout', 'UT');
      return false;
    }
    if (outcome.failure === 'overflow') {
      replyOverflow(ctx, sent.config);
      return false;
    }
    const reason = outcome.failure === 'connect-failure' ? 'connection failure' : outcome.failure === 'refused-stream' ? 'remote refused stream reset' : 'connection termination';
    ctx.sendLocalReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, outcome.failure === 'connect-failure' ? 'UF' : 'UC');
    return false;
  }
  const res = outcome.response;
  const out = downstreamResponseHeaders(res.headers);
  Object.assign(out, ctx.responseHeaders);
  if (d.responseHeaderMutations.length > 0) {
    const format = hasFormats(d.responseHeaderMutations) ? headerFormatInput(ctx, sent.headers, sent.host, { status: res.status, headers: out }) : undefined;
    applyHeaderMutations(d.responseHeaderMutations, mutableHeaders(out), format);
  }
  if (!sent.config.suppressEnvoyHeaders) out['x-envoy-upstream-service-time'] = String(outcome.serviceTimeMs);
  return pipeResponse(ctx, cluster, res, out, outcome, sent.guard);
}

function pipeResponse(ctx: RoutedStream, cluster: UpstreamCluster, res: UpstreamResponse, headers: HeaderMap, outcome: Extract<AttemptOutcome, { kind: 'response' }>, guard: StreamGuard): boolean {
  const sink = ctx.response;
  const upstream = res.body as Readable;
  // A downstream that went away resets the upstream stream (as Envoy does): a paused, unread
  // response would otherwise hold its pooled connection, and its circuit-breaker unit, forever.
  if (downstreamGone(sink) || guard.ended) {
    outcome.finish();
    upstream.destroy();
    bump(cluster, 'upstream_rq_tx_reset');
    return false;
  }
  // A response framed by its Content-Length that arrived whole before anyone read it (most small
  // HTTP/1.1 responses) goes out in one end(), framed the same: no flowing stream, no 'data' and
  // 'end' turns, nothing left to cancel.
  const whole = ctx.faultResponseRateKbps || headers['content-length'] === undefined ? undefined : wholeBody(upstream);
  if (whole !== undefined) {
    outcome.finish();
    guard.dispose();
    sink.writeHead(res.status, headers);
    sink.end(whole ?? undefined);
    return false;
  }
  sink.once('close', () => {
    if (upstream.readableEnded) return;
    outcome.finish();
    upstream.destroy();
    bump(cluster, 'upstream_rq_tx_reset');
  });
  // A gRPC "trailers-only" response (status in the headers, no body) must stay one HEADERS frame
  // with END_STREAM; sent as headers plus an empty body, a gRPC client reports INTERNAL.
  if (headers['grpc-status'] !== undefined && 'stream' in sink) {
    sink.stream.respond({ ...headers, ':status': res.status }, { endStream: true });
    upstream.resume();
    upstream.once('end', () => {
      outcome.finish();
      guard.dispose();
    });
    return true;
  }
  sink.writeHead(res.status, headers);
  upstream.on('error', () => {
    ctx.responseFlags.add(outcome.signal.aborted ? 'UT' : 'UC');
    sink.destroy();
  });
  // Trailers (gRPC's grpc-status and grpc-message live there) are forwarded before the response
  // ends: HTTP/2 upstreams announce them with a 'trailers' event, HTTP/1.1 ones on the message.
  let trailers: Record<string, unknown> | undefined;
  upstream.on('trailers', (t: Record<string, unknown>) => (trailers = t));
  const kbps = ctx.faultResponseRateKbps;
  const source: Readable = kbps && kbps > 0 ? upstream.pipe(pacer(kbps)) : upstream;
  source.on('end', () => {
    outcome.finish();
    // Nothing is left to cancel: the guard lets go of the downstream (no abort when it closes).
    guard.dispose();
    const t = trailers ?? (upstream as Readable & { trailers?: Record<string, unknown> }).trailers;
    if (t) forwardTrailers(sink, t);
    if (!sink.writableEnded) sink.end();
  });
  if (source === upstream) forwardBody(upstream, sink, guard);
  else {
    upstream.on('data', () => guard.touch());
    source.pipe(sink, { end: false });
  }
  return true;
}

/** Trailers for the downstream, without pseudo-headers; none when nothing is left. */
function forwardTrailers(sink: RoutedStream['response'], t: Record<string, unknown>): void {
  const forwarded: Record<string, string> = {};
  let any = false;
  for (const k in t) {
    const v = t[k];
    if (v === undefined || k.charCodeAt(0) === 58 /* ':' */) continue;
    forwarded[k] = v as string;
    any = true;
  }
  if (any && !sink.writableEnded) sink.addTrailers(forwarded);
}

/**
 * The response body to the downstream with backpressure, as pipe() would do it without pipe's
 * per-stream listeners and state: the end, errors and a downstream close are handled by the caller.
 */
function forwardBody(upstream: Readable, sink: RoutedStream['response'], guard: StreamGuard): void {
  const resume = () => upstream.resume();
  upstream.on('data', (chunk: Buffer) => {
    guard.touch();
    if (!sink.write(chunk) && !sink.destroyed) {
      upstream.pause();
      sink.once('drain', resume);
    }
  });
}

/** Envoy appends `-shadow` to the host part, keeping any port: `web:8080` → `web-shadow:8080`. */
function shadowAuthority(authority: string): string {
  const m = /^(.*?)(:\d+)?$/.exec(authority);
  return `${m?.[1] ?? authority}-shadow${m?.[2] ?? ''}`;
}

/** What a shadow request sends, and whether its response code is counted (the router's config applies to shadows too). */
interface Shadow {
  readonly headers: HeaderMap;
  readonly path: string;
  readonly authority: string;
  readonly countCodes: boolean;
}

function mirror(deps: RouterFilterDeps, clusterName: string, ctx: RoutedStream, { headers, path, authority, countCodes }: Shadow, chunks: Buffer[]): void {
  const cluster = deps.clusters.get(clusterName);
  const host = cluster?.chooseHost({ random: Math.random });
  if (!cluster || !host) return;
  const body = bodyStream({ chunks });
  const controller = new Cancellation();
  setTimeout(() => controller.abort(), 10_000).unref();
  // Shadow traffic is fire-and-forget: its response is read and dropped.
  host.pool
    .request({ method: ctx.method, path, authority, headers: { ...headers } }, body, controller)
    .then((r) => {
      if (countCodes) cluster.recordStatus(r.status);
      r.body.resume();
    })
    .catch(() => undefined);
}
