// envoy.filters.http.router: sends the request to the route's cluster and streams the response back,
// with timeouts (504 UT), retries (URX), circuit breakers (503 UO), no healthy host (503 UH),
// connection failures (503 UF), mirroring, and the x-envoy-* headers Envoy sets.
import { Readable } from 'node:stream';
import type { RoutedStream } from '../../../../http/connection-manager.js';
import { downstreamResponseHeaders, mutableHeaders, type HeaderMap } from '../../../../http/headers.js';
import type { FilterStatus, HttpFilter } from '../../../../http/http-filter.js';
import { applyHeaderMutations, pathWithoutQuery, PREVIOUS_HOSTS, type ForwardDecision } from '../../../../router/index.js';
import { destinationOf } from '../../../../listener/original-dst.js';
import { UpstreamError, type UpstreamResponse } from '../../../../upstream/conn-pool.js';
import type { ClusterLookup, UpstreamCluster, UpstreamHost } from '../../../../upstream/upstream-cluster.js';
import { bufferBody, retryDecision, type AttemptOutcome } from './retry-state.js';

export interface RouterFilterDeps {
  readonly clusters: ClusterLookup;
  /** Computes the request hash for ring hash / maglev from the route's hash policies. */
  readonly hashOf?: (ctx: RoutedStream, decision: ForwardDecision) => bigint | undefined;
  readonly random?: () => number;
}

/** Envoy's local reply when a circuit breaker (max_requests, max_pending_requests) refuses a request. */
const OVERFLOW_BODY = 'upstream connect error or disconnect/reset before headers. reset reason: overflow';

/** Request bodies up to this size are buffered so that retries and mirrors can resend them. */
const RETRY_BUFFER_LIMIT = 64 * 1024;

function upstreamPath(ctx: RoutedStream, d: ForwardDecision): string {
  if (d.pathRewrite === undefined) return ctx.path;
  const q = ctx.path.length - pathWithoutQuery(ctx.path).length;
  return q > 0 ? d.pathRewrite + ctx.path.slice(ctx.path.length - q) : d.pathRewrite;
}

export function createRouterFilter(deps: RouterFilterDeps): HttpFilter {
  const random = deps.random ?? Math.random;
  return {
    name: 'envoy.filters.http.router',
    async decode(raw): Promise<FilterStatus> {
      const ctx = raw as RoutedStream;
      const d = ctx.decision;
      if (d.kind === 'no-route') {
        ctx.sendLocalReply(404, '', 'NR');
        return 'stop';
      }
      if (d.kind === 'redirect') {
        applyHeaderMutations(d.responseHeaderMutations, mutableHeaders(ctx.responseHeaders));
        ctx.responseHeaders['location'] = d.location;
        ctx.sendLocalReply(d.status, '');
        return 'stop';
      }
      if (d.kind === 'direct') {
        applyHeaderMutations(d.responseHeaderMutations, mutableHeaders(ctx.responseHeaders));
        ctx.sendLocalReply(d.status, d.body ?? '');
        return 'stop';
      }
      await forward(ctx, d, deps, random);
      return 'stop';
    },
  };
}

async function forward(ctx: RoutedStream, d: ForwardDecision, deps: RouterFilterDeps, random: () => number): Promise<void> {
  const cluster = deps.clusters.get(d.cluster);
  if (!cluster) {
    ctx.sendLocalReply(d.clusterNotFoundStatus, '', 'NC');
    return;
  }
  ctx.upstreamCluster = cluster.name;
  if (!cluster.tryStartRequest()) {
    cluster.counters.upstream_rq_pending_overflow.value++;
    ctx.sendLocalReply(503, OVERFLOW_BODY, 'UO');
    return;
  }
  try {
    const headers: HeaderMap = { ...ctx.upstreamHeaders };
    applyHeaderMutations(d.requestHeaderMutations, mutableHeaders(headers));
    if (d.timeoutMs > 0) headers['x-envoy-expected-rq-timeout-ms'] = String(d.perTryTimeoutMs && d.perTryTimeoutMs < d.timeoutMs ? d.perTryTimeoutMs : d.timeoutMs);
    const authority = d.hostRewrite ?? ctx.authority;
    const path = upstreamPath(ctx, d);
    const hasBody = ctx.method !== 'GET' && ctx.method !== 'HEAD' && (ctx.downstreamHeaders['content-length'] !== '0' || ctx.downstreamHeaders['transfer-encoding'] !== undefined);
    const buffered = hasBody ? await bufferBody(ctx.body, RETRY_BUFFER_LIMIT) : { complete: true as const, chunks: [] as Buffer[] };
    for (const m of d.mirrors) {
      if (random() * 1_000_000 < m.fractionPerMillion && buffered.complete) mirror(deps, m.cluster, ctx, headers, path, m.appendShadowSuffix ? shadowAuthority(authority) : authority, buffered.chunks);
    }
    const hash = deps.hashOf?.(ctx, d);
    const deadline = d.timeoutMs > 0 ? Date.now() + d.timeoutMs : Infinity;
    const tried = new Set<UpstreamHost>();
    let retriesLeft = d.retry ? d.retry.numRetries : 0;
    for (let attempt = 0; ; attempt++) {
      const usePrevious = d.retry?.retryHostPredicates.includes(PREVIOUS_HOSTS) ?? false;
      const host = cluster.chooseHost({
        ...(hash !== undefined ? { hash } : {}),
        ...(usePrevious ? { previous: tried, maxAttempts: d.retry?.hostSelectionRetryMaxAttempts ?? 1 } : {}),
        random,
        // Read only by ORIGINAL_DST clusters, so other requests never compute it.
        get originalDestination() {
          const socket = ctx.response.socket;
          return socket ? destinationOf(socket) : undefined;
        },
      });
      if (!host) {
        ctx.sendLocalReply(503, 'no healthy upstream', 'UH');
        return;
      }
      tried.add(host);
      const outcome = await attempt1(ctx, cluster, host, headers, path, authority, buffered, deadline, d.retry?.perTryTimeoutMs ?? d.perTryTimeoutMs);
      const verdict = retryDecision(outcome, d.retry, retriesLeft, buffered.complete, deadline);
      if (verdict === 'retry' && cluster.tryStartRetry()) {
        retriesLeft--;
        cluster.counters.upstream_rq_retry.value++;
        if (outcome.kind === 'response') outcome.response.body.resume();
        await new Promise((r) => setTimeout(r, Math.min(backoffMs(attempt, d), Math.max(0, deadline - Date.now()))));
        cluster.finishRetry();
        continue;
      }
      if (verdict === 'retry') cluster.counters.upstream_rq_retry_overflow.value++;
      const exhausted = verdict === 'retry' || verdict === 'exhausted';
      respond(ctx, cluster, d, outcome, exhausted);
      return;
    }
  } finally {
    cluster.finishRequest();
  }
}

function backoffMs(attempt: number, d: ForwardDecision): number {
  // Envoy's fully jittered exponential back-off: random in [0, base * 2^attempt], capped at max.
  const base = d.retry?.backOffBaseMs ?? 25;
  const max = d.retry?.backOffMaxMs ?? base * 10;
  return Math.min(max, Math.random() * base * 2 ** attempt);
}

async function attempt1(
  ctx: RoutedStream,
  cluster: UpstreamCluster,
  host: UpstreamHost,
  headers: HeaderMap,
  path: string,
  authority: string,
  buffered: { complete: boolean; chunks: Buffer[]; rest?: NodeJS.ReadableStream },
  deadline: number,
  perTryTimeoutMs: number | undefined,
): Promise<AttemptOutcome> {
  const limit = Math.min(deadline - Date.now(), perTryTimeoutMs && perTryTimeoutMs > 0 ? perTryTimeoutMs : Infinity);
  const controller = new AbortController();
  const timer = Number.isFinite(limit) ? setTimeout(() => controller.abort(), Math.max(0, limit)) : undefined;
  const started = Date.now();
  host.begin();
  ctx.upstreamHost = `${host.address}:${host.port}`;
  try {
    const body = buffered.chunks.length > 0 || buffered.rest ? bodyStream(buffered) : undefined;
    const response = await host.pool.request({ method: ctx.method, path, authority, headers }, body, controller.signal);
    cluster.counters.upstream_rq_total.value++;
    host.recordResult(response.status);
    cluster.recordStatus(response.status);
    return { kind: 'response', response, serviceTimeMs: Date.now() - started, finish: () => clearTimeout(timer), signal: controller.signal };
  } catch (e) {
    clearTimeout(timer);
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
    if (failure !== 'timeout') host.recordResult(0);
    return { kind: 'failure', failure, perTry: failure === 'timeout' && Date.now() < deadline };
  } finally {
    host.end();
  }
}

function bodyStream(buffered: { chunks: Buffer[]; rest?: NodeJS.ReadableStream }): NodeJS.ReadableStream {
  return Readable.from(
    (async function* () {
      for (const c of buffered.chunks) yield c;
      if (buffered.rest) for await (const c of buffered.rest as AsyncIterable<Buffer>) yield c;
    })(),
  );
}

function respond(ctx: RoutedStream, cluster: UpstreamCluster, d: ForwardDecision, outcome: AttemptOutcome, exhausted: boolean): void {
  if (outcome.kind === 'failure') {
    if (exhausted) ctx.responseFlags.add('URX');
    if (outcome.failure === 'timeout') {
      ctx.sendLocalReply(504, 'upstream request timeout', 'UT');
      return;
    }
    if (outcome.failure === 'overflow') {
      ctx.sendLocalReply(503, OVERFLOW_BODY, 'UO');
      return;
    }
    const reason = outcome.failure === 'connect-failure' ? 'connection failure' : outcome.failure === 'refused-stream' ? 'remote refused stream reset' : 'connection termination';
    ctx.sendLocalReply(503, `upstream connect error or disconnect/reset before headers. reset reason: ${reason}`, outcome.failure === 'connect-failure' ? 'UF' : 'UC');
    return;
  }
  if (exhausted) ctx.responseFlags.add('URX');
  const res = outcome.response;
  const out = downstreamResponseHeaders(res.headers);
  Object.assign(out, ctx.responseHeaders);
  applyHeaderMutations(d.responseHeaderMutations, mutableHeaders(out));
  out['x-envoy-upstream-service-time'] = String(outcome.serviceTimeMs);
  pipeResponse(ctx, res, out, outcome);
}

function pipeResponse(ctx: RoutedStream, res: UpstreamResponse, headers: HeaderMap, outcome: Extract<AttemptOutcome, { kind: 'response' }>): void {
  const sink = ctx.response;
  const upstream = res.body as Readable;
  // A downstream that went away resets the upstream stream (as Envoy does): a paused, unread
  // response would otherwise hold its pooled connection, and its circuit-breaker unit, forever.
  if (downstreamGone(sink)) {
    outcome.finish();
    upstream.destroy();
    return;
  }
  sink.once('close', () => {
    if (upstream.readableEnded) return;
    outcome.finish();
    upstream.destroy();
  });
  // A gRPC "trailers-only" response (status in the headers, no body) must stay one HEADERS frame
  // with END_STREAM; sent as headers plus an empty body, a gRPC client reports INTERNAL.
  if (headers['grpc-status'] !== undefined && 'stream' in sink) {
    sink.stream.respond({ ...headers, ':status': res.status }, { endStream: true });
    upstream.resume();
    upstream.once('end', () => outcome.finish());
    return;
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
  upstream.on('end', () => {
    outcome.finish();
    const t = trailers ?? (upstream as Readable & { trailers?: Record<string, unknown> }).trailers;
    const forwarded = t ? Object.fromEntries(Object.entries(t).filter(([k, v]) => !k.startsWith(':') && v !== undefined)) : {};
    if (Object.keys(forwarded).length > 0 && !sink.writableEnded) sink.addTrailers(forwarded as Record<string, string>);
    if (!sink.writableEnded) sink.end();
  });
  upstream.pipe(sink, { end: false });
}

/** An HTTP/2 compatibility response has no `destroyed` of its own; its stream does. */
function downstreamGone(sink: RoutedStream['response']): boolean {
  return 'stream' in sink ? sink.stream.destroyed : sink.destroyed;
}

/** Envoy appends `-shadow` to the host part, keeping any port: `web:8080` → `web-shadow:8080`. */
function shadowAuthority(authority: string): string {
  const m = /^(.*?)(:\d+)?$/.exec(authority);
  return `${m?.[1] ?? authority}-shadow${m?.[2] ?? ''}`;
}

function mirror(deps: RouterFilterDeps, clusterName: string, ctx: RoutedStream, headers: HeaderMap, path: string, authority: string, chunks: Buffer[]): void {
  const cluster = deps.clusters.get(clusterName);
  const host = cluster?.chooseHost({ random: Math.random });
  if (!cluster || !host) return;
  const body = chunks.length > 0 ? bodyStream({ chunks }) : undefined;
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 10_000).unref();
  // Shadow traffic is fire-and-forget: its response is read and dropped.
  host.pool
    .request({ method: ctx.method, path, authority, headers: { ...headers } }, body, controller.signal)
    .then((r) => {
      cluster.recordStatus(r.status);
      r.body.resume();
    })
    .catch(() => undefined);
}
